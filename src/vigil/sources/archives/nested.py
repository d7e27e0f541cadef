"""Walk a container and every container inside it, depth-first, in one pass.

Each ``ok`` file member is sniffed from its first bytes. A member that is itself
a container is copied once to a spool (memory up to ``spool_memory_bytes``, then
an unlinked temporary file) while the limits are enforced, yielded, and then
opened: its members follow it directly. Anything else is yielded with a stream
that replays the sniffed bytes, so every byte is still read only once.

The same stream contract as for a single reader holds: read each yielded member
fully (or not at all) before asking for the next one. Depth, entry and budget
limits surface as members with status ``limit``; nothing here raises once
iteration has started.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import IO, Any, BinaryIO

from vigil.errors import SourceError
from vigil.sources.archives.base import Member, MemberStatus
from vigil.sources.archives.registry import CONTAINER_TYPES
from vigil.sources.archives.streams import ReplayStream, as_binary, describe, read_up_to
from vigil.sources.identify import SNIFF_BYTES, sniff
from vigil.sources.limits import Budget, LimitExceeded, Limits
from vigil.sources.locator import Locator

SPOOL_MEMORY_BYTES = 32 * 1024 * 1024


def iter_nested(
    stream: BinaryIO,
    type_name: str,
    outer: Locator,
    limits: Limits,
    budget: Budget,
    *,
    spool_dir: Path | None = None,
    spool_memory_bytes: int = SPOOL_MEMORY_BYTES,
) -> Iterator[Member]:
    """Members of the ``type_name`` container in ``stream`` and of all containers inside it.

    Raises ValueError at once when ``type_name`` is not a registered container type.
    """
    if type_name not in CONTAINER_TYPES:
        raise ValueError(f"not a container type: {type_name!r}")
    return _walk(stream, type_name, outer, limits, budget, spool_dir, spool_memory_bytes)


def _walk(
    stream: BinaryIO,
    type_name: str,
    outer: Locator,
    limits: Limits,
    budget: Budget,
    spool_dir: Path | None,
    spool_memory_bytes: int,
) -> Iterator[Member]:
    top = CONTAINER_TYPES[type_name].iter_members(stream, outer, limits, budget)
    stack: list[tuple[Iterator[Member], IO[bytes] | None]] = [(top, None)]
    try:
        while stack:
            members, _ = stack[-1]
            member = next(members, None)
            if member is None:
                _, spool = stack.pop()
                if spool is not None:
                    spool.close()
                continue
            if member.status != "ok" or member.kind != "file":
                yield member
                continue
            deep = member.locator.depth >= limits.max_depth
            prepared, data, child = _prepare(member, deep, spool_dir, spool_memory_bytes)
            yield prepared
            if data is not None:
                data.close()  # the consumer had its turn; release the member's stream
            if child is not None:
                spool, name = child
                # Too deep: the reader only yields its depth note and reads nothing.
                view = io.BytesIO() if spool is None else _binary(spool)
                inner = CONTAINER_TYPES[name].iter_members(view, member.locator, limits, budget)
                stack.append((inner, spool))
    finally:
        for _, spool in stack:
            if spool is not None:
                spool.close()


def _prepare(
    member: Member, deep: bool, spool_dir: Path | None, spool_memory_bytes: int
) -> tuple[Member, BinaryIO | None, tuple[IO[bytes] | None, str] | None]:
    """Sniff a member; spool it when it is a container to open.

    Returns the member to yield, the stream to close after it, and the
    container to enter next (no spool when it lies too deep to be opened).
    """
    data: BinaryIO | None = None
    try:
        data = member.open()
        head = read_up_to(data, SNIFF_BYTES)
        name = sniff(head).name
        if name not in CONTAINER_TYPES or deep:
            replay = as_binary(ReplayStream(head, data))
            child = (None, name) if name in CONTAINER_TYPES else None
            return replace(member, opener=_once(replay)), data, child
        # Not a with-block: the spool outlives this call; the walker closes it.
        spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115
            max_size=spool_memory_bytes, dir=None if spool_dir is None else str(spool_dir)
        )
        try:
            spool.write(head)
            shutil.copyfileobj(data, spool)
        except BaseException:
            spool.close()
            raise
        data.close()
        return replace(member, opener=lambda: _binary(spool)), None, (spool, name)
    except (SourceError, OSError) as exc:  # OSError: the spool's disk is full
        if data is not None:
            data.close()
        status: MemberStatus = "limit" if isinstance(exc, LimitExceeded) else "error"
        return replace(member, status=status, reason=describe(exc), opener=None), None, None


def _once(stream: BinaryIO) -> Callable[[], BinaryIO]:
    def opener() -> BinaryIO:
        return stream

    return opener


def _binary(spool: IO[bytes]) -> BinaryIO:
    """A seekable stream over a spool at its own position; closing it keeps the spool."""
    return as_binary(_SpoolView(spool))


class _SpoolView(io.RawIOBase):
    """Reads a shared spool at its own position; closing the view leaves the spool open."""

    def __init__(self, spool: IO[bytes]) -> None:
        self._spool = spool
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        self._spool.seek(self._pos)
        data = self._spool.read(len(view))
        view[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            self._pos = offset
        elif whence == io.SEEK_CUR:
            self._pos += offset
        else:
            self._pos = self._spool.seek(0, io.SEEK_END) + offset
        return self._pos

    def tell(self) -> int:
        return self._pos
