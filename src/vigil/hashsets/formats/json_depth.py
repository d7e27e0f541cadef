"""A bound on how deeply a JSON document nests, checked on the bytes before the parser sees them.

ijson keeps the path of the value it is in ("value.item.Comments.item.item…"),
so a few hundred KB of ``[[[[…`` costs memory quadratic in the depth (a 200 KB
file killed the process) and ``vics_fields.normalise`` would recurse as deep.
Real VICS files nest about six levels; anything past ``MAX_DEPTH`` is refused.

Brackets count only outside strings. To stay cheap on national sets of
hundreds of MB, each block is reduced with C-speed bytes operations before
numpy looks at it: escaped backslashes (``\\\\``) and escaped quotes (``\\"``)
are dropped, left to right as JSON reads them, then everything but quotes and
brackets. What is left is short, and a quote in it always opens or closes a
string. State (depth, inside a string, a pending backslash) carries from one
block to the next.
"""

from __future__ import annotations

import numpy as np

MAX_DEPTH = 64
"""Deepest nesting of arrays and objects accepted (VICS 2.0 needs about six)."""

_KEEP = b'"[]{}'
_DROP = bytes(sorted(set(range(256)) - set(_KEEP)))
_QUOTE = ord('"')
_OPENERS = (ord("["), ord("{"))
_CLOSERS = (ord("]"), ord("}"))


class NestingTooDeep(ValueError):
    """The document nests deeper than its limit; ``start``–``end`` is the block where it does."""

    def __init__(self, start: int, end: int, limit: int) -> None:
        self.start = start
        self.end = end
        super().__init__(f"JSON nested more than {limit} levels deep")


class NestingGuard:
    """Feed it every block of a JSON document in order; it raises NestingTooDeep in time."""

    def __init__(self, limit: int = MAX_DEPTH) -> None:
        self.limit = limit
        self.depth = 0
        self._offset = 0
        self._in_string = False
        self._pending_backslash = b""

    def feed(self, block: bytes) -> None:
        """Account for the next ``block``; raise NestingTooDeep if it nests past the limit."""
        start = self._offset
        self._offset += len(block)
        text = self._pending_backslash + block
        text = text.replace(b"\\\\", b"")
        # An odd backslash left at the end escapes the next block's first byte.
        self._pending_backslash = b"\\" if text.endswith(b"\\") else b""
        if self._pending_backslash:
            text = text[:-1]
        marks = np.frombuffer(text.replace(b'\\"', b"").translate(None, _DROP), dtype=np.uint8)
        if not marks.size:
            return
        quote = marks == _QUOTE
        inside_before = (np.cumsum(quote, dtype=np.int64) - quote) % 2 == 1
        if self._in_string:
            inside_before = ~inside_before
        outside = ~inside_before & ~quote
        step = np.zeros(marks.size, dtype=np.int64)
        step[outside & np.isin(marks, _OPENERS)] = 1
        step[outside & np.isin(marks, _CLOSERS)] = -1
        depth = self.depth + np.cumsum(step)
        if int(depth.max()) > self.limit:
            raise NestingTooDeep(start, self._offset, self.limit)
        self.depth = int(depth[-1])
        self._in_string = bool(inside_before[-1]) != bool(quote[-1])
