"""The programme diff that drives change notices, reminders and import dry runs."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.services.changes import ADDED, CANCELLED, MOVED, RETITLED, ROOM, diff_sessions
from bot.services.data_reading import Text
from tests.conftest import sample_events


def test_diff_finds_moves_rooms_titles_additions_and_cancellations() -> None:
    old = sample_events().consultations["geneva-2026"]
    first, second, third, *rest = old.sessions
    moved = replace(
        first, start=first.start + timedelta(hours=1), end=first.end + timedelta(hours=1)
    )
    roomed = replace(
        second,
        room=Text({"en": "Room 9"}, "en"),
        room_id="room-9",
        title=Text({"en": "New"}, "en"),
    )
    added = replace(third, id="brand-new")
    new = replace(old, sessions=(moved, roomed, added, *rest))
    changes = {c.session_id: c for c in diff_sessions(old, new)}
    assert changes[first.id].kinds == {MOVED}
    assert changes[first.id].old_start == first.start
    assert changes[second.id].kinds == {ROOM, RETITLED}
    assert changes["brand-new"].kinds == {ADDED}
    assert changes[third.id].kinds == {CANCELLED}
    assert changes[third.id].new is None
    assert len(changes) == 4


def test_identical_programmes_have_no_changes() -> None:
    old = sample_events().consultations["geneva-2026"]
    assert diff_sessions(old, old) == []
