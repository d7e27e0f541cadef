"""Stream wrappers used by the archive readers: limit checks, counting, replay.

``limited_stream`` is what every ``Member.open()`` returns: it enforces the
member-size, ratio and budget limits as bytes flow, and turns any decoder error
(zlib, lzma, CRC, truncation) into :class:`MemberReadError` so that callers need
to catch only :class:`vigil.errors.SourceError`.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING, BinaryIO, Protocol

from vigil.errors import SourceError
from vigil.sources.limits import Budget, LimitExceeded, Limits

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

CHUNK_BYTES = 256 * 1024
_MEMBER_LIMIT = -1  # sentinel: use Limits.max_member_bytes


class Readable(Protocol):
    """Anything with ``read`` and ``close``: files, ZipExtFile, decompressors."""

    def read(self, size: int = ..., /) -> bytes:
        """Up to ``size`` bytes; ``b""`` at the end."""
        ...

    def close(self) -> None:
        """Release the stream."""
        ...


class MemberReadError(SourceError):
    """A member's data could not be read (corrupt, truncated, CRC mismatch)."""


class _LimitedRaw(io.RawIOBase):
    """Raw reader over a member's decoded data that checks limits on every read."""

    def __init__(
        self,
        inner: Readable,
        name: str,
        limits: Limits,
        budget: Budget | None,
        compressed: Callable[[], int] | None,
        max_bytes: int | None,
    ) -> None:
        self._inner = inner
        # read1 returns what one underlying read gives: with plain read, buffered
        # decoders keep reading to fill the request and lose the good bytes they
        # had when a truncated stream then fails.
        self._read = getattr(inner, "read1", inner.read)
        self._max_bytes = max_bytes
        self._name = name
        self._limits = limits
        self._budget = budget
        self._compressed = compressed
        self.out_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        want = min(memoryview(buffer).nbytes, CHUNK_BYTES)
        try:
            data = self._read(want)
        except (LimitExceeded, MemberReadError):
            raise
        except Exception as exc:
            # Decoders raise anything from zlib.error to IndexError on bad data; the
            # caller only needs "this member is unreadable" plus the cause.
            raise MemberReadError(f"{self._name}: {describe(exc)}") from exc
        n = len(data)
        self._account(n)
        memoryview(buffer).cast("B")[:n] = data
        return n

    def _account(self, n: int) -> None:
        self.out_bytes += n
        if self._max_bytes is not None and self.out_bytes > self._max_bytes:
            raise LimitExceeded(f"{self._name}: more than {self._max_bytes} bytes in one member")
        if self._compressed is not None:
            compressed = self._compressed()
            if self._limits.ratio_exceeded(self.out_bytes, compressed):
                raise LimitExceeded(
                    f"{self._name}: expanded {self.out_bytes} bytes from {compressed} "
                    f"(ratio over {self._limits.max_ratio:g})"
                )
        if self._budget is not None:
            self._budget.charge(n)

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            super().close()


def limited_stream(
    inner: Readable,
    name: str,
    limits: Limits,
    budget: Budget | None,
    compressed: Callable[[], int] | None = None,
    max_bytes: int | None = _MEMBER_LIMIT,
) -> BinaryIO:
    """Wrap a member's decoded stream so that reading it enforces the limits.

    ``budget`` is None where the bytes did not come from decompression (they
    cannot expand); ``compressed`` returns the compressed bytes consumed so far
    (or declared) for the ratio check, None to skip it; ``max_bytes`` defaults to
    ``limits.max_member_bytes`` (None: no size cap, for a whole tar stream).
    """
    cap = limits.max_member_bytes if max_bytes == _MEMBER_LIMIT else max_bytes
    raw = _LimitedRaw(inner, name, limits, budget, compressed, cap)
    return io.BufferedReader(raw, CHUNK_BYTES)


class CountingReader(io.RawIOBase):
    """Counts the bytes read through it (compressed input, for ratio checks)."""

    def __init__(self, inner: Readable) -> None:
        self._inner = inner
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        data = self._inner.read(memoryview(buffer).nbytes)
        n = len(data)
        memoryview(buffer).cast("B")[:n] = data
        self.count += n
        return n

    def consumed(self) -> int:
        """Bytes read through so far."""
        return self.count


class ReplayStream(io.RawIOBase):
    """Gives back bytes already read (a sniffed header) and then the rest of a stream."""

    def __init__(self, head: bytes, rest: Readable) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        if self._head:
            view = memoryview(buffer).cast("B")
            n = min(len(view), len(self._head))
            view[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        view = memoryview(buffer).cast("B")
        data = self._rest.read(len(view))
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        try:
            self._rest.close()
        finally:
            super().close()


def as_binary(raw: io.RawIOBase) -> BinaryIO:
    """A buffered, typed ``BinaryIO`` over a raw reader."""
    return io.BufferedReader(raw, CHUNK_BYTES)


_READ_CHUNK = 1 << 20


def read_up_to(stream: Readable, n_bytes: int) -> bytes:
    """Read until ``n_bytes`` or end of stream (a single read may return less).

    Reads are at most 1 MiB: a file object's ``read(n)`` allocates ``n`` bytes
    before it reads, so a generous bound (a 1 GiB Manifest.db) would cost that
    much memory for a file of a few KiB.
    """
    parts: list[bytes] = []
    left = n_bytes
    while left > 0:
        data = stream.read(min(left, _READ_CHUNK))
        if not data:
            break
        parts.append(data)
        left -= len(data)
    return b"".join(parts)


def describe(exc: BaseException) -> str:
    """An exception in words for a status reason: the message, else the class name."""
    if isinstance(exc, SourceError):
        return str(exc)  # ours are already written for people
    text = str(exc).strip()
    name = type(exc).__name__
    return f"{name}: {text}" if text else name
