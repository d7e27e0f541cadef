"""Reopen a stored item from its locator, read-only, and prove it is the same bytes.

A locator is a chain of layers (``os:/ex/a.zip → zip:inner/b.zip → zip:c.jpg``).
Each layer type has an *opener* in :data:`OPENERS` that turns the stream of the
enclosing layer (``None`` for the outermost) into the stream of this layer::

    opener(parent_stream, locator_up_to_this_layer) -> seekable BinaryIO

``os`` opens a file of the examiner's file system with
:func:`~vigil.sources.folder.open_readonly`. Archive layers list the parent with
the same readers a scan uses (chosen by sniffing the parent, as the scan does,
because a ``.tar.gz`` yields ``tar`` members straight from the gzip reader) and
take the member whose locator key equals the wanted one. Other source modules
(disk images) add their layers with :func:`register`.

:func:`open_item` then checks the SHA-256 of what it read against the one the
scan stored: evidence that changed since the scan is refused with
:class:`EvidenceChangedError`, never shown.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import tempfile
from collections.abc import Callable
from typing import BinaryIO, cast

from vigil.errors import SourceError
from vigil.sources.archives.registry import CONTAINER_TYPES
from vigil.sources.archives.streams import describe, read_up_to
from vigil.sources.folder import open_readonly
from vigil.sources.identify import SNIFF_BYTES, sniff
from vigil.sources.limits import Budget, Limits
from vigil.sources.locator import Locator

Opener = Callable[[BinaryIO | None, Locator], BinaryIO]
"""Open the innermost layer of ``locator`` from its parent's stream (None at the root)."""

SPOOL_MEMORY_BYTES = 16 * 1024 * 1024
READ_BYTES = 1 << 20


class ReopenError(SourceError):
    """An item cannot be reopened from its locator (source gone, member missing, unknown layer)."""


class EvidenceChangedError(ReopenError):
    """The bytes read back differ from the ones the scan hashed: the evidence changed."""


OPENERS: dict[str, Opener] = {}
"""Opener per locator layer type."""


def register(layer_type: str, opener: Opener) -> None:
    """Make ``opener`` the way to open layers of ``layer_type`` (replacing any before)."""
    OPENERS[layer_type] = opener


def open_locator(locator: Locator) -> BinaryIO:
    """A seekable, read-only stream of the item at ``locator`` (the caller closes it).

    Raises :class:`ReopenError` in words when any layer cannot be opened.
    """
    for layer in locator.layers:
        if layer.type not in OPENERS:
            known = ", ".join(sorted(OPENERS))
            raise ReopenError(f"cannot reopen a {layer.type!r} layer (known: {known})")
    opened: list[BinaryIO] = []
    try:
        for depth, layer in enumerate(locator.layers):
            prefix = Locator(locator.layers[: depth + 1])
            parent = opened[-1] if opened else None
            try:
                opened.append(OPENERS[layer.type](parent, prefix))
            except ReopenError:
                raise
            except SourceError as exc:
                raise ReopenError(str(exc)) from exc
            except OSError as exc:
                raise ReopenError(f"{prefix.display()}: {describe(exc)}") from exc
    except BaseException:
        for stream in opened:
            stream.close()
        raise
    for stream in opened[:-1]:  # each layer was copied out of its parent
        stream.close()
    return opened[-1]


def open_item(locator: Locator | str, sha256: bytes | None) -> BinaryIO:
    """Reopen an item and check it still has the SHA-256 the scan stored.

    Raises :class:`EvidenceChangedError` when the digest differs (or was never
    stored: bytes that cannot be checked are not shown either).
    """
    loc = Locator.from_json(locator) if isinstance(locator, str) else locator
    stream = open_locator(loc)
    try:
        digest = hashlib.sha256(usedforsecurity=False)
        while block := stream.read(READ_BYTES):
            digest.update(block)
        if sha256 is None:
            raise EvidenceChangedError(f"{loc.display()}: no stored SHA-256 to check against")
        if digest.digest() != sha256:
            raise EvidenceChangedError(
                f"{loc.display()}: the evidence changed since it was scanned "
                f"(SHA-256 now {digest.hexdigest()[:16]}…, was {sha256.hex()[:16]}…)"
            )
        stream.seek(0)
    except BaseException:
        stream.close()
        raise
    return stream


def _open_os(parent: BinaryIO | None, locator: Locator) -> BinaryIO:
    if parent is not None:
        raise ReopenError(f"{locator.display()}: an os layer must be the outermost")
    return open_readonly(locator.leaf.path)


def _open_member(parent: BinaryIO | None, locator: Locator) -> BinaryIO:
    """The member of ``parent`` whose locator is ``locator``, copied to a private spool."""
    outer = locator.parent
    if parent is None or outer is None:
        raise ReopenError(f"{locator.display()}: an archive member needs its container")
    parent.seek(0)
    kind = sniff(read_up_to(parent, SNIFF_BYTES)).name
    reader = CONTAINER_TYPES.get(kind)
    if reader is None:
        raise ReopenError(f"{outer.display()}: is no longer a container Vigil opens ({kind})")
    parent.seek(0)
    limits = Limits()
    wanted = locator.key()
    for member in reader.iter_members(parent, outer, limits, Budget(limits)):
        if member.locator.key() != wanted:
            continue
        if member.status != "ok" or member.kind != "file":
            raise ReopenError(f"{locator.display()}: {member.status} {member.reason}".strip())
        return _spool(member.open())
    raise ReopenError(f"{locator.display()}: no such member in its container any more")


def _spool(source: BinaryIO) -> BinaryIO:
    # Members stream once, in order; a spool makes them seekable for the next layer.
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES)  # noqa: SIM115
    try:
        with source:
            shutil.copyfileobj(source, spool, READ_BYTES)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return cast(BinaryIO, spool)


def read_all(stream: BinaryIO) -> bytes:
    """Everything left in ``stream`` (closing it)."""
    with stream:
        buffer = io.BytesIO()
        shutil.copyfileobj(stream, buffer, READ_BYTES)
        return buffer.getvalue()


register("os", _open_os)
for _layer in ("zip", "tar", "gzip", "bzip2", "xz", "7z", "rar", "ios-backup", "adb", "ufdr"):
    register(_layer, _open_member)

# Disk images register their layers (ewf, partition, file systems, carved) on import.
import vigil.sources.disk.reopen  # noqa: E402, F401
