"""An in-process fake Telegram Bot API for tests and the console chat.

`FakeBotApi` keeps chats, messages and files in memory and checks every call against the Bot API
reference bundled as `botapi.json`, answering as Telegram would (status codes and descriptions),
so PTB raises its usual `BadRequest`, `Forbidden` or `RetryAfter`. `refuse_next` and
`reset_after_next` break the connection as httpx would: before the call arrives, or after it was
carried out.
"""

from bot.fakeapi.html import FormattedText, HtmlParseError, parse_html, utf16_len, visible_text
from bot.fakeapi.server import (
    ApiCall,
    BotMessageEvent,
    FakeBotApi,
    FakeChat,
    FakeFile,
    FakeMessage,
    FakeRequest,
)
from bot.fakeapi.spec import ApiError, BotApiSpec, Upload, load_spec

__all__ = [
    "ApiCall",
    "ApiError",
    "BotApiSpec",
    "BotMessageEvent",
    "FakeBotApi",
    "FakeChat",
    "FakeFile",
    "FakeMessage",
    "FakeRequest",
    "FormattedText",
    "HtmlParseError",
    "Upload",
    "load_spec",
    "parse_html",
    "utf16_len",
    "visible_text",
]
