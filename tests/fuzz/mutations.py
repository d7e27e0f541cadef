"""Hypothesis strategies that damage valid files the way a fuzzer does.

``mutated(seeds)`` picks a valid sample and applies a few random edits: bit
flips, interesting integers written over bytes (0, -1, 2^31, 2^63 …: sizes and
counts that lie), inserted, deleted and duplicated runs, and truncation.
Hypothesis shrinks a failing input towards the fewest, smallest edits.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from hypothesis import strategies as st

INTERESTING = [
    struct.pack("<I", v) for v in (0, 1, 0x7F, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF)
] + [struct.pack("<Q", 0xFFFFFFFFFFFFFFFF), b"\x80" + b"\xff" * 11, b"9" * 20, b"-1", b"\x00"]


@st.composite
def _edit(draw: st.DrawFn, data: bytearray) -> bytearray:
    if not data:
        return bytearray(draw(st.binary(max_size=64)))
    at = draw(st.integers(0, len(data) - 1))
    kind = draw(st.sampled_from(["flip", "interesting", "insert", "delete", "duplicate", "cut"]))
    if kind == "flip":
        data[at] ^= 1 << draw(st.integers(0, 7))
    elif kind == "interesting":
        value = draw(st.sampled_from(INTERESTING))
        data[at : at + len(value)] = value
    elif kind == "insert":
        data[at:at] = draw(st.binary(min_size=1, max_size=32))
    elif kind == "delete":
        del data[at : at + draw(st.integers(1, 64))]
    elif kind == "duplicate":
        run = data[at : at + draw(st.integers(1, 512))]
        data[at:at] = run * draw(st.integers(1, 8))
    else:
        del data[at:]
    return data


@st.composite
def mutated(draw: st.DrawFn, seeds: Sequence[bytes]) -> bytes:
    """One of ``seeds`` with up to eight random edits (none: the seed itself must pass)."""
    data = bytearray(draw(st.sampled_from(list(seeds))))
    for _ in range(draw(st.integers(0, 8))):
        data = draw(_edit(data))
    return bytes(data)
