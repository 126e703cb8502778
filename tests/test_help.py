"""/help and the command menu by role: delegates, moderators and organisers each see every
command they can use, in their language, and nothing they cannot."""

from __future__ import annotations

from telegram.ext import CommandHandler

from tests.conftest import MODERATOR_ID, ORGANISER_ID, Chat, Harness, joined

# /start opens the conversation and /help is the list itself: neither is a line of it.
NOT_LISTED = {"start", "help"}


def registered_commands(harness: Harness) -> set[str]:
    """Every command the application answers, in whatever group it was registered."""
    return {
        command
        for handlers in harness.app.handlers.values()
        for handler in handlers
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    }


async def help_lines(chat: Chat) -> dict[str, str]:
    """The commands /help lists, each with its description."""
    await chat.send("/help")
    lines = [line for line in chat.text().splitlines() if line.startswith("/")]
    return dict(line.removeprefix("/").split(" — ", 1) for line in lines)


def chat_menu(harness: Harness, chat_id: int) -> list[str]:
    """The commands of this chat's own menu, as Telegram would show them now."""
    menu = harness.api.my_commands({"type": "chat", "chat_id": chat_id})
    return [entry["command"] for entry in menu]


async def test_organisers_help_lists_every_command_the_bot_answers(harness: Harness) -> None:
    organiser = await joined(harness, user_id=ORGANISER_ID)
    listed = await help_lines(organiser)
    assert registered_commands(harness) - NOT_LISTED - set(listed) == set()
    assert "answer a question with /answer, its number, then your text" in listed["answer"]
    assert listed["reload"].startswith("organisers: reload the programme")
    assert all(description.strip() for description in listed.values())


async def test_the_role_lines_are_translated(harness: Harness) -> None:
    english = await help_lines(await joined(harness, "en", user_id=ORGANISER_ID))
    delegate = await help_lines(await joined(harness, "en"))
    for language in ("fr", "es", "ar"):
        await harness.services.people.set_language(ORGANISER_ID, language)
        organiser = harness.chat(ORGANISER_ID, language)
        translated = await help_lines(organiser)
        assert set(translated) == set(english)
        for command in set(english) - set(delegate):
            assert translated[command] != english[command], (language, command)


async def test_delegates_see_no_role_command_and_are_refused_them(harness: Harness) -> None:
    organiser = set(await help_lines(await joined(harness, user_id=ORGANISER_ID)))
    moderator = set(await help_lines(await joined(harness, user_id=MODERATOR_ID)))
    delegate_chat = await joined(harness)
    delegate = set(await help_lines(delegate_chat))
    assert delegate < moderator < organiser
    assert moderator - delegate == {"reviews", "dashboard"}
    # Each command their help leaves out is indeed refused to a delegate.
    for command in sorted(organiser - delegate):
        harness.clock.advance(seconds=10)  # at a delegate's pace, not a flood's
        await delegate_chat.send(f"/{command}")
        assert "only" in delegate_chat.text().lower(), command
    assert set(chat_menu(harness, delegate_chat.user_id)) & (organiser - delegate) == set()


async def test_organisers_command_menu_has_their_commands_in_their_language(
    harness: Harness,
) -> None:
    organiser = await joined(harness, user_id=ORGANISER_ID)
    listed = set(await help_lines(organiser))
    assert listed <= set(chat_menu(harness, ORGANISER_ID))
    assert {"broadcast", "answer", "reload"} <= set(chat_menu(harness, ORGANISER_ID))
    # Choosing another language keeps them, translated.
    await organiser.send("/language")
    await organiser.press("Français")
    menu = harness.api.my_commands({"type": "chat", "chat_id": ORGANISER_ID})
    descriptions = {entry["command"]: entry["description"] for entry in menu}
    assert listed <= set(descriptions)
    assert descriptions["reload"] == "Recharger le programme"


async def test_a_chair_who_is_no_organiser_sees_the_chairs_commands(harness: Harness) -> None:
    chair = await joined(harness, user_id=2001)
    delegate = await joined(harness, user_id=1002)
    geneva = harness.services.events.consultations["geneva-2026"]
    await harness.services.panel.add_chair(geneva, "opening", 2001)
    listed = await help_lines(chair)
    assert listed["poll"].startswith("chairs: a quick poll to the audience of a session you")
    assert "“🎙 Chair: questions”" in chair.text()
    assert "poll" in chat_menu(harness, 2001)
    assert "poll" not in await help_lines(delegate)
    assert "Chair: questions" not in delegate.text()
    # What the line offers, /poll answers (it is refused to a delegate).
    await chair.send("/poll")
    assert "only" not in chair.text().lower()
