"""HTML or Markdown from a conference tool's abstracts, turned into Telegram-safe plain text."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_BLOCKS = {
    "p", "div", "section", "article", "blockquote", "pre", "table", "tr",
    "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "dd", "dt", "hr",
}  # fmt: skip
_SKIP = {"script", "style", "head", "title"}
_TAG_RE = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>")
_LINK_RE = re.compile(r"!?\[([^\]]*)\]\((\S+?)(?:\s+\"[^\"]*\")?\)")
_BULLET_RE = re.compile(r"^(\s*)[-*+]\s+", re.MULTILINE)
_HEADING_RE = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.*?)[ \t]*#*[ \t]*$", re.MULTILINE)
_EMPHASIS_RE = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1|(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*")
_CODE_RE = re.compile(r"`([^`\n]+)`")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0
        self._lists: list[list[int]] = []  # per open list: [is_ordered, counter]
        self._href: str | None = None
        self._link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skipping += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in ("ul", "ol"):
            self._lists.append([tag == "ol", 0])
            self.parts.append("\n")
        elif tag == "li":
            indent = "  " * max(len(self._lists) - 1, 0)
            if self._lists and self._lists[-1][0]:
                self._lists[-1][1] += 1
                self.parts.append(f"\n{indent}{self._lists[-1][1]}. ")
            else:
                self.parts.append(f"\n{indent}• ")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a":
            self._href = dict(attrs).get("href")
            self._link_text = []

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skipping = max(self._skipping - 1, 0)
        elif tag in ("ul", "ol"):
            if self._lists:
                self._lists.pop()
            self.parts.append("\n\n")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a" and self._href:
            label = "".join(self._link_text).strip()
            if self._href.startswith(("http://", "https://")) and self._href not in label:
                self.parts.append(f" ({self._href})")
            self._href = None

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        data = re.sub(r"\s+", " ", data)
        self.parts.append(data)
        if self._href:
            self._link_text.append(data)


def _from_html(text: str) -> str:
    parser = _TextExtractor()
    parser.feed(text)
    parser.close()
    return "".join(parser.parts)


def _from_markdown(text: str) -> str:
    text = _HEADING_RE.sub(r"\1", text)
    text = _LINK_RE.sub(lambda m: f"{m.group(1)} ({m.group(2)})" if m.group(1) else "", text)
    text = _BULLET_RE.sub(lambda m: m.group(1) + "• ", text)
    text = _EMPHASIS_RE.sub(lambda m: m.group(2) or m.group(3), text)
    return _CODE_RE.sub(r"\1", text)


def to_plain_text(text: str | None) -> str:
    """Strip tags and Markdown marks, keep paragraphs and list bullets, unescape entities."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _from_html(text) if _TAG_RE.search(text) else _from_markdown(html.unescape(text))
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.split("\n")]
    joined = "\n".join(lines)
    joined = re.sub(r"\n{3,}", "\n\n", joined)
    # A bullet list keeps its items on consecutive lines.
    joined = re.sub(r"\n\n(?=(\s*)(•|\d+\.) )", "\n", joined)
    return joined.strip()
