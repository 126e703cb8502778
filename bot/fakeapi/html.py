"""Telegram's HTML `parse_mode`: validate a text and turn it into plain text plus entities."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FormattedText", "HtmlParseError", "parse_html", "utf16_len", "visible_text"]

_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]*);")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG_NAME = re.compile(r"[a-zA-Z0-9-]*")
_ATTR_NAME = re.compile(r"[a-zA-Z0-9_-]+")
_UNQUOTED_VALUE = re.compile(r"[^\s>\"'=<`]+")

# Tag -> entity type; a few tags depend on their attributes and are resolved in `_open_entity`.
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_SUPPORTED_TAGS = frozenset({*_SIMPLE_TAGS, "span", "a", "blockquote", "tg-emoji", "tg-time"})


class HtmlParseError(ValueError):
    """The text is not valid Telegram HTML; the message follows Telegram's wording."""


@dataclass(frozen=True)
class FormattedText:
    """Visible text and its entities (offsets in UTF-16 code units, as Telegram counts)."""

    text: str
    entities: tuple[dict[str, Any], ...] = ()


@dataclass
class _Frame:
    tag: str
    start: int  # UTF-16 offset in the visible text
    entity: dict[str, Any] | None  # None for a <code> merged into its enclosing <pre>
    attrs: dict[str, str] = field(default_factory=dict)


def utf16_len(text: str) -> int:
    """Length of `text` in UTF-16 code units, the unit of Telegram's limits and offsets."""
    return len(text.encode("utf-16-le")) // 2


def visible_text(text: str, parse_mode: str | None) -> str:
    """The text a user sees: tags stripped and entities decoded for HTML, `text` otherwise."""
    if parse_mode is not None and parse_mode.lower() == "html":
        return parse_html(text).text
    return text


def parse_html(source: str) -> FormattedText:
    """Parse Telegram HTML; `HtmlParseError` where Telegram answers "can't parse entities"."""
    parser = _Parser(source)
    return parser.run()


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0
        self.out: list[str] = []
        self.out_len = 0  # UTF-16 units emitted so far
        self.stack: list[_Frame] = []
        self.entities: list[dict[str, Any]] = []

    def byte_offset(self, pos: int) -> int:
        return len(self.source[:pos].encode("utf-8"))

    def fail(self, message: str, pos: int) -> HtmlParseError:
        return HtmlParseError(f"{message} at byte offset {self.byte_offset(pos)}")

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.out_len += utf16_len(text)

    def run(self) -> FormattedText:
        src = self.source
        while self.pos < len(src):
            ch = src[self.pos]
            if ch == "<":
                if src.startswith("</", self.pos):
                    self.end_tag()
                else:
                    self.start_tag()
            elif ch == "&":
                self.emit(self.entity())
            elif ch == ">":
                raise self.fail("Character '>' is reserved and must be escaped as &gt;", self.pos)
            else:
                nxt = min(
                    (i for i in (src.find(c, self.pos) for c in "<&>") if i != -1),
                    default=len(src),
                )
                self.emit(src[self.pos : nxt])
                self.pos = nxt
        if self.stack:
            tag = self.stack[-1].tag
            raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{tag}"')
        entities = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return FormattedText("".join(self.out), tuple(entities))

    def entity(self) -> str:
        match = _ENTITY.match(self.source, self.pos)
        if match is None:
            raise self.fail("Character '&' is reserved and must be escaped as &amp;", self.pos)
        name = match.group(1)
        if name.startswith("#"):
            code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
            if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise self.fail(f'Invalid numeric character reference "&{name};"', self.pos)
            value = chr(code)
        elif name in _NAMED_ENTITIES:
            value = _NAMED_ENTITIES[name]
        else:
            raise self.fail(f'Unsupported HTML entity "&{name};"', self.pos)
        self.pos = match.end()
        return value

    def start_tag(self) -> None:
        src = self.source
        begin = self.pos
        name_match = _TAG_NAME.match(src, begin + 1)
        assert name_match is not None  # the pattern matches the empty string
        name = name_match.group(0).lower()
        if name not in _SUPPORTED_TAGS:
            raise self.fail(f'Unsupported start tag "{name}"', begin)
        pos = name_match.end()
        attrs: dict[str, str] = {}
        while True:
            while pos < len(src) and src[pos].isspace():
                pos += 1
            if pos >= len(src):
                raise self.fail("Unclosed start tag", begin)
            if src[pos] == ">":
                pos += 1
                break
            attr = _ATTR_NAME.match(src, pos)
            if attr is None:
                raise self.fail(f'Unexpected character "{src[pos]}" in start tag', pos)
            attr_name = attr.group(0).lower()
            pos = attr.end()
            value = ""
            if pos < len(src) and src[pos] == "=":
                pos += 1
                value, pos = self.attr_value(pos, begin)
            attrs[attr_name] = value
        self.pos = pos
        self.open_entity(name, attrs, begin)

    def attr_value(self, pos: int, tag_begin: int) -> tuple[str, int]:
        src = self.source
        if pos >= len(src):
            raise self.fail("Unclosed start tag", tag_begin)
        quote = src[pos]
        if quote in "\"'":
            end = src.find(quote, pos + 1)
            if end == -1:
                raise self.fail("Unclosed start tag", tag_begin)
            raw = src[pos + 1 : end]
            return _decode_attribute(raw), end + 1
        match = _UNQUOTED_VALUE.match(src, pos)
        if match is None:
            raise self.fail("Expected attribute value", pos)
        return _decode_attribute(match.group(0)), match.end()

    def open_entity(self, tag: str, attrs: dict[str, str], begin: int) -> None:
        parent = self.stack[-1] if self.stack else None
        entity: dict[str, Any] | None
        if tag in _SIMPLE_TAGS:
            entity = {"type": _SIMPLE_TAGS[tag]}
        elif tag == "span":
            if attrs.get("class") != "tg-spoiler":
                raise self.fail('Tag "span" must have class "tg-spoiler"', begin)
            entity = {"type": "spoiler"}
        elif tag == "a":
            href = attrs.get("href", "")
            if not href:
                raise self.fail('Tag "a" must have non-empty attribute "href"', begin)
            entity = {"type": "text_link", "url": href}
        elif tag == "blockquote":
            expandable = "expandable" in attrs
            entity = {"type": "expandable_blockquote" if expandable else "blockquote"}
        elif tag == "tg-emoji":
            emoji_id = attrs.get("emoji-id", "")
            if not emoji_id.isdigit():
                raise self.fail("Custom emoji entity must contain a valid emoji identifier", begin)
            entity = {"type": "custom_emoji", "custom_emoji_id": emoji_id}
        else:  # tg-time
            unix = attrs.get("unix", "")
            if not unix.isdigit():
                raise self.fail('Tag "tg-time" must have a valid attribute "unix"', begin)
            entity = {"type": "date_time", "unix_time": int(unix)}
            if attrs.get("format"):
                entity["date_time_format"] = attrs["format"]
        if tag == "code" and parent is not None and parent.tag == "pre":
            # <pre><code class="language-x"> is one pre entity with a language.
            language = attrs.get("class", "")
            if language.startswith("language-") and parent.entity is not None:
                parent.entity["language"] = language.removeprefix("language-")
            entity = None
        self.stack.append(_Frame(tag, self.out_len, entity, attrs))

    def end_tag(self) -> None:
        src = self.source
        begin = self.pos
        close = src.find(">", begin)
        if close == -1:
            raise self.fail("Unclosed end tag", begin)
        name = src[begin + 2 : close].strip().lower()
        if not self.stack:
            raise self.fail("Unexpected end tag", begin)
        frame = self.stack[-1]
        if name != frame.tag:
            raise self.fail(
                f'Unmatched end tag, expected "</{frame.tag}>", found "</{name}>"', begin
            )
        self.stack.pop()
        self.pos = close + 1
        length = self.out_len - frame.start
        if frame.entity is not None and length > 0:
            self.entities.append({**frame.entity, "offset": frame.start, "length": length})


def _decode_attribute(raw: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("#"):
            code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
            return chr(code) if 0 < code <= 0x10FFFF else match.group(0)
        return _NAMED_ENTITIES.get(name, match.group(0))

    return _ENTITY.sub(replace, raw)
