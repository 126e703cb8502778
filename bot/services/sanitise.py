"""Delegates' text made safe to store and to show others: no control or bidi-override characters.

A delegate's question, comment or name reaches organisers, moderators, exports and terminals. NUL
and ESC (terminal colours) have no business there, and a bidirectional override (U+202E…) makes
what follows it read backwards, so that a name or a sentence can pose as another. Explicit
direction marks are dropped too: the handlers isolate delegates' text (FSI…PDI) instead.
"""

from __future__ import annotations

import re

# C0 controls but tab and line feed, DEL, and C1 controls (NEL included).
_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f"
# Bidi embeddings and overrides (LRE RLE PDF LRO RLO), isolates (LRI RLI FSI PDI) and marks
# (LRM RLM ALM).
_BIDI = "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
_UNSAFE = re.compile(f"[{_CONTROLS}{_BIDI}]")
# A line or paragraph separator would end a bidi isolate as a paragraph does: a plain line break.
_SEPARATORS = re.compile("\r\n|[\r\u2028\u2029]")
_BREAKS = re.compile("[\t\n]+")


def clean(text: str, *, multiline: bool = True) -> str:
    """`text` without control characters (tab and line feed kept when `multiline`) or bidi
    embedding, override, isolate and mark characters; a name (`multiline` False) on one line."""
    text = _UNSAFE.sub("", _SEPARATORS.sub("\n", text))
    if not multiline:
        text = _BREAKS.sub(" ", text)
    return text
