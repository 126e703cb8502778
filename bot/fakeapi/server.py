"""An in-process Telegram Bot API: chats, messages and files in memory, calls checked by spec."""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import mimetypes
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, NoReturn
from urllib.parse import urlsplit

import httpx
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.error import NetworkError
from telegram.request import BaseRequest, RequestData

from bot.fakeapi.spec import ApiError, BotApiSpec, Upload, bad_request, formatted_text, load_spec

__all__ = [
    "ApiCall",
    "BotMessageEvent",
    "FakeBotApi",
    "FakeChat",
    "FakeFile",
    "FakeMessage",
    "FakeRequest",
]

JSONDict = dict[str, Any]
BotMessageEvent = Literal["new", "edited", "deleted"]
ChatType = Literal["private", "group", "supergroup", "channel"]
Handler = Callable[[Mapping[str, Any]], Any]

_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
# Shared by every fake server in the process, as Telegram never repeats an update id: a bot
# restarted on the same database (a test of a restart) must not see its old ids again.
_UPDATE_IDS = itertools.count(1)

_WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
    "the webhook first"
)
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# Methods that deliver something to a chat, and so fail for a user who blocked the bot.
_DELIVERING_PREFIXES = ("send", "copy", "forward", "edit")
# Methods that count towards Telegram's sending limits (when the fake enforces them).
_RATE_LIMITED_PREFIXES = ("send", "copy", "forward")
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?=\s|$)")
_MEDIA_KINDS = frozenset({"document", "photo"})
_VENUE_FIELDS = (
    "title",
    "address",
    "foursquare_id",
    "foursquare_type",
    "google_place_id",
    "google_place_type",
)


@dataclass(frozen=True)
class ApiCall:
    """One Bot API call as the fake received it, and how it was answered."""

    method: str
    params: dict[str, Any]
    ok: bool
    error: str | None = None


@dataclass
class FakeFile:
    """A file known to the fake server, uploaded by the bot or sent by a user."""

    file_id: str
    file_unique_id: str
    filename: str
    mime_type: str
    content: bytes

    @property
    def file_path(self) -> str:
        return f"files/{self.file_id}"


@dataclass
class FakeChat:
    id: int
    type: ChatType
    title: str | None = None
    username: str | None = None
    first_name: str | None = None

    def to_json(self) -> JSONDict:
        data: JSONDict = {"id": self.id, "type": self.type}
        for key in ("title", "username", "first_name"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data


@dataclass
class FakeMessage:
    """A message in a fake chat; `text`/`caption` are stored as sent (raw HTML if parse_mode)."""

    message_id: int
    chat_id: int
    from_bot: bool
    date: int
    kind: str = "text"
    text: str | None = None
    parse_mode: str | None = None
    entities: list[JSONDict] | None = None
    caption: str | None = None
    caption_entities: list[JSONDict] | None = None
    reply_markup: JSONDict | None = None
    document: FakeFile | None = None
    photo: FakeFile | None = None
    venue: JSONDict | None = None  # Telegram's Venue: {"location": {...}, "title", "address"}
    location: JSONDict | None = None
    from_user_id: int | None = None
    reply_to_message_id: int | None = None
    forward_origin: JSONDict | None = None
    edit_date: int | None = None
    edited: bool = False
    deleted: bool = False

    def rendered_text(self) -> tuple[str | None, tuple[JSONDict, ...]]:
        """The text users see and its entities (HTML parsed as Telegram would)."""
        if self.text is None:
            return None, ()
        if self.parse_mode:
            return formatted_text(self.text, self.parse_mode)
        return self.text, tuple(self.entities or ())

    def rendered_caption(self) -> tuple[str | None, tuple[JSONDict, ...]]:
        """The caption users see and its entities."""
        if self.caption is None:
            return None, ()
        if self.parse_mode:
            return formatted_text(self.caption, self.parse_mode)
        return self.caption, tuple(self.caption_entities or ())

    def plain_text(self) -> str | None:
        """What a user reads: the visible text, or the visible caption of a media message."""
        text, _ = self.rendered_text() if self.text is not None else self.rendered_caption()
        return text

    def buttons(self) -> list[list[JSONDict]]:
        """Rows of the inline keyboard, empty without one."""
        markup = self.reply_markup or {}
        rows: list[list[JSONDict]] = markup.get("inline_keyboard", [])
        return rows

    def callback_data(self) -> list[str]:
        """The callback_data of every inline button, row by row."""
        return [b["callback_data"] for row in self.buttons() for b in row if "callback_data" in b]


@dataclass
class _Fault:
    error: ApiError
    remaining: int


# Connection faults, as the client sees them: refused before the call left, or reset after the
# server carried it out and before its answer came back.
Connection = Literal["refused", "reset"]


@dataclass
class _ConnectionFault:
    kind: Connection
    remaining: int


class FakeBotApi:
    """The state of a fake Bot API server; hand `request()` to PTB instead of HTTPXRequest."""

    def __init__(
        self,
        *,
        bot_id: int = 7000000001,
        bot_username: str = "consultations_test_bot",
        bot_first_name: str = "Consultations Test Bot",
        clock: Callable[[], datetime] | None = None,
        spec: BotApiSpec | None = None,
        rate_limit: tuple[int, float] | None = None,
        per_chat_limit: tuple[int, float] | None = None,
    ) -> None:
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.spec = spec or load_spec()
        self._now = clock or (lambda: datetime.now(UTC))
        self.calls: list[ApiCall] = []
        self.on_bot_message: list[Callable[[FakeMessage, str], None]] = []
        self.chats: dict[int, FakeChat] = {}
        self.users: dict[int, JSONDict] = {}
        self.files: dict[str, FakeFile] = {}
        self.callback_answers: dict[str, JSONDict] = {}
        self.webhook: JSONDict = {"url": ""}
        self.menu_buttons: dict[int | None, JSONDict] = {}
        self.bot_descriptions: dict[str, str] = {}
        self.bot_short_descriptions: dict[str, str] = {}
        self.bot_names: dict[str, str] = {}
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._messages: dict[int, list[FakeMessage]] = {}
        self._members: dict[tuple[int, int], str] = {}
        self._pending_queries: set[str] = set()
        self._faults: dict[str, deque[_Fault]] = {}
        self._connection_faults: dict[str, deque[_ConnectionFault]] = {}
        self._blocked: set[int] = set()
        # Telegram's sending limits, as (messages, seconds) windows; None: unlimited.
        self.rate_limit = rate_limit
        self.per_chat_limit = per_chat_limit
        self.throttled = 0  # calls answered 429 because a limit was exceeded
        self._sent_at: deque[datetime] = deque()
        self._sent_to: dict[int, deque[datetime]] = {}
        self._updates: list[JSONDict] = []
        # Updates are queued from the tests' thread while the HTTP server's thread confirms
        # them: the list changes under this lock only, or an update queued meanwhile is lost.
        self._updates_lock = threading.Lock()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._update_ids = _UPDATE_IDS
        self._file_seq = itertools.count(1)
        self._query_seq = itertools.count(1)
        self._handlers: dict[str, Handler] = {
            "getMe": lambda _: self.bot_user(),
            "logOut": lambda _: True,
            "close": lambda _: True,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "editMessageCaption": self._edit_message_caption,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "sendVenue": self._send_venue,
            "sendLocation": self._send_location,
            "sendChatAction": self._send_chat_action,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "setMyDescription": self._set_my_description,
            "getMyDescription": self._get_my_description,
            "setMyShortDescription": self._set_my_short_description,
            "getMyShortDescription": self._get_my_short_description,
            "setMyName": self._set_my_name,
            "getMyName": self._get_my_name,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "copyMessage": self._copy_message,
            "forwardMessage": self._forward_message,
            "getFile": self._get_file,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
        }

    # -- wiring ------------------------------------------------------------------------------

    def request(self) -> FakeRequest:
        """A fresh `BaseRequest` bound to this server (PTB needs one per request kind)."""
        return FakeRequest(self)

    async def dispatch(self, method_name: str, params: Mapping[str, Any]) -> tuple[int, JSONDict]:
        """Answer one call as Telegram would: (HTTP status, response body)."""
        method = self.spec.method(method_name)
        if method is None:
            error = ApiError(404, "Not Found")
            self.calls.append(
                ApiCall(method_name, dict(params), ok=False, error=error.description)
            )
            return error.error_code, error.to_json()
        name = method.name
        result: Any
        try:
            self._raise_injected_fault(name)
            self.spec.validate_call(method, params)
            self._check_blocked(name, params)
            self._check_rate(name, params)
            if name == "getUpdates":
                result = await self._get_updates(params)
            elif name in self._handlers:
                result = self._handlers[name](params)
            elif method.returns == ("Boolean",):
                result = True
            else:
                raise bad_request("method not supported by the fake")
        except ApiError as exc:
            self.calls.append(ApiCall(name, dict(params), ok=False, error=exc.description))
            return exc.error_code, exc.to_json()
        except Exception as exc:
            self.calls.append(ApiCall(name, dict(params), ok=False, error=repr(exc)))
            raise
        self.calls.append(ApiCall(name, dict(params), ok=True))
        return 200, {"ok": True, "result": result}

    def download(self, url: str) -> tuple[int, bytes]:
        """Serve `https://api.telegram.org/file/bot<token>/<file_path>`."""
        for file in self.files.values():
            if url.endswith("/" + file.file_path):
                return 200, file.content
        return 404, json.dumps(ApiError(404, "Not Found").to_json()).encode()

    # -- test controls -----------------------------------------------------------------------

    def add_chat(
        self,
        chat_id: int,
        *,
        type: ChatType = "private",
        title: str | None = None,
        username: str | None = None,
        first_name: str | None = None,
    ) -> FakeChat:
        """Register a chat the bot may write to (make_message does this for its chat)."""
        if type != "private" and title is None:
            title = f"Chat {chat_id}"
        if type == "private" and first_name is None:
            first_name = "Test"
        chat = FakeChat(chat_id, type, title=title, username=username, first_name=first_name)
        self.chats[chat_id] = chat
        self._messages.setdefault(chat_id, [])
        return chat

    def fail_next(
        self,
        method: str,
        *,
        error_code: int,
        description: str,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
        count: int = 1,
    ) -> None:
        """Make the next `count` calls of `method` fail with this Telegram error.

        A 429 always carries `retry_after` (1 second unless given), as Telegram's does.
        """
        spec = self.spec.method(method)
        if spec is None:
            raise ValueError(f"unknown Bot API method {method!r}")
        parameters: JSONDict = {}
        if retry_after is None and error_code == 429:
            retry_after = 1
        if retry_after is not None:
            parameters["retry_after"] = retry_after
        if migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = migrate_to_chat_id
        error = ApiError(error_code, description, parameters or None)
        self._faults.setdefault(spec.name, deque()).append(_Fault(error, count))

    def refuse_next(self, method: str, *, count: int = 1) -> None:
        """The next `count` calls of `method` never arrive: the connection is refused."""
        self._connection_faults.setdefault(self._method_name(method), deque()).append(
            _ConnectionFault("refused", count)
        )

    def reset_after_next(self, method: str, *, count: int = 1) -> None:
        """The next `count` calls of `method` are carried out, then the connection is reset
        before the answer: the client cannot tell whether they arrived."""
        self._connection_faults.setdefault(self._method_name(method), deque()).append(
            _ConnectionFault("reset", count)
        )

    def connection_fault(self, method: str) -> Connection | None:
        """The connection fault the next call of `method` meets, if one was injected."""
        spec = self.spec.method(method)
        queue = self._connection_faults.get(spec.name) if spec is not None else None
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.popleft()
        return fault.kind

    def _method_name(self, method: str) -> str:
        spec = self.spec.method(method)
        if spec is None:
            raise ValueError(f"unknown Bot API method {method!r}")
        return spec.name

    def block_user(self, chat_id: int) -> None:
        """The user blocked the bot: deliveries to this chat fail with 403."""
        self._blocked.add(chat_id)

    def unblock_user(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    def set_chat_member(self, chat_id: int, user_id: int, status: str) -> None:
        """Status getChatMember reports: creator, administrator, member, restricted, left..."""
        self._members[(chat_id, user_id)] = status

    def queue_update(self, update: JSONDict) -> None:
        """Deliver `update` through getUpdates (polling); safe to call from another thread."""
        with self._updates_lock:
            self._updates.append(update)
        for loop, waiter in list(self._waiters):
            loop.call_soon_threadsafe(_wake, waiter)

    # -- inspection --------------------------------------------------------------------------

    def messages(self, chat_id: int) -> list[FakeMessage]:
        """Every message of the chat in order, the user's and the bot's, deleted ones included."""
        return list(self._messages.get(chat_id, []))

    def bot_messages(self, chat_id: int) -> list[FakeMessage]:
        return [m for m in self._messages.get(chat_id, []) if m.from_bot]

    def last_bot_message(self, chat_id: int) -> FakeMessage:
        """The bot's latest message in the chat; AssertionError if it sent none."""
        sent = self.bot_messages(chat_id)
        assert sent, f"the bot sent nothing to chat {chat_id}"
        return sent[-1]

    @property
    def pending_polls(self) -> int:
        """How many getUpdates calls are waiting for an update (long polling)."""
        return len(self._waiters)

    def calls_to(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method == method]

    def my_commands(
        self, scope: JSONDict | None = None, language_code: str = ""
    ) -> list[JSONDict]:
        """The commands set for this scope and language (what getMyCommands would answer)."""
        return list(self._commands.get((_scope_key(scope), language_code), []))

    def bot_user(self) -> JSONDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def message_json(self, message: FakeMessage, *, with_reply: bool = True) -> JSONDict:
        """The message as Telegram returns it (Message object)."""
        sender = self.bot_user() if message.from_bot else self.users[message.from_user_id or 0]
        data: JSONDict = {
            "message_id": message.message_id,
            "date": message.date,
            "chat": self.chats[message.chat_id].to_json(),
            "from": _user_summary(sender),
        }
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        if message.forward_origin is not None:
            data["forward_origin"] = message.forward_origin
        text, entities = message.rendered_text()
        if text is not None:
            data["text"] = text
            if entities:
                data["entities"] = list(entities)
        caption, caption_entities = message.rendered_caption()
        if caption is not None:
            data["caption"] = caption
            if caption_entities:
                data["caption_entities"] = list(caption_entities)
        if message.document is not None:
            data["document"] = _document_json(message.document)
        if message.photo is not None:
            data["photo"] = [_photo_size_json(message.photo)]
        if message.venue is not None:
            data["venue"] = message.venue
        if message.location is not None:
            data["location"] = message.location
        if message.reply_markup is not None and "inline_keyboard" in message.reply_markup:
            data["reply_markup"] = message.reply_markup
        if with_reply and message.reply_to_message_id is not None:
            replied = self._find(message.chat_id, message.reply_to_message_id)
            if replied is not None and not replied.deleted:
                data["reply_to_message"] = self.message_json(replied, with_reply=False)
        return data

    # -- updates from users ------------------------------------------------------------------

    def make_message(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str = "Test",
        language_code: str | None = "en",
        chat_id: int | None = None,
        chat_type: ChatType = "private",
        username: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> JSONDict:
        """An Update with a text message from a user (commands get a bot_command entity)."""
        entities: list[JSONDict] = []
        command = _COMMAND.match(text)
        if command:
            entities.append({"type": "bot_command", "offset": 0, "length": command.end()})
        message = self._user_message(
            user_id,
            first_name=first_name,
            language_code=language_code,
            chat_id=chat_id,
            chat_type=chat_type,
            username=username,
            reply_to_message_id=reply_to_message_id,
            kind="text",
        )
        message.text = text
        message.entities = entities or None
        return {"update_id": next(self._update_ids), "message": self.message_json(message)}

    def make_document_message(
        self,
        user_id: int,
        filename: str,
        content: bytes,
        *,
        mime_type: str | None = None,
        caption: str | None = None,
        first_name: str = "Test",
        language_code: str | None = "en",
        chat_id: int | None = None,
        chat_type: ChatType = "private",
        username: str | None = None,
    ) -> JSONDict:
        """An Update with a document from a user; the bot can getFile and download it."""
        mime = mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        message = self._user_message(
            user_id,
            first_name=first_name,
            language_code=language_code,
            chat_id=chat_id,
            chat_type=chat_type,
            username=username,
            reply_to_message_id=None,
            kind="document",
        )
        message.document = self._store_file(Upload(filename, mime, content))
        message.caption = caption
        return {"update_id": next(self._update_ids), "message": self.message_json(message)}

    def make_photo_message(
        self,
        user_id: int,
        content: bytes,
        *,
        caption: str | None = None,
        first_name: str = "Test",
        language_code: str | None = "en",
    ) -> JSONDict:
        """An Update with a photo from a user, in their private chat with the bot."""
        message = self._user_message(
            user_id,
            first_name=first_name,
            language_code=language_code,
            chat_id=None,
            chat_type="private",
            username=None,
            reply_to_message_id=None,
            kind="photo",
        )
        message.photo = self._store_file(Upload("photo.jpg", "image/jpeg", content))
        message.caption = caption
        return {"update_id": next(self._update_ids), "message": self.message_json(message)}

    def make_callback(
        self,
        user_id: int,
        message_id: int,
        data: str,
        *,
        chat_id: int | None = None,
        language_code: str | None = "en",
        first_name: str = "Test",
        username: str | None = None,
        check_button: bool = True,
    ) -> JSONDict:
        """An Update for a press of the inline button with `data` under a bot message.

        With `check_button` the message must currently carry a button with that data, as a
        real client only offers the buttons it shows.
        """
        chat = user_id if chat_id is None else chat_id
        message = self._find(chat, message_id)
        if message is None or message.deleted:
            raise LookupError(f"no message {message_id} in chat {chat}")
        if check_button and data not in message.callback_data():
            raise LookupError(
                f"message {message_id} has no button with callback_data {data!r}: "
                f"{message.callback_data()}"
            )
        user = self._remember_user(user_id, first_name, username, language_code)
        query_id = f"{user_id}{next(self._query_seq):06d}"
        self._pending_queries.add(query_id)
        return {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": query_id,
                "from": user,
                "message": self.message_json(message),
                "chat_instance": f"ci{chat}",
                "data": data,
            },
        }

    # -- internals ---------------------------------------------------------------------------

    def _remember_user(
        self, user_id: int, first_name: str, username: str | None, language_code: str | None
    ) -> JSONDict:
        user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username is not None:
            user["username"] = username
        if language_code is not None:
            user["language_code"] = language_code
        self.users[user_id] = user
        return user

    def _user_message(
        self,
        user_id: int,
        *,
        first_name: str,
        language_code: str | None,
        chat_id: int | None,
        chat_type: ChatType,
        username: str | None,
        reply_to_message_id: int | None,
        kind: str,
    ) -> FakeMessage:
        if chat_type != "private" and chat_id is None:
            raise ValueError(f"a {chat_type} message needs a chat_id")
        self._remember_user(user_id, first_name, username, language_code)
        chat = user_id if chat_id is None else chat_id
        if chat not in self.chats:
            self.add_chat(
                chat,
                type=chat_type,
                username=username if chat_type == "private" else None,
                first_name=first_name if chat_type == "private" else None,
            )
        if reply_to_message_id is not None and self._find(chat, reply_to_message_id) is None:
            raise LookupError(f"no message {reply_to_message_id} in chat {chat}")
        message = FakeMessage(
            message_id=self._next_message_id(chat),
            chat_id=chat,
            from_bot=False,
            date=self._timestamp(),
            kind=kind,
            from_user_id=user_id,
            reply_to_message_id=reply_to_message_id,
        )
        self._messages[chat].append(message)
        return message

    def _timestamp(self) -> int:
        return int(self._now().timestamp())

    def _next_message_id(self, chat_id: int) -> int:
        return len(self._messages.setdefault(chat_id, [])) + 1

    def _find(self, chat_id: int, message_id: int) -> FakeMessage | None:
        return next(
            (m for m in self._messages.get(chat_id, []) if m.message_id == message_id), None
        )

    def _notify(self, message: FakeMessage, event: BotMessageEvent) -> None:
        for listener in list(self.on_bot_message):
            listener(message, event)

    def _raise_injected_fault(self, method: str) -> None:
        queue = self._faults.get(method)
        if not queue:
            return
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.popleft()
        raise fault.error

    def _check_blocked(self, method: str, params: Mapping[str, Any]) -> None:
        if not method.startswith(_DELIVERING_PREFIXES) or "chat_id" not in params:
            return
        chat_id = params["chat_id"]
        if isinstance(chat_id, int) and chat_id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")

    def _check_rate(self, method: str, params: Mapping[str, Any]) -> None:
        """Answer 429 with retry_after when a message would exceed a configured limit."""
        if not method.startswith(_RATE_LIMITED_PREFIXES):
            return
        now = self._now()
        chat_id = params.get("chat_id")
        windows: list[tuple[deque[datetime], tuple[int, float]]] = []
        if self.rate_limit is not None:
            windows.append((self._sent_at, self.rate_limit))
        if self.per_chat_limit is not None and isinstance(chat_id, int):
            windows.append((self._sent_to.setdefault(chat_id, deque()), self.per_chat_limit))
        for sent, (limit, seconds) in windows:
            horizon = now - timedelta(seconds=seconds)
            while sent and sent[0] <= horizon:
                sent.popleft()
            if len(sent) >= limit:
                self.throttled += 1
                wait = (sent[0] - horizon).total_seconds()
                raise ApiError(
                    429,
                    f"Too Many Requests: retry after {max(1, math.ceil(wait))}",
                    parameters={"retry_after": max(1, math.ceil(wait))},
                )
        for sent, _limit in windows:
            sent.append(now)

    def _chat(self, chat_ref: int | str) -> FakeChat:
        if isinstance(chat_ref, str):
            if chat_ref.lstrip("-").isdigit():
                chat_ref = int(chat_ref)
            else:
                name = chat_ref.removeprefix("@").lower()
                for chat in self.chats.values():
                    if chat.username is not None and chat.username.lower() == name:
                        return chat
                raise bad_request("chat not found")
        found = self.chats.get(chat_ref)
        if found is None:
            raise bad_request("chat not found")
        return found

    def _store_file(self, upload: Upload) -> FakeFile:
        seq = next(self._file_seq)
        file = FakeFile(
            file_id=f"BQACAgQAAxkBAAI{seq:08d}",
            file_unique_id=f"AgAD{seq:06d}",
            filename=upload.filename,
            mime_type=upload.mime_type,
            content=upload.content,
        )
        self.files[file.file_id] = file
        return file

    def _resolve_file(self, value: Upload | str, default_mime: str) -> FakeFile:
        if isinstance(value, Upload):
            return self._store_file(value)
        if value in self.files:
            return self.files[value]
        if value.startswith(("http://", "https://")):
            filename = urlsplit(value).path.rsplit("/", 1)[-1] or "file"
            mime = mimetypes.guess_type(filename)[0] or default_mime
            return self._store_file(Upload(filename, mime, b""))
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _new_bot_message(self, params: Mapping[str, Any], kind: str) -> FakeMessage:
        chat = self._chat(params["chat_id"])
        reply_to = self._reply_target(chat.id, params)
        markup = params.get("reply_markup")
        message = FakeMessage(
            message_id=self._next_message_id(chat.id),
            chat_id=chat.id,
            from_bot=True,
            date=self._timestamp(),
            kind=kind,
            parse_mode=params.get("parse_mode"),
            reply_markup=dict(markup) if markup is not None else None,
            reply_to_message_id=reply_to,
        )
        return message

    def _deliver(self, message: FakeMessage) -> JSONDict:
        self._messages[message.chat_id].append(message)
        self._notify(message, "new")
        return self.message_json(message)

    def _reply_target(self, chat_id: int, params: Mapping[str, Any]) -> int | None:
        reply = params.get("reply_parameters")
        if reply is None:
            return None
        target = self._find(chat_id, reply["message_id"])
        if target is None or target.deleted:
            if reply.get("allow_sending_without_reply"):
                return None
            raise bad_request("message to be replied not found")
        return target.message_id

    def _editable(self, params: Mapping[str, Any], missing: str) -> FakeMessage:
        if "inline_message_id" in params:
            raise bad_request("inline messages are not supported by the fake")
        if "chat_id" not in params or "message_id" not in params:
            raise bad_request("message identifier is not specified")
        chat = self._chat(params["chat_id"])
        message = self._find(chat.id, params["message_id"])
        if message is None or message.deleted:
            raise bad_request(missing)
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return message

    def _mark_edited(self, message: FakeMessage) -> JSONDict:
        message.edited = True
        message.edit_date = self._timestamp()
        self._notify(message, "edited")
        return self.message_json(message)

    # -- method handlers ---------------------------------------------------------------------

    def _send_message(self, params: Mapping[str, Any]) -> JSONDict:
        message = self._new_bot_message(params, "text")
        message.text = params["text"]
        message.entities = params.get("entities")
        return self._deliver(message)

    def _send_document(self, params: Mapping[str, Any]) -> JSONDict:
        message = self._new_bot_message(params, "document")
        message.document = self._resolve_file(params["document"], "application/octet-stream")
        message.caption = params.get("caption")
        message.caption_entities = params.get("caption_entities")
        return self._deliver(message)

    def _send_photo(self, params: Mapping[str, Any]) -> JSONDict:
        message = self._new_bot_message(params, "photo")
        message.photo = self._resolve_file(params["photo"], "image/jpeg")
        message.caption = params.get("caption")
        message.caption_entities = params.get("caption_entities")
        return self._deliver(message)

    def _send_venue(self, params: Mapping[str, Any]) -> JSONDict:
        message = self._new_bot_message(params, "venue")
        message.location = {"latitude": params["latitude"], "longitude": params["longitude"]}
        message.venue = {"location": message.location}
        message.venue.update((k, params[k]) for k in _VENUE_FIELDS if k in params)
        return self._deliver(message)

    def _send_location(self, params: Mapping[str, Any]) -> JSONDict:
        message = self._new_bot_message(params, "location")
        message.location = {"latitude": params["latitude"], "longitude": params["longitude"]}
        return self._deliver(message)

    def _send_chat_action(self, params: Mapping[str, Any]) -> bool:
        self._chat(params["chat_id"])
        if params["action"] not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    def _edit_message_text(self, params: Mapping[str, Any]) -> JSONDict:
        message = self._editable(params, "message to edit not found")
        if message.kind != "text":
            raise bad_request("there is no text in the message to edit")
        new = FakeMessage(
            0,
            message.chat_id,
            True,
            0,
            text=params["text"],
            parse_mode=params.get("parse_mode"),
            entities=params.get("entities"),
        )
        markup = params.get("reply_markup")
        if new.rendered_text() == message.rendered_text() and markup == message.reply_markup:
            raise bad_request(_NOT_MODIFIED)
        message.text, message.parse_mode, message.entities = new.text, new.parse_mode, new.entities
        message.reply_markup = markup  # omitted markup removes the keyboard, as on Telegram
        return self._mark_edited(message)

    def _edit_message_caption(self, params: Mapping[str, Any]) -> JSONDict:
        message = self._editable(params, "message to edit not found")
        if message.kind not in _MEDIA_KINDS:
            raise bad_request("there is no caption in the message to edit")
        new = FakeMessage(
            0,
            message.chat_id,
            True,
            0,
            caption=params.get("caption"),
            parse_mode=params.get("parse_mode"),
            caption_entities=params.get("caption_entities"),
        )
        markup = params.get("reply_markup")
        same_caption = new.rendered_caption() == message.rendered_caption()
        if same_caption and markup == message.reply_markup:
            raise bad_request(_NOT_MODIFIED)
        message.caption, message.caption_entities = new.caption, new.caption_entities
        message.parse_mode = new.parse_mode
        message.reply_markup = markup
        return self._mark_edited(message)

    def _edit_message_reply_markup(self, params: Mapping[str, Any]) -> JSONDict:
        message = self._editable(params, "message to edit not found")
        markup = params.get("reply_markup")
        if markup == message.reply_markup:
            raise bad_request(_NOT_MODIFIED)
        message.reply_markup = markup
        return self._mark_edited(message)

    def _delete_message(self, params: Mapping[str, Any]) -> bool:
        chat = self._chat(params["chat_id"])
        message = self._find(chat.id, params["message_id"])
        if message is None or message.deleted:
            raise bad_request("message to delete not found")
        message.deleted = True
        self._notify(message, "deleted")
        return True

    def _answer_callback_query(self, params: Mapping[str, Any]) -> bool:
        query_id = params["callback_query_id"]
        if query_id not in self._pending_queries:
            raise bad_request(_QUERY_INVALID)
        self._pending_queries.discard(query_id)
        self.callback_answers[query_id] = dict(params)
        return True

    def _copy_message(self, params: Mapping[str, Any]) -> JSONDict:
        source_chat = self._chat(params["from_chat_id"])
        source = self._find(source_chat.id, params["message_id"])
        if source is None or source.deleted:
            raise bad_request("message to copy not found")
        message = self._new_bot_message(params, source.kind)
        # A copy carries the text as users saw it: entities instead of the source's markup.
        text, entities = source.rendered_text()
        message.text, message.entities = text, list(entities) or None
        message.document, message.photo = source.document, source.photo
        message.venue, message.location = source.venue, source.location
        if "caption" in params:
            message.caption = params["caption"]
            message.caption_entities = params.get("caption_entities")
        else:
            caption, caption_entities = source.rendered_caption()
            message.caption, message.caption_entities = caption, list(caption_entities) or None
            message.parse_mode = None
        if text is not None:
            message.parse_mode = None
        self._deliver(message)
        return {"message_id": message.message_id}

    def _forward_message(self, params: Mapping[str, Any]) -> JSONDict:
        source_chat = self._chat(params["from_chat_id"])
        source = self._find(source_chat.id, params["message_id"])
        if source is None or source.deleted:
            raise bad_request("message to forward not found")
        message = self._new_bot_message(params, source.kind)
        message.reply_markup = None
        message.text, message.parse_mode, message.entities = (
            source.text,
            source.parse_mode,
            source.entities,
        )
        message.caption, message.caption_entities = source.caption, source.caption_entities
        message.document, message.photo = source.document, source.photo
        message.venue, message.location = source.venue, source.location
        sender = self.bot_user() if source.from_bot else self.users[source.from_user_id or 0]
        message.forward_origin = {
            "type": "user",
            "sender_user": _user_summary(sender),
            "date": source.date,
        }
        return self._deliver(message)

    def _get_file(self, params: Mapping[str, Any]) -> JSONDict:
        file = self.files.get(params["file_id"])
        if file is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
            "file_size": len(file.content),
            "file_path": file.file_path,
        }

    def _set_my_commands(self, params: Mapping[str, Any]) -> bool:
        scope = params.get("scope")
        if scope is not None and "chat_id" in scope:
            self._chat(scope["chat_id"])
        key = (_scope_key(scope), params.get("language_code", ""))
        self._commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in params["commands"]
        ]
        return True

    def _get_my_commands(self, params: Mapping[str, Any]) -> list[JSONDict]:
        return self.my_commands(params.get("scope"), params.get("language_code", ""))

    def _delete_my_commands(self, params: Mapping[str, Any]) -> bool:
        key = (_scope_key(params.get("scope")), params.get("language_code", ""))
        self._commands.pop(key, None)
        return True

    def _set_chat_menu_button(self, params: Mapping[str, Any]) -> bool:
        chat_id = self._chat(params["chat_id"]).id if "chat_id" in params else None
        self.menu_buttons[chat_id] = dict(params.get("menu_button", {"type": "default"}))
        return True

    def _get_chat_menu_button(self, params: Mapping[str, Any]) -> JSONDict:
        chat_id = self._chat(params["chat_id"]).id if "chat_id" in params else None
        default = self.menu_buttons.get(None, {"type": "default"})
        return self.menu_buttons.get(chat_id, default)

    def _set_my_description(self, params: Mapping[str, Any]) -> bool:
        self.bot_descriptions[params.get("language_code", "")] = params.get("description", "")
        return True

    def _get_my_description(self, params: Mapping[str, Any]) -> JSONDict:
        return {"description": self.bot_descriptions.get(params.get("language_code", ""), "")}

    def _set_my_short_description(self, params: Mapping[str, Any]) -> bool:
        language = params.get("language_code", "")
        self.bot_short_descriptions[language] = params.get("short_description", "")
        return True

    def _get_my_short_description(self, params: Mapping[str, Any]) -> JSONDict:
        language = params.get("language_code", "")
        return {"short_description": self.bot_short_descriptions.get(language, "")}

    def _set_my_name(self, params: Mapping[str, Any]) -> bool:
        self.bot_names[params.get("language_code", "")] = params.get("name", "")
        return True

    def _get_my_name(self, params: Mapping[str, Any]) -> JSONDict:
        name = self.bot_names.get(params.get("language_code", ""), "")
        return {"name": name or self.bot_first_name}

    def _get_chat(self, params: Mapping[str, Any]) -> JSONDict:
        chat = self._chat(params["chat_id"])
        return {
            **chat.to_json(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": self._defaults("AcceptedGiftTypes", {}),
        }

    def _get_chat_member(self, params: Mapping[str, Any]) -> JSONDict:
        chat = self._chat(params["chat_id"])
        user_id: int = params["user_id"]
        if user_id == self.bot_id:
            user = self.bot_user()
        elif user_id in self.users:
            user = self.users[user_id]
        else:
            raise bad_request("user not found")
        default = "member" if chat.type == "private" or user_id == self.bot_id else "left"
        if chat.type != "private" and any(
            m.from_user_id == user_id for m in self._messages.get(chat.id, [])
        ):
            default = "member"
        status = self._members.get((chat.id, user_id), default)
        subtype = {
            "creator": "ChatMemberOwner",
            "administrator": "ChatMemberAdministrator",
            "member": "ChatMemberMember",
            "restricted": "ChatMemberRestricted",
            "left": "ChatMemberLeft",
            "kicked": "ChatMemberBanned",
        }[status]
        overrides: JSONDict = {"status": status, "user": _user_summary(user)}
        if status == "administrator":
            fields = self.spec.types[subtype].fields or {}
            overrides |= {name: True for name in fields if name.startswith("can_")}
            overrides["can_be_edited"] = False
        return self._defaults(subtype, overrides)

    def _defaults(self, type_name: str, overrides: JSONDict) -> JSONDict:
        """An object of `type_name` with every required field (False/0/"" unless overridden)."""
        zero: dict[str, Any] = {"Boolean": False, "Integer": 0, "Float": 0.0, "String": ""}
        data: JSONDict = {}
        for spec in (self.spec.types[type_name].fields or {}).values():
            if spec.name in overrides:
                data[spec.name] = overrides[spec.name]
            elif spec.required:
                data[spec.name] = zero[spec.types[0]]
        return data

    def _set_webhook(self, params: Mapping[str, Any]) -> bool:
        self.webhook = {k: v for k, v in params.items() if not isinstance(v, Upload)}
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _delete_webhook(self, params: Mapping[str, Any]) -> bool:
        self.webhook = {"url": ""}
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _get_webhook_info(self, params: Mapping[str, Any]) -> JSONDict:
        return {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": "certificate" in self.webhook,
            "pending_update_count": len(self._updates),
        }

    async def _get_updates(self, params: Mapping[str, Any]) -> list[JSONDict]:
        if self.webhook.get("url"):
            raise ApiError(409, _WEBHOOK_CONFLICT)
        offset = params.get("offset")
        if offset:
            # Telegram forgets updates below the offset: they are confirmed.
            with self._updates_lock:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
        timeout = params.get("timeout", 0)
        if not self._updates and timeout > 0:
            await self._wait_for_update(timeout)
        limit = params.get("limit") or 100
        with self._updates_lock:
            return self._updates[:limit]

    async def _wait_for_update(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        entry = (loop, waiter)
        self._waiters.append(entry)
        try:
            await asyncio.wait_for(waiter, seconds)
        except TimeoutError:
            pass
        finally:
            self._waiters.remove(entry)


class FakeRequest(BaseRequest):
    """A `BaseRequest` that answers from a `FakeBotApi` instead of the network."""

    def __init__(self, api: FakeBotApi) -> None:
        self.api = api

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if "/file/bot" in url:
            return self.api.download(url)
        method_name = url.rsplit("/", 1)[-1]
        params = _request_params(request_data)
        fault = self.api.connection_fault(method_name)
        if fault == "refused":
            _raise_as_httpx_request(httpx.ConnectError("[Errno 111] Connection refused"))
        status, body = await self.api.dispatch(method_name, params)
        if fault == "reset":
            _raise_as_httpx_request(httpx.ReadError("[Errno 104] Connection reset by peer"))
        return status, json.dumps(body).encode("utf-8")


def _raise_as_httpx_request(error: httpx.HTTPError) -> NoReturn:
    """Raise a transport error the way PTB's HTTPXRequest does."""
    raise NetworkError(f"httpx.{type(error).__name__}: {error}") from error


def _request_params(request_data: RequestData | None) -> dict[str, Any]:
    """Parameters as Telegram would see them, uploaded files as `Upload`."""
    if request_data is None:
        return {}
    params: dict[str, Any] = dict(request_data.parameters)
    if not request_data.contains_files:
        return params
    uploads: dict[str, Upload] = {}
    for part, (filename, content, mime_type) in request_data.multipart_data.items():
        data = content if isinstance(content, bytes) else content.read()
        uploads[part] = Upload(filename, mime_type, data)
    referenced = set(_attach_references(params.values()))
    for name, value in list(params.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            part = value.removeprefix("attach://")
            if part in uploads:
                params[name] = uploads[part]
    for part, upload in uploads.items():
        if part not in referenced and part not in params:
            params[part] = upload  # a direct upload travels under the parameter's own name
    return params


def _attach_references(values: Iterable[Any]) -> Iterable[str]:
    for value in values:
        if isinstance(value, str) and value.startswith("attach://"):
            yield value.removeprefix("attach://")
        elif isinstance(value, dict):
            yield from _attach_references(value.values())
        elif isinstance(value, list):
            yield from _attach_references(value)


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


def _scope_key(scope: Mapping[str, Any] | None) -> str:
    return json.dumps(dict(scope) if scope else {"type": "default"}, sort_keys=True)


def _user_summary(user: JSONDict) -> JSONDict:
    """A User as it appears inside a Message (getMe-only fields left out)."""
    keys = ("id", "is_bot", "first_name", "last_name", "username", "language_code")
    return {k: user[k] for k in keys if k in user}


def _document_json(file: FakeFile) -> JSONDict:
    return {
        "file_id": file.file_id,
        "file_unique_id": file.file_unique_id,
        "file_name": file.filename,
        "mime_type": file.mime_type,
        "file_size": len(file.content),
    }


def _photo_size_json(file: FakeFile) -> JSONDict:
    return {
        "file_id": file.file_id,
        "file_unique_id": file.file_unique_id,
        "width": 1280,
        "height": 960,
        "file_size": len(file.content),
    }
