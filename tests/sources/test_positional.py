"""PositionalStream: one place for bounds, seek and tell of offset-read streams."""

from __future__ import annotations

import io

from vigil.sources.archives.streams import as_binary
from vigil.sources.positional import PositionalStream


class _Bytes(PositionalStream):
    def __init__(self, data: bytes, step: int) -> None:
        self._data, self.size, self._step = data, len(data), step
        self.calls: list[tuple[int, int]] = []

    def _read_at(self, pos: int, n_bytes: int) -> bytes:
        self.calls.append((pos, n_bytes))
        return self._data[pos : pos + min(n_bytes, self._step)]  # short reads, like a device


def test_reads_whole_source_through_short_reads_and_never_past_its_end() -> None:
    data = bytes(range(256)) * 40
    raw = _Bytes(data, step=1000)
    assert as_binary(raw).read() == data
    assert all(pos + n <= len(data) for pos, n in raw.calls)


def test_seek_and_tell_follow_io_conventions() -> None:
    raw = _Bytes(b"0123456789", step=100)
    assert raw.seek(-3, io.SEEK_END) == 7 and raw.read(10) == b"789"
    assert raw.read(1) == b"" and raw.tell() == 10
    assert raw.seek(2) == 2 and raw.seek(3, io.SEEK_CUR) == 5 and raw.read(2) == b"56"
    assert raw.seek(-50, io.SEEK_CUR) == 0  # clamped at the start, as a file would refuse
    assert raw.seek(20) == 20 and raw.read(4) == b""  # past the end reads nothing
