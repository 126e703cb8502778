"""/broadcast while a draft is in progress: the organiser is asked before it is discarded."""

from __future__ import annotations

from tests.conftest import ORGANISER_ID, Harness
from tests.test_broadcast import organiser


async def test_a_draft_in_progress_is_kept_or_discarded_as_the_organiser_chooses(
    harness: Harness,
) -> None:
    org = await organiser(harness)
    await org.send("/broadcast")
    await org.send("The shuttle leaves at 08:00.")
    assert "Announcement draft" in org.text()

    await org.send("/broadcast")
    assert org.text().startswith("📝 You have a draft in progress")
    assert "“The shuttle leaves at 08:00.”" in org.text()
    assert "Continue it, or discard it and start again?" in org.text()
    draft = await harness.services.broadcasts.draft(ORGANISER_ID)
    assert draft.id == 1
    assert "shuttle" in draft.texts["en"]

    await org.press("Continue it")
    assert "Announcement draft" in org.text()
    assert "Written in: English" in org.text()
    assert (await harness.services.broadcasts.draft(ORGANISER_ID)).id == 1

    await org.send("/broadcast")
    await org.press("Discard it and start again")
    assert "Send the announcement's text in English" in org.text()
    assert (await harness.services.broadcasts.draft(ORGANISER_ID)).texts == {}
    await org.send("The shuttle leaves at 08:30.")
    assert (await harness.services.broadcasts.draft(ORGANISER_ID)).texts["en"] == (
        "The shuttle leaves at 08:30."
    )


async def test_an_empty_draft_is_replaced_without_asking(harness: Harness) -> None:
    org = await organiser(harness)
    await org.send("/broadcast")
    await org.send("/broadcast")
    assert "Send the announcement's text in English" in org.text()
    assert "You have a draft in progress" not in org.text()


async def test_the_question_is_asked_in_the_organisers_language(harness: Harness) -> None:
    org = await organiser(harness, "fr")
    await org.send("/broadcast")
    await org.send("La navette part à 8 h.")
    await org.send("/broadcast")
    assert org.text().startswith("📝 Vous avez un brouillon en cours")
    assert "Le poursuivre, ou l'abandonner et recommencer ?" in org.text()
    await org.press("Abandonner et recommencer")
    assert "Envoyez le texte de l'annonce en français" in org.text()


async def test_a_discarded_drafts_card_does_not_act_on_the_next_draft(harness: Harness) -> None:
    """The first draft's card stays in the chat: its buttons must not reach the new draft that
    took its place (draft numbers are never given twice)."""
    org = await organiser(harness)
    await org.send("/broadcast")
    await org.send("The shuttle leaves at 08:00.")
    first_card, _ = org.find_button("Audience")
    old_buttons = [b["callback_data"] for row in first_card.buttons() for b in row]
    await org.send("/broadcast")
    await org.press("Discard it and start again")
    await org.send("The venue opens at 07:30.")
    new = await harness.services.broadcasts.draft(ORGANISER_ID)
    assert all(not data.startswith(f"bc:{new.id}:") for data in old_buttons), old_buttons
