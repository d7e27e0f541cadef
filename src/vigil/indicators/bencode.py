"""A strict bencode decoder (BitTorrent's format: resume.dat, *.fastresume, *.torrent).

Strings stay bytes (they may be names in any encoding or raw hashes); dict keys
too. The byte span of each top-level value is kept, because a torrent's
info-hash is the SHA-1 of its ``info`` dictionary exactly as stored.
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 64


class BencodeError(ValueError):
    """The data is not valid bencode; the message gives the byte offset."""


class _Decoder:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.spans: dict[bytes, tuple[int, int]] = {}

    def fail(self, what: str) -> BencodeError:
        return BencodeError(f"byte {self.pos}: {what}")

    def value(self, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise self.fail("nested too deeply")
        if self.pos >= len(self.data):
            raise self.fail("unexpected end of data")
        lead = self.data[self.pos]
        if lead == ord("i"):
            return self.integer()
        if lead == ord("l"):
            self.pos += 1
            items = []
            while self.peek() != ord("e"):
                items.append(self.value(depth + 1))
            self.pos += 1
            return items
        if lead == ord("d"):
            return self.dictionary(depth)
        if ord("0") <= lead <= ord("9"):
            return self.string()
        raise self.fail(f"unexpected byte {lead:#04x}")

    def peek(self) -> int:
        if self.pos >= len(self.data):
            raise self.fail("unexpected end of data")
        return self.data[self.pos]

    def integer(self) -> int:
        end = self.data.find(b"e", self.pos)
        if end < 0:
            raise self.fail("unterminated integer")
        text = self.data[self.pos + 1 : end]
        digits = text[1:] if text.startswith(b"-") else text
        # int() alone would also take " 5", "+5" and "1_0": bencode allows none of them.
        if not digits.isdigit():
            raise self.fail(f"bad integer {text[:20]!r}")
        self.pos = end + 1
        return int(text)

    def string(self) -> bytes:
        colon = self.data.find(b":", self.pos, self.pos + 21)
        if colon < 0:
            raise self.fail("bad string length")
        digits = self.data[self.pos : colon]
        if not digits.isdigit():
            raise self.fail(f"bad string length {digits!r}")
        length = int(digits)
        start = colon + 1
        if start + length > len(self.data):
            raise self.fail("string runs past the end of data")
        self.pos = start + length
        return self.data[start : self.pos]

    def dictionary(self, depth: int) -> dict[bytes, Any]:
        self.pos += 1
        out: dict[bytes, Any] = {}
        while self.peek() != ord("e"):
            if not ord("0") <= self.peek() <= ord("9"):
                raise self.fail("a dictionary key must be a string")
            key = self.string()
            start = self.pos
            out[key] = self.value(depth + 1)
            if depth == 0:
                self.spans[key] = (start, self.pos)
        self.pos += 1
        return out


def decode(data: bytes) -> Any:
    """Decode one bencoded value that fills ``data`` (trailing bytes are an error)."""
    value, _ = decode_with_spans(data)
    return value


def decode_with_spans(data: bytes) -> tuple[Any, dict[bytes, tuple[int, int]]]:
    """Decode, also returning the byte span of each top-level dictionary value."""
    decoder = _Decoder(data)
    value = decoder.value(0)
    if decoder.pos != len(data):
        raise decoder.fail("trailing data after the value")
    return value, decoder.spans


def encode(value: Any) -> bytes:
    """Bencode a value (ints, bytes/str, lists, dicts with sorted keys); used to build fixtures."""
    if isinstance(value, bool):
        raise TypeError("bencode has no booleans")
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode("utf-8")
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, list | tuple):
        return b"l" + b"".join(encode(v) for v in value) + b"e"
    if isinstance(value, dict):
        items = sorted(
            (k.encode("utf-8") if isinstance(k, str) else k, v) for k, v in value.items()
        )
        return b"d" + b"".join(encode(k) + encode(v) for k, v in items) + b"e"
    raise TypeError(f"cannot bencode {type(value).__name__}")
