"""The matcher's handling of phone-typed questions: filler, typos, dialect and split words."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.services.matcher import FAQ, NONE, Matcher, words
from tests.conftest import GENEVA, sample_events

NOW = datetime(2026, 12, 8, 10, 15, tzinfo=GENEVA)


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(sample_events().consultations["geneva-2026"])


def test_common_words_the_faq_never_uses_do_not_block_an_answer(matcher: Matcher) -> None:
    # "somewhere" is in no FAQ entry, but it is a common word: the question is about praying.
    found = matcher.match("is there somewhere to pray", NOW)
    assert (found.kind, found.answer_id) == (FAQ, "prayer-room")


@pytest.mark.parametrize(
    "question", ["is there a gym at the venue", "y a-t-il un sauna sur place", "في ساونا بالمكان"]
)
def test_a_rare_unknown_subject_still_means_abstaining(matcher: Matcher, question: str) -> None:
    assert matcher.match(question, NOW).kind == NONE


def test_a_typo_is_mended_but_a_different_word_is_not_taken_for_one(matcher: Matcher) -> None:
    assert matcher.match("wifi pasword", NOW).answer_id == "wifi-password"
    # "president" is one letter from "resident", but typos do not hit the first letter.
    assert matcher.match("qui est le president de la france", NOW).kind == NONE


def test_words_typed_in_two_are_joined_when_the_lexicon_knows_them_whole() -> None:
    assert words("check in desk") == ["checkin", "desk"]
    assert words("wi fi") == ["wifi"]
    assert words("check the room") == ["check", "the", "room"]


def test_levantine_present_tense_prefix_is_understood(matcher: Matcher) -> None:
    # "بتتسجل" (is it recorded) is the b- present of "تتسجل".
    assert matcher.match("الجلسات بتتسجل؟", NOW).answer_id == "recordings"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("can i bring my toddler along", "childcare"),
        ("est-ce que je peux amener mon bébé", "childcare"),
        ("where should i put my backpack", "cloakroom"),
        ("dónde puedo dejar mi mochila", "cloakroom"),
    ],
)
def test_everyday_framing_verbs_do_not_block_an_answer(
    matcher: Matcher, question: str, expected: str
) -> None:
    # "bring", "amener", "put", "dejar" are in no FAQ entry: they frame the question.
    assert matcher.match(question, NOW).answer_id == expected


def test_a_framing_verb_does_not_make_an_unknown_subject_answerable(matcher: Matcher) -> None:
    assert matcher.match("can i bring my surfboard", NOW).kind == NONE


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("وين بحط الشنطة والجاكيت", "cloakroom"),
        ("بدي اتواصل بالمنظمين", "contact-organisers"),
    ],
)
def test_arabic_words_with_a_clitic_are_found(
    matcher: Matcher, question: str, expected: str
) -> None:
    assert matcher.match(question, NOW).answer_id == expected


def test_a_three_letter_stem_shared_across_languages_names_no_concept(matcher: Matcher) -> None:
    # "como" (Spanish "how") and "comer" (to eat) share the stem "com": not a lunch question.
    found = matcher.match("como hay que vestirse", NOW)
    assert found.answer_id == "dress-code"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("how do i listen in arabic", "interpretation-channels"),
        ("do we have to pay for the meal", "lunch-location"),
        ("je suis musulman, où prier ?", "prayer-room"),
        ("necesito cargar la batería de mi celu", "charging-phones"),
    ],
)
def test_everyday_synonyms_in_every_language(
    matcher: Matcher, question: str, expected: str
) -> None:
    assert matcher.match(question, NOW).answer_id == expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (
            "my grandmother's hip is bad, is the venue wheelchair accessible with a lift and "
            "ramps",
            "accessibility-wheelchair",
        ),
        (
            "sorry to bother, the wifi password for the guest network keeps getting refused on "
            "my old tablet",
            "wifi-password",
        ),
        (
            "desperately searching a printer to print my boarding documents before the flight",
            "printing",
        ),
    ],
)
def test_a_long_question_meeting_an_entry_on_several_words_is_answered(
    matcher: Matcher, question: str, expected: str
) -> None:
    # Most of these words are in no entry, but the entry's own words are there, several of them.
    assert matcher.match(question, NOW).answer_id == expected


def test_one_known_word_among_unknown_subjects_still_means_abstaining(matcher: Matcher) -> None:
    found = matcher.match("is there a gym with a sauna and a swimming pool at the hotel", NOW)
    assert found.kind == NONE
