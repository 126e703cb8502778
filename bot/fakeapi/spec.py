"""The Bot API contract (from `botapi.json`) and the checks Telegram applies to a method call."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from bot.fakeapi.html import HtmlParseError, parse_html, utf16_len

__all__ = [
    "ApiError",
    "BotApiSpec",
    "FieldSpec",
    "MethodSpec",
    "TypeSpec",
    "Upload",
    "bad_request",
    "formatted_text",
    "load_spec",
]

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER = 200
MAX_COMMANDS = 100
MAX_COMMAND_DESCRIPTION = 256
MAX_BOT_DESCRIPTION = 512
MAX_BOT_SHORT_DESCRIPTION = 120
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_PARSE_MODES = {"html": "HTML", "markdown": "Markdown", "markdownv2": "MarkdownV2"}
# InlineKeyboardButton fields that decorate a button rather than say what it does.
_BUTTON_DECORATIONS = frozenset({"text", "icon_custom_emoji_id", "style"})
_SCALARS = frozenset({"Integer", "Float", "String", "Boolean", "InputFile"})


class ApiError(Exception):
    """A call Telegram answers with `{"ok": false, ...}`."""

    def __init__(
        self, error_code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str) -> ApiError:
    """A 400 answer with Telegram's "Bad Request: " prefix."""
    return ApiError(400, f"Bad Request: {detail}")


@dataclass(frozen=True)
class Upload:
    """A file uploaded with multipart/form-data."""

    filename: str
    mime_type: str
    content: bytes


@dataclass(frozen=True)
class FieldSpec:
    name: str
    types: tuple[str, ...]
    required: bool
    const: str | None = None


@dataclass(frozen=True)
class MethodSpec:
    name: str
    fields: Mapping[str, FieldSpec]
    returns: tuple[str, ...]


@dataclass(frozen=True)
class TypeSpec:
    name: str
    fields: Mapping[str, FieldSpec] | None  # None: no fields listed (e.g. InputFile)
    subtypes: tuple[str, ...] = ()


def _fields(rows: Sequence[Mapping[str, Any]]) -> dict[str, FieldSpec]:
    return {
        row["name"]: FieldSpec(row["name"], tuple(row["types"]), row["required"], row.get("const"))
        for row in rows
    }


def _human(type_name: str) -> str:
    """`InlineKeyboardButton` -> `inline keyboard button`, as Telegram words its errors."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", type_name).lower()


def formatted_text(text: str, parse_mode: str | None) -> tuple[str, tuple[dict[str, Any], ...]]:
    """Visible text and entities for `text` sent with `parse_mode`; raises `ApiError`."""
    if parse_mode is None or parse_mode == "":
        return text, ()
    mode = _PARSE_MODES.get(parse_mode.lower())
    if mode is None:
        raise bad_request(f"unsupported parse_mode {parse_mode!r}")
    if mode != "HTML":
        return text, ()  # Markdown is not parsed by the fake; counted as sent.
    try:
        parsed = parse_html(text)
    except HtmlParseError as exc:
        raise bad_request(f"can't parse entities: {exc}") from exc
    return parsed.text, parsed.entities


class BotApiSpec:
    """Methods and types of the Bot API, and validation of calls against them."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.version: str = data["version"]
        self.source: str = data["source"]
        self.methods: dict[str, MethodSpec] = {
            name: MethodSpec(name, _fields(m["fields"]), tuple(m["returns"]))
            for name, m in data["methods"].items()
        }
        self.types: dict[str, TypeSpec] = {
            name: TypeSpec(
                name,
                _fields(t["fields"]) if "fields" in t else None,
                tuple(t.get("subtypes", ())),
            )
            for name, t in data["types"].items()
        }
        self._by_lower = {name.lower(): name for name in self.methods}
        self._object_rules: dict[str, Callable[[Mapping[str, Any]], None]] = {
            "InlineKeyboardButton": self._check_inline_button,
            "BotCommand": _check_bot_command,
        }

    def method(self, name: str) -> MethodSpec | None:
        """The method called `name`; Telegram matches method names case-insensitively."""
        canonical = self._by_lower.get(name.lower())
        return None if canonical is None else self.methods[canonical]

    def validate_call(self, method: MethodSpec, params: Mapping[str, Any]) -> None:
        """Raise `ApiError` (400) where Telegram would reject `params` for `method`."""
        for spec in method.fields.values():
            if spec.name not in params:
                if spec.required:
                    raise _missing(method.name, spec.name)
                continue
            self._check_field(spec, params[spec.name], spec.name)
        self._check_prose_limits(method.name, params)

    # -- structure -------------------------------------------------------------------------

    def _check_field(self, spec: FieldSpec, value: Any, path: str) -> None:
        if spec.const is not None and value != spec.const:
            raise bad_request(f'field "{path}" must be "{spec.const}"')
        self._check_value(value, spec.types, path)

    def _expand(self, types: Sequence[str]) -> list[str]:
        """Replace abstract types (e.g. `BotCommandScope`) with their concrete subtypes."""
        out: list[str] = []
        for name in types:
            spec = self.types.get(name)
            if spec is not None and spec.subtypes:
                out.extend(t for t in self._expand(spec.subtypes) if t not in out)
            elif name not in out:
                out.append(name)
        return out

    def _check_value(self, value: Any, types: Sequence[str], path: str) -> None:
        expanded = self._expand(types)
        if any(_scalar_matches(value, t) for t in expanded if t in _SCALARS):
            return
        arrays = [t.removeprefix("Array of ") for t in expanded if t.startswith("Array of ")]
        if arrays and isinstance(value, list):
            for index, item in enumerate(value):
                self._check_value(item, arrays, f"{path}[{index}]")
            return
        objects = [t for t in expanded if t in self.types and t not in _SCALARS]
        if objects and isinstance(value, dict):
            self._check_object(value, objects, path)
            return
        raise bad_request(f'field "{path}" must be of type {" or ".join(types)}')

    def _check_object(self, value: Mapping[str, Any], candidates: list[str], path: str) -> None:
        def fits(name: str) -> bool:
            fields = self.types[name].fields or {}
            return all(
                f.name in value and (f.const is None or value[f.name] == f.const)
                for f in fields.values()
                if f.required
            )

        fitting = [name for name in candidates if fits(name)]
        if not fitting:
            name = candidates[0] if len(candidates) == 1 else None
            if name is None:
                raise bad_request(f'can\'t parse "{path}": not a valid {" or ".join(candidates)}')
            fields = self.types[name].fields or {}
            missing = next(f for f in fields.values() if f.required and f.name not in value)
            if missing.const is not None:
                raise bad_request(f'can\'t parse {_human(name)}: field "{missing.name}" is wrong')
            raise bad_request(
                f'can\'t parse {_human(name)}: field "{missing.name}" must be specified'
            )
        first_error: ApiError | None = None
        for name in fitting:
            try:
                self._check_object_as(value, name, path)
            except ApiError as exc:
                first_error = first_error or exc
            else:
                return
        assert first_error is not None
        raise first_error

    def _check_object_as(self, value: Mapping[str, Any], type_name: str, path: str) -> None:
        for spec in (self.types[type_name].fields or {}).values():
            if spec.name in value:
                self._check_field(spec, value[spec.name], f"{path}.{spec.name}")
        rule = self._object_rules.get(type_name)
        if rule is not None:
            rule(value)

    def _check_inline_button(self, button: Mapping[str, Any]) -> None:
        fields = self.types["InlineKeyboardButton"].fields or {}
        actions = [name for name in fields if name not in _BUTTON_DECORATIONS and name in button]
        if not actions:
            raise bad_request(
                "can't parse inline keyboard button: Text buttons are unallowed in the inline "
                "keyboard"
            )
        if len(actions) > 1:
            raise bad_request(
                "can't parse inline keyboard button: exactly one of the optional fields must be "
                f"used, got {', '.join(actions)}"
            )
        data = button.get("callback_data")
        if data is not None and not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")

    # -- limits stated in prose ------------------------------------------------------------

    def _check_prose_limits(self, method: str, params: Mapping[str, Any]) -> None:
        parse_mode = params.get("parse_mode")
        if method in ("sendMessage", "editMessageText") and "rich_message" not in params:
            text, _ = formatted_text(params.get("text", ""), parse_mode)
            if not text.strip():
                raise bad_request("message text is empty")
            if utf16_len(text) > MAX_TEXT:
                raise bad_request("message is too long")
        if "caption" in params:
            caption, _ = formatted_text(params["caption"], parse_mode)
            if utf16_len(caption) > MAX_CAPTION:
                raise bad_request("message caption is too long")
        if method == "answerCallbackQuery" and utf16_len(params.get("text", "")) > (
            MAX_CALLBACK_ANSWER
        ):
            raise bad_request("MESSAGE_TOO_LONG")
        if method == "setMyCommands" and len(params["commands"]) > MAX_COMMANDS:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        if method == "setMyDescription" and (
            utf16_len(params.get("description", "")) > MAX_BOT_DESCRIPTION
        ):
            raise bad_request("BOT_DESCRIPTION_INVALID")
        if method == "setMyShortDescription" and (
            utf16_len(params.get("short_description", "")) > MAX_BOT_SHORT_DESCRIPTION
        ):
            raise bad_request("BOT_SHORT_DESCRIPTION_INVALID")


def _missing(method: str, name: str) -> ApiError:
    if name == "text" and method in ("sendMessage", "editMessageText"):
        return bad_request("message text is empty")
    if name == "chat_id":
        return bad_request("chat_id is empty")
    return bad_request(f"parameter {name} is required")


def _scalar_matches(value: Any, type_name: str) -> bool:
    if type_name == "Integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "Float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if type_name == "Boolean":
        return isinstance(value, bool)
    if type_name == "String":
        return isinstance(value, str)
    return isinstance(value, Upload)  # InputFile


def _check_bot_command(command: Mapping[str, Any]) -> None:
    if not _COMMAND.fullmatch(command["command"]):
        raise bad_request("BOT_COMMAND_INVALID")
    if not 1 <= utf16_len(command["description"].strip()) <= MAX_COMMAND_DESCRIPTION:
        raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")


@cache
def load_spec() -> BotApiSpec:
    """The bundled Bot API reference (`botapi.json`), loaded once."""
    text = resources.files("bot.fakeapi").joinpath("botapi.json").read_text(encoding="utf-8")
    return BotApiSpec(json.loads(text))
