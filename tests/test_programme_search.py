"""Filters and search over the programme, without Telegram: what fits a button, what is found."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from bot.services.data_reading import Text
from bot.services.event_data import Consultation, Session, now_and_next
from bot.services.matcher import SESSIONS, Matcher, asked_search
from bot.services.programme_filters import (
    KIND,
    LANGUAGE,
    NO_FILTERS,
    ROOM,
    TRACK,
    decode,
    encode,
    facets_of,
    keys_of,
    landing_day,
)
from bot.services.session_search import SessionIndex
from tests.conftest import GENEVA, sample_events

MAX_CALLBACK_BYTES = 64


def geneva() -> Consultation:
    return sample_events().consultations["geneva-2026"]


def fosdem_size() -> Consultation:
    """1,000 sessions over two days: 75 tracks, 60 rooms, four interpretation languages."""
    start = datetime(2026, 12, 8, 9, 0, tzinfo=GENEVA)
    sessions = tuple(
        Session(
            id=f"talk-{number:04d}-with-a-long-identifier-of-forty-eight",
            title=Text({"en": f"Talk {number}"}, "en"),
            start=start + timedelta(days=number % 2, minutes=5 * (number // 120)),
            end=start + timedelta(days=number % 2, minutes=5 * (number // 120) + 25),
            room=Text({"en": f"Room {number % 60:02d}"}, "en"),
            track=Text({"en": f"Track number {number % 75:02d}"}, "en"),
            kind=("plenary", "panel", "workshop", "side-event", "other")[number % 5],
            interpretation=("en", "fr", "es", "ar")[: 1 + number % 4],
        )
        for number in range(1000)
    )
    return replace(geneva(), sessions=sessions)


def test_any_filters_of_a_fosdem_size_programme_fit_in_every_button() -> None:
    consultation = fosdem_size()
    facets = facets_of(consultation.sessions)
    assert {d: len(f.keys) for d, f in facets.by_dimension.items()} == {
        TRACK: 75,
        KIND: 5,
        ROOM: 60,
        LANGUAGE: 4,
    }
    # The last value of every dimension: the longest token there is.
    filters = NO_FILTERS
    for dimension in (TRACK, KIND, ROOM, LANGUAGE):
        facet = facets.facet(dimension)
        assert facet is not None
        filters = filters.with_value(dimension, facet.keys[-1])
    token = encode(filters, facets)
    assert decode(token, facets) == filters
    day = consultation.start
    for data in (
        f"ag:d:{day}:999:{token}",
        f"ag:f:{day}:{token}",
        f"ag:v:{day}:t:9:{token}",
        f"ag:n:1:999:{token}",
        f"ag:w:{token}",
    ):
        assert len(data.encode()) < MAX_CALLBACK_BYTES, data


def test_a_filter_button_from_other_data_is_out_of_date_not_another_value() -> None:
    facets = facets_of(geneva().sessions)
    partnership = next(k for k in facets.by_dimension[TRACK].keys if k == "partnership")
    token = encode(NO_FILTERS.with_value(TRACK, partnership), facets)
    # A reload renames a track: the same index would now mean another one.
    renamed = tuple(
        replace(s, track=Text({"en": "Alliances"}, "en"))
        if s.track and s.track.get("en") == "Accountability"
        else s
        for s in geneva().sessions
    )
    with pytest.raises(ValueError, match=token):
        decode(token, facets_of(renamed))
    for forged in ("zz", f"{facets.fingerprint}t99", f"{facets.fingerprint}x1", "t1t2"):
        with pytest.raises(ValueError, match=forged):
            decode(forged, facets)


def test_the_room_filter_compares_rooms_by_their_id() -> None:
    """With rooms.yaml, a room is its id: renaming it or translating its name splits nothing."""
    session = next(s for s in geneva().sessions if s.id == "opening")
    assert session.room_id is not None
    assert keys_of(session, ROOM) == (session.room_id,)


def test_filters_combine_and_a_value_opens_the_first_day_it_has_sessions_on() -> None:
    consultation = geneva()
    both = NO_FILTERS.with_value(TRACK, "partnership").with_value(LANGUAGE, "ar")
    found = {s.id for s in both.apply(consultation.sessions)}
    assert found == {"opening", "principles-partnership"}
    protection = NO_FILTERS.with_value(TRACK, "protection")
    assert landing_day(consultation, consultation.start, protection) == consultation.end
    assert landing_day(consultation, consultation.start, both) == consultation.start


def test_next_skips_a_coffee_break_but_now_shows_one() -> None:
    sessions = geneva().sessions
    at_10_15 = datetime(2026, 12, 8, 10, 15, tzinfo=GENEVA)
    found = now_and_next(sessions, at_10_15, skip_breaks=True)
    assert [s.id for s in found.next] == ["principles-partnership"]
    during = now_and_next(sessions, at_10_15 + timedelta(minutes=30), skip_breaks=True)
    assert "coffee-d1-am" in [s.id for s in during.now]


@pytest.mark.parametrize(
    ("question", "subject"),
    [
        ("sessions on localization", "localization"),
        ("Are there any talks about climate mobility?", "climate mobility"),
        ("sessions sur la localisation", "la localisation"),
        ("des ateliers à propos de la protection des données ?", "la protection des données"),
        ("sesiones sobre localización", "localización"),
        ("¿hay talleres acerca de la rendición de cuentas?", "la rendición de cuentas"),
        ("جلسات عن التوطين", "التوطين"),
        ("هل في ورش حول الحماية؟", "الحماية"),
    ],
)
def test_asking_for_sessions_on_a_subject_is_a_search(question: str, subject: str) -> None:
    assert asked_search(question) == subject
    match = Matcher(geneva()).match(question, datetime(2026, 12, 8, 10, 15, tzinfo=GENEVA))
    assert match.kind == SESSIONS
    assert match.search == subject


@pytest.mark.parametrize(
    "question",
    [
        # One session asked about: the matcher's, as before.
        "l'atelier sur la localisation et le financement des ONG locales, c'est dans quelle "
        "salle ?",
        "when is the panel on coordination with the NGO speakers from Yemen and Ukraine?",
        # A day, not a subject; a French "on"; a list to sign up to.
        "sessions on Tuesday",
        "les sessions, on peut arriver en retard ?",
        "tuesday afternoon workshops - is there a list to put my name on",
    ],
)
def test_other_questions_are_not_searches(question: str) -> None:
    assert asked_search(question) is None


@pytest.mark.parametrize(
    "query",
    [
        "localization",
        "LOCALISATION",
        "localizacion",  # without its accent
        "Localización",
        "التوطين",
        "localisaton",  # a typo
    ],
)
def test_search_finds_the_workshop_in_every_language_first(query: str) -> None:
    result = SessionIndex(geneva()).search(query)
    assert result.sessions[0].id == "localization-funding"
    assert "lunch-d1" not in {s.id for s in result.sessions}


def test_search_finds_speakers_descriptions_and_tracks() -> None:
    index = SessionIndex(geneva())
    assert {s.id for s in index.search("Samira Haddad").sessions} == {
        "internal-displacement",
        "protection",
    }
    # In the description only ("pooled funds"), in a track only ("Recommandations").
    assert "localization-funding" in {s.id for s in index.search("pooled funds").sessions}
    assert {s.id for s in index.search("recommandations").sessions} >= {"report-back", "closing"}
    assert index.search("quantum physics").sessions == ()
