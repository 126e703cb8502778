"""The fake Bot API answers a real PTB `Bot` the way Telegram would, rejections included."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    EndPointNotFound,
    Forbidden,
    RetryAfter,
)
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes
from telegram.warnings import PTBUserWarning

from bot.fakeapi import FakeBotApi, FakeMessage, HtmlParseError, parse_html, visible_text

USER = 42
NOW = datetime(2026, 12, 8, 9, 15, tzinfo=UTC)


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d.upper(), callback_data=d)] for d in data])


@pytest.fixture
def api() -> FakeBotApi:
    return FakeBotApi(clock=lambda: NOW)


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[Bot]:
    """A real PTB Bot talking to the fake; the user USER has written to it."""
    api.make_message(USER, "hello")
    async with Bot("123:ABC", request=api.request(), get_updates_request=api.request()) as bot:
        yield bot


async def raw_call(bot: Bot, method: str, **params: Any) -> Any:
    """Call a method with exactly these parameters, bypassing PTB's typed signature."""
    with pytest.warns(PTBUserWarning, match="Please use"):
        return await bot.do_api_request(method, api_kwargs=params)


def last_error(api: FakeBotApi) -> str | None:
    return api.calls[-1].error


# -- successful calls ----------------------------------------------------------------------


async def test_get_me_describes_the_configured_bot(api: FakeBotApi, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (7000000001, "consultations_test_bot", True)
    assert api.calls[0].method == "getMe"


async def test_send_message_returns_parsed_message_and_stores_the_raw_html(
    api: FakeBotApi, bot: Bot
) -> None:
    sent = await bot.send_message(
        USER, "<b>Hi</b> &amp; <i>welcome</i>", parse_mode="HTML", reply_markup=keyboard("go")
    )

    assert sent.text == "Hi & welcome"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        ("bold", 0, 2),
        ("italic", 5, 7),
    ]
    assert sent.reply_markup == keyboard("go")
    assert sent.date == NOW
    stored = api.last_bot_message(USER)
    assert stored.text == "<b>Hi</b> &amp; <i>welcome</i>"
    assert stored.plain_text() == "Hi & welcome"
    assert stored.message_id == sent.message_id == 2  # the user's "hello" was message 1
    assert stored.callback_data() == ["go"]
    assert [m.from_bot for m in api.messages(USER)] == [False, True]
    assert api.calls[-1].method == "sendMessage"
    assert api.calls[-1].ok


async def test_listeners_hear_new_edited_and_deleted_bot_messages(
    api: FakeBotApi, bot: Bot
) -> None:
    heard: list[tuple[int, str]] = []
    api.on_bot_message.append(lambda message, event: heard.append((message.message_id, event)))

    sent = await bot.send_message(USER, "one")
    await bot.edit_message_text("two", chat_id=USER, message_id=sent.message_id)
    await bot.delete_message(USER, sent.message_id)

    assert heard == [(2, "new"), (2, "edited"), (2, "deleted")]
    stored = api.messages(USER)[-1]
    assert (stored.text, stored.edited, stored.deleted) == ("two", True, True)


async def test_boolean_methods_without_special_handling_are_accepted(bot: Bot) -> None:
    assert await bot.pin_chat_message(USER, 1) is True


async def test_methods_the_fake_does_not_model_are_reported(api: FakeBotApi, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="not supported by the fake"):
        await bot.send_dice(USER)


# -- contract violations -------------------------------------------------------------------


async def test_unknown_method_is_404_not_found(api: FakeBotApi, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": USER})
    assert last_error(api) == "Not Found"
    status, body = await api.dispatch("sendTelepathy", {})
    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})


@pytest.mark.parametrize(
    ("method", "params", "description"),
    [
        ("sendMessage", {"chat_id": USER}, "Bad Request: message text is empty"),
        ("sendMessage", {"text": "hi"}, "Bad Request: chat_id is empty"),
        ("answerCallbackQuery", {}, "Bad Request: parameter callback_query_id is required"),
    ],
)
async def test_missing_required_parameter_is_rejected(
    api: FakeBotApi, bot: Bot, method: str, params: dict[str, Any], description: str
) -> None:
    with pytest.raises(BadRequest):
        await raw_call(bot, method, **params)
    assert last_error(api) == description


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"disable_notification": "yes"}, "disable_notification"),
        ({"reply_parameters": {"message_id": "1"}}, "reply_parameters.message_id"),
        # inline_keyboard is an Array of Array of InlineKeyboardButton, not a flat array
        (
            {"reply_markup": {"inline_keyboard": [{"text": "a", "callback_data": "b"}]}},
            "reply_markup.inline_keyboard[0]",
        ),
    ],
)
async def test_parameter_of_wrong_type_is_rejected(
    api: FakeBotApi, bot: Bot, params: dict[str, Any], field: str
) -> None:
    with pytest.raises(BadRequest):
        await raw_call(bot, "sendMessage", chat_id=USER, text="hi", **params)
    assert f'field "{field}" must be of type' in (last_error(api) or "")


async def test_unknown_parameters_are_ignored_like_telegram_does(bot: Bot) -> None:
    result = await raw_call(bot, "sendMessage", chat_id=USER, text="hi", colour="red")
    assert result["text"] == "hi"


async def test_chat_that_never_wrote_is_not_found(api: FakeBotApi, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(USER + 1, "hi")
    api.add_chat(-100123, type="supergroup", title="Delegates")
    sent = await bot.send_message(-100123, "hi")
    assert sent.chat.title == "Delegates"


async def test_text_length_counts_visible_utf16_units(api: FakeBotApi, bot: Bot) -> None:
    # Markup is not counted; each emoji is two UTF-16 code units.
    await bot.send_message(USER, f"<b>{'😀' * 2048}</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER, "😀" * 2048 + "x")
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(USER, "<b> </b>", parse_mode="HTML")


async def test_caption_longer_than_1024_is_rejected(api: FakeBotApi, bot: Bot) -> None:
    await bot.send_document(USER, b"x", filename="a.txt", caption="c" * 1024)
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_document(USER, b"x", filename="a.txt", caption="c" * 1025)


@pytest.mark.parametrize(
    ("html", "detail"),
    [
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<blink>hi</blink>", 'Unsupported start tag "blink" at byte offset 0'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("R&D", "Character '&' is reserved"),
        ("a > b", "Character '>' is reserved"),
        ("<b><i>x</b></i>", 'Unmatched end tag, expected "</i>", found "</b>" at byte offset 7'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ("<a>x</a>", 'Tag "a" must have non-empty attribute "href"'),
        ("&nbsp;", 'Unsupported HTML entity "&nbsp;"'),
    ],
)
async def test_invalid_html_cannot_be_parsed(
    api: FakeBotApi, bot: Bot, html: str, detail: str
) -> None:
    with pytest.raises(BadRequest, match=r"^Can't parse entities"):
        await bot.send_message(USER, html, parse_mode="HTML")
    error = last_error(api) or ""
    assert error.startswith("Bad Request: can't parse entities: ")
    assert detail in error


async def test_callback_data_is_limited_to_64_bytes(api: FakeBotApi, bot: Bot) -> None:
    await bot.send_message(USER, "ok", reply_markup=keyboard("é" * 32))  # 64 bytes
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(USER, "too long", reply_markup=keyboard("x" * 65))
    assert last_error(api) == "Bad Request: BUTTON_DATA_INVALID"


async def test_button_needs_exactly_one_action(api: FakeBotApi, bot: Bot) -> None:
    with pytest.raises(BadRequest):
        await bot.send_message(
            USER, "hi", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Label")]])
        )
    assert last_error(api) == (
        "Bad Request: can't parse inline keyboard button: "
        "Text buttons are unallowed in the inline keyboard"
    )
    with pytest.raises(BadRequest, match="exactly one"):
        await raw_call(
            bot,
            "sendMessage",
            chat_id=USER,
            text="hi",
            reply_markup={
                "inline_keyboard": [[{"text": "a", "url": "https://x.org", "pay": True}]]
            },
        )


async def test_answer_callback_query_text_is_limited_to_200(api: FakeBotApi, bot: Bot) -> None:
    sent = await bot.send_message(USER, "pick", reply_markup=keyboard("a"))
    query = api.make_callback(USER, sent.message_id, "a")["callback_query"]
    with pytest.raises(BadRequest):
        await bot.answer_callback_query(query["id"], "x" * 201)
    assert await bot.answer_callback_query(query["id"], "x" * 200)
    assert api.callback_answers[query["id"]]["text"] == "x" * 200


@pytest.mark.parametrize(
    ("commands", "description"),
    [
        ([BotCommand("Start", "Begin")], "Bad Request: BOT_COMMAND_INVALID"),
        ([BotCommand("a" * 33, "Begin")], "Bad Request: BOT_COMMAND_INVALID"),
        ([BotCommand("start", "")], "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID"),
        ([BotCommand("start", "d" * 257)], "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID"),
        ([BotCommand(f"c{i}", "d") for i in range(101)], "Bad Request: BOT_COMMANDS_TOO_MUCH"),
    ],
)
async def test_invalid_commands_are_rejected(
    api: FakeBotApi, bot: Bot, commands: list[BotCommand], description: str
) -> None:
    with pytest.raises(BadRequest):
        await bot.set_my_commands(commands)
    assert last_error(api) == description


async def test_commands_are_stored_per_scope_and_language(api: FakeBotApi, bot: Bot) -> None:
    scope = BotCommandScopeChat(USER)
    await bot.set_my_commands([BotCommand("start", "Begin")])
    await bot.set_my_commands([BotCommand("aide", "Aide")], scope=scope, language_code="fr")

    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    assert [c.command for c in await bot.get_my_commands(scope=scope, language_code="fr")] == [
        "aide"
    ]
    assert await bot.get_my_commands(scope=scope) == ()
    assert api.my_commands({"type": "chat", "chat_id": USER}, "fr") == [
        {"command": "aide", "description": "Aide"}
    ]
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.set_my_commands([BotCommand("x", "y")], scope=BotCommandScopeChat(USER + 1))


# -- faults --------------------------------------------------------------------------------


async def test_blocked_user_is_forbidden(api: FakeBotApi, bot: Bot) -> None:
    api.block_user(USER)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER, "hi")
    assert last_error(api) == "Forbidden: bot was blocked by the user"
    api.unblock_user(USER)
    assert (await bot.send_message(USER, "hi")).text == "hi"


async def test_fail_next_injects_flood_control_for_count_calls(
    api: FakeBotApi, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without PTB_TIMEDELTA, PTB 22 warns (an error under filterwarnings) on building RetryAfter.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    api.fail_next(
        "sendMessage",
        error_code=429,
        description="Too Many Requests: retry after 7",
        retry_after=7,
        count=2,
    )
    for _ in range(2):
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(USER, "hi")
        assert caught.value.retry_after == timedelta(seconds=7)
    assert (await bot.send_message(USER, "hi")).text == "hi"
    assert [c.ok for c in api.calls_to("sendMessage")] == [False, False, True]


async def test_injected_flood_error_has_telegrams_shape(api: FakeBotApi) -> None:
    api.fail_next("sendMessage", error_code=429, description="Too Many Requests: retry after 1")
    status, body = await api.dispatch("sendMessage", {"chat_id": USER, "text": "hi"})
    assert (status, body) == (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1},  # Telegram always says how long to wait
        },
    )


async def test_fail_next_can_migrate_a_group(api: FakeBotApi, bot: Bot) -> None:
    api.fail_next(
        "sendMessage",
        error_code=400,
        description="Bad Request: group chat was upgraded to a supergroup chat",
        migrate_to_chat_id=-100777,
    )
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(USER, "hi")
    assert caught.value.new_chat_id == -100777


# -- files ---------------------------------------------------------------------------------


async def test_uploaded_document_round_trips(api: FakeBotApi, bot: Bot) -> None:
    content = b"%PDF-1.4 agenda"
    sent = await bot.send_document(USER, content, filename="agenda.pdf", caption="Agenda")

    assert sent.document.file_name == "agenda.pdf"
    assert sent.document.mime_type == "application/pdf"
    assert sent.document.file_size == len(content)
    stored = api.last_bot_message(USER)
    assert stored.kind == "document"
    assert stored.document is not None
    assert (stored.document.filename, stored.document.content) == ("agenda.pdf", content)
    assert stored.caption == "Agenda"
    file = await bot.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == content
    # Re-sending by file_id reuses the stored file; an unknown id is refused.
    again = await bot.send_document(USER, sent.document.file_id)
    assert again.document.file_unique_id == sent.document.file_unique_id
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_document(USER, "no-such-file-id")


async def test_document_from_a_user_can_be_downloaded(api: FakeBotApi, bot: Bot) -> None:
    data = api.make_document_message(USER, "notes.txt", b"my notes", caption="for you")
    message = Update.de_json(data, bot).message
    assert message is not None
    assert message.document is not None
    assert (message.document.file_name, message.caption) == ("notes.txt", "for you")
    file = await message.document.get_file()
    assert bytes(await file.download_as_bytearray()) == b"my notes"


async def test_venue_and_location_messages(api: FakeBotApi, bot: Bot) -> None:
    sent = await bot.send_venue(USER, 46.22, 6.14, "Palais", "Avenue de la Paix 8")
    assert (sent.venue.title, sent.venue.location.latitude) == ("Palais", 46.22)
    assert api.last_bot_message(USER).venue == {
        "location": {"latitude": 46.22, "longitude": 6.14},
        "title": "Palais",
        "address": "Avenue de la Paix 8",
    }
    located = await bot.send_location(USER, 46.0, 6.0)
    assert located.location.longitude == 6.0
    assert api.last_bot_message(USER).kind == "location"


# -- editing -------------------------------------------------------------------------------


async def test_edit_with_same_text_and_markup_is_not_modified(api: FakeBotApi, bot: Bot) -> None:
    sent = await bot.send_message(
        USER, "<b>Menu</b>", parse_mode="HTML", reply_markup=keyboard("a")
    )
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "<b>Menu</b>",
            chat_id=USER,
            message_id=sent.message_id,
            parse_mode="HTML",
            reply_markup=keyboard("a"),
        )
    # Same words without the bold are a change; leaving out reply_markup drops the keyboard.
    edited = await bot.edit_message_text("Menu", chat_id=USER, message_id=sent.message_id)
    assert edited.text == "Menu"
    assert edited.reply_markup is None
    assert api.last_bot_message(USER).buttons() == []


async def test_edit_reply_markup_and_caption(api: FakeBotApi, bot: Bot) -> None:
    sent = await bot.send_message(USER, "pick", reply_markup=keyboard("a"))
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=keyboard("a"))
    await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=keyboard("b"))
    assert api.last_bot_message(USER).callback_data() == ["b"]
    with pytest.raises(BadRequest, match="There is no caption in the message to edit"):
        await bot.edit_message_caption(USER, sent.message_id, caption="new")

    doc = await bot.send_document(USER, b"x", filename="a.txt", caption="old")
    edited = await bot.edit_message_caption(USER, doc.message_id, caption="new")
    assert edited.caption == "new"


async def test_edit_or_delete_of_missing_or_foreign_message_fails(
    api: FakeBotApi, bot: Bot
) -> None:
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=99)
    with pytest.raises(BadRequest, match="Message can't be edited"):
        await bot.edit_message_text("x", chat_id=USER, message_id=1)  # the user's message
    assert await bot.delete_message(USER, 1)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(USER, 1)


async def test_reply_to_a_missing_message_fails(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(USER, "hi", reply_to_message_id=99)
    reply = await bot.send_message(USER, "hi", reply_to_message_id=1)
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.text == "hello"


# -- updates -------------------------------------------------------------------------------


async def test_make_message_builds_a_command_update(api: FakeBotApi, bot: Bot) -> None:
    data = api.make_message(7, "/start@consultations_test_bot now", language_code="fr")
    update = Update.de_json(data, bot)
    assert update.message is not None
    assert update.message.date == NOW
    assert update.message.from_user is not None
    assert update.message.from_user.language_code == "fr"
    assert update.message.parse_entities(["bot_command"]) == {
        update.message.entities[0]: "/start@consultations_test_bot"
    }
    second = api.make_message(7, "again")
    assert second["update_id"] == data["update_id"] + 1
    assert second["message"]["message_id"] == data["message"]["message_id"] + 1
    assert "entities" not in second["message"]


async def test_group_message_registers_the_group(api: FakeBotApi, bot: Bot) -> None:
    data = api.make_message(USER, "hi all", chat_id=-100900, chat_type="supergroup")
    assert data["message"]["chat"] == {
        "id": -100900,
        "type": "supergroup",
        "title": "Chat -100900",
    }
    assert (await bot.send_message(-100900, "hello group")).chat.type == "supergroup"
    assert (await bot.get_chat_member(-100900, USER)).status == "member"
    with pytest.raises(ValueError, match="needs a chat_id"):
        api.make_message(USER, "hi", chat_type="group")


async def test_callback_carries_the_current_message_and_is_answered_once(
    api: FakeBotApi, bot: Bot
) -> None:
    sent = await bot.send_message(USER, "pick", reply_markup=keyboard("a", "b"))
    data = api.make_callback(USER, sent.message_id, "b")
    query = Update.de_json(data, bot).callback_query
    assert query is not None
    assert query.data == "b"
    assert query.message is not None
    assert query.message.reply_markup == keyboard("a", "b")

    assert await query.answer("Done")
    with pytest.raises(BadRequest, match="Query is too old"):
        await query.answer("Again")
    with pytest.raises(LookupError, match="no button"):
        api.make_callback(USER, sent.message_id, "zzz")


async def test_get_chat_and_member(api: FakeBotApi, bot: Bot) -> None:
    chat = await bot.get_chat(USER)
    assert (chat.id, chat.type) == (USER, "private")
    member = await bot.get_chat_member(USER, USER)
    assert member.status == "member"
    api.add_chat(-100500, type="supergroup", title="Team")
    api.set_chat_member(-100500, USER, "administrator")
    admin = await bot.get_chat_member(-100500, USER)
    assert admin.status == "administrator"


async def test_get_updates_returns_queued_updates_until_confirmed(
    api: FakeBotApi, bot: Bot
) -> None:
    assert await bot.get_updates(timeout=0) == ()
    api.queue_update(api.make_message(USER, "one"))
    updates = await bot.get_updates(timeout=0)
    assert [u.message.text for u in updates if u.message] == ["one"]
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()


async def test_get_updates_conflicts_with_a_webhook(api: FakeBotApi, bot: Bot) -> None:
    await bot.set_webhook("https://example.org/hook")
    assert (await bot.get_webhook_info()).url == "https://example.org/hook"
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates(timeout=0)
    await bot.delete_webhook()
    assert await bot.get_updates(timeout=0) == ()


# -- html ----------------------------------------------------------------------------------


def test_html_parser_produces_telegram_entities() -> None:
    parsed = parse_html(
        '<pre><code class="language-python">x = 1</code></pre>\n'
        '<blockquote expandable>q</blockquote> <span class="tg-spoiler">s</span> '
        '<a href="https://ex.org/?a=1&amp;b=2">link</a> &#128512;&quot;'
    )
    assert parsed.text == 'x = 1\nq s link 😀"'
    assert list(parsed.entities) == [
        {"type": "pre", "language": "python", "offset": 0, "length": 5},
        {"type": "expandable_blockquote", "offset": 6, "length": 1},
        {"type": "spoiler", "offset": 8, "length": 1},
        {"type": "text_link", "url": "https://ex.org/?a=1&b=2", "offset": 10, "length": 4},
    ]
    assert visible_text("<b>a</b> &lt;b&gt;", "HTML") == "a <b>"
    assert visible_text("<b>a</b>", None) == "<b>a</b>"
    with pytest.raises(HtmlParseError):
        parse_html("<tg-emoji>x</tg-emoji>")


# -- a whole Application -------------------------------------------------------------------


async def reply_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_html("<b>Welcome</b>")


def build_app(api: FakeBotApi) -> Any:
    app = (
        ApplicationBuilder()
        .token("123:ABC")
        .request(api.request())
        .get_updates_request(api.request())
        .build()
    )
    app.add_handler(CommandHandler("start", reply_start))
    return app


async def test_application_processes_a_command_update(api: FakeBotApi) -> None:
    app = build_app(api)
    async with app:
        await app.process_update(Update.de_json(api.make_message(USER, "/start"), app.bot))

    messages: list[FakeMessage] = api.messages(USER)
    assert [(m.from_bot, m.plain_text()) for m in messages] == [
        (False, "/start"),
        (True, "Welcome"),
    ]
    assert messages[-1].reply_to_message_id is None
    assert all(call.ok for call in api.calls)


async def test_polling_application_receives_queued_updates(api: FakeBotApi) -> None:
    app = build_app(api)
    replied = asyncio.Event()
    api.on_bot_message.append(lambda message, event: replied.set())
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=5)
        await app.start()
        for _ in range(100):  # let the updater reach its first getUpdates
            if api.pending_polls:
                break
            await asyncio.sleep(0)
        assert api.pending_polls == 1
        api.queue_update(api.make_message(USER, "/start"))  # must wake the 5 s long poll
        async with asyncio.timeout(3):
            await replied.wait()
        await app.updater.stop()
        await app.stop()
    assert api.last_bot_message(USER).plain_text() == "Welcome"
