"""Moderators read figures written the way their language writes numbers."""

from __future__ import annotations

from tests.conftest import MODERATOR_ID, Harness, sample_events


async def test_average_ratings_use_the_moderators_decimal_comma(harness: Harness) -> None:
    geneva = sample_events().consultations["geneva-2026"]
    talk = next(s for s in geneva.sessions if s.kind != "break")
    harness.clock.set(talk.end)
    for user, rating in ((3001, 3), (3002, 4)):
        await harness.services.people.profile(user, "Delegate")
        await harness.services.feedback.rate(user, geneva, talk.id, rating)
    moderator = harness.chat(MODERATOR_ID, "fr")
    await harness.services.people.profile(MODERATOR_ID, "Mod")
    await harness.services.people.set_consultation(MODERATOR_ID, "geneva-2026")
    await moderator.send("/reviews")
    assert "3,5★" in moderator.text()
