"""A seekable, read-only stream over a source read at absolute offsets.

Outside the ``archives`` package on purpose: importing that package registers
every container reader, the disk-image readers included, which themselves
build on this class.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer


class PositionalStream(io.RawIOBase):
    """A read-only, seekable stream over a source read at absolute offsets.

    Subclasses set ``size`` and write :meth:`_read_at`; position, bounds, seek
    and tell live here once (a file inside a file system, a window of an
    image, split segments read as one).
    """

    size: int = 0
    _pos: int = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        want = min(len(view), self.size - self._pos)
        if want <= 0:
            return 0
        data = self._read_at(self._pos, want)
        view[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        self._pos = max(base + offset, 0)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def _read_at(self, pos: int, n_bytes: int) -> bytes:
        """Up to ``n_bytes`` from ``pos`` (fewer only at the end of the source)."""
        raise NotImplementedError
