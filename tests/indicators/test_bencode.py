"""The bencode decoder: values, spans of top-level values, and clear errors."""

from __future__ import annotations

import pytest

from vigil.indicators.bencode import BencodeError, decode, decode_with_spans, encode


def test_round_trip_of_every_type() -> None:
    value = {b"a": [1, -2, b"x"], b"b": {b"c": b""}, b"n": 0}
    assert decode(encode(value)) == value
    assert encode({"z": 1, "a": "é"}) == b"d1:a2:\xc3\xa91:zi1ee"


def test_spans_give_the_exact_bytes_of_top_level_values() -> None:
    data = encode({"info": {"name": "x", "length": 3}, "announce": "u"})
    value, spans = decode_with_spans(data)
    start, end = spans[b"info"]
    assert decode(data[start:end]) == value[b"info"]


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (b"d1:a", "byte 4: unexpected end of data"),
        (b"i12", "unterminated integer"),
        (b"ixe", "bad integer"),
        (b"5:ab", "string runs past the end"),
        (b"i1ei2e", "trailing data"),
        (b"di1ei2ee", "a dictionary key must be a string"),
        (b"x", "unexpected byte 0x78"),
        (b"l" * 100 + b"e" * 100, "nested too deeply"),
    ],
)
def test_malformed_data_names_the_byte(data: bytes, where: str) -> None:
    with pytest.raises(BencodeError, match=where):
        decode(data)


def test_booleans_cannot_be_encoded() -> None:
    with pytest.raises(TypeError):
        encode(True)
