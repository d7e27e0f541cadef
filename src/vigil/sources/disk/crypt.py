"""Encrypted volumes (LUKS, BitLocker, FileVault 2) as a disk layer, opened with the exhibit's key.

With a key that opens it, the decrypted volume is read like any disk: a
partition table or a file system inside, walked and carved as usual, below a
``luks``/``bitlocker``/``filevault`` locator layer. Without a key, or when no
key given opens it, the volume is one ``encrypted`` note with the reason,
counted in "Errors and limits", and the scan carries on.

The libyal libraries do the cryptography (``pyluksde``, ``pybde``, ``pyfvde``):
each is handed a read-only stream of the volume and one key at a time (a fresh
handle per key: a handle that refused one key refuses every later one).
Which key kinds fit which volume::

    luks       passphrase, keyfile (its content is the passphrase)
    bitlocker  passphrase, recovery-password, keyfile (a .BEK startup key)
    filevault  passphrase, recovery-password, keyfile (EncryptedRoot.plist.wipekey)

libluksde reads LUKS1 only: LUKS2 is read by :mod:`~vigil.sources.disk.luks2` (pure
Python, ``aes-xts-plain64`` only; any other cipher is named, not guessed at).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, BinaryIO

from vigil.errors import SourceError
from vigil.sources.archives.streams import as_binary, describe
from vigil.sources.disk import luks2
from vigil.sources.keys import ExhibitKey, KeyRing
from vigil.sources.opaque import opaque_type
from vigil.sources.positional import PositionalStream

CRYPT_TYPES = ("luks", "bitlocker", "filevault")
"""File types (and locator layers) of the encrypted volumes Vigil can open with a key."""

HEADER_BYTES = 1024
"""Enough of a volume to recognise it (:func:`~vigil.sources.opaque.opaque_type`)."""

_NAMES = {"luks": "LUKS volume", "bitlocker": "BitLocker volume", "filevault": "FileVault 2 volume"}
_FITS = {
    "luks": ("passphrase", "keyfile"),
    "luks2": ("passphrase", "keyfile"),
    "bitlocker": ("passphrase", "recovery-password", "keyfile"),
    "filevault": ("passphrase", "recovery-password", "keyfile"),
}


class CryptOpenError(SourceError):
    """An encrypted volume that could not be opened; the message is the item's reason."""


def crypt_type(header: bytes) -> str | None:
    """``luks``, ``bitlocker`` or ``filevault`` when ``header`` starts such a volume."""
    kind = opaque_type(header)
    return kind if kind in CRYPT_TYPES else None


@dataclass(frozen=True, slots=True)
class Decrypted:
    """One decrypted volume: its plaintext stream and size, and where it came from."""

    stream: BinaryIO
    size: int
    path: str  # the layer path: "" for one volume, "1", "2" … for FileVault logical volumes
    key_kind: str


def unlock(kind: str, stream: BinaryIO, ring: KeyRing) -> list[Decrypted]:
    """The decrypted volumes of the ``kind`` volume in ``stream``, opened with a key of ``ring``.

    Raises :class:`CryptOpenError` with the reason when there is no key, no key
    opens it, or the library cannot read this volume. The caller closes the streams.
    """
    name = _NAMES[kind]
    exhibit = ring.exhibit or "this exhibit"
    if kind == "luks":
        stream.seek(0)
        if stream.read(8)[6:8] == b"\x00\x02":
            kind, name = "luks2", "LUKS2 volume"
            try:  # what does not depend on the key is checked once, and named
                luks2.data_segment(luks2.read_metadata(stream), stream.seek(0, io.SEEK_END))
            except luks2.Luks2Error as exc:
                raise CryptOpenError(f"{name}: not decrypted: {exc}") from exc
    fitting = [key for key in ring.keys if key.kind in _FITS[kind]]
    if not fitting:
        given = "no key given" if not ring.keys else "no key of a kind that fits given"
        raise CryptOpenError(f"{name}; {given} for exhibit {exhibit} (--key {exhibit}=…)")
    problems: list[str] = []
    for key in fitting:
        try:
            opened = _OPEN[kind](stream, key)
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            problems.append(f"{key.kind}: {describe(exc)}")
            continue
        if opened:
            return opened
    which = "the key" if len(fitting) == 1 else f"none of the {len(fitting)} keys"
    detail = f" ({'; '.join(problems)})" if problems else ""
    raise CryptOpenError(f"{name}; {which} given for exhibit {exhibit} does not open it{detail}")


class _LibStream(PositionalStream):
    """A decrypted volume read through a libyal handle (``read_buffer_at_offset``)."""

    def __init__(self, handle: Any, size: int, owners: tuple[Any, ...] = ()) -> None:
        self._handle, self.size, self._owners = handle, size, owners
        self._lock = threading.Lock()  # the handle has one position: keep reads atomic

    def _read_at(self, pos: int, n_bytes: int) -> bytes:
        with self._lock:
            return bytes(self._handle.read_buffer_at_offset(n_bytes, pos))

    def close(self) -> None:
        if not self.closed:
            for owner in self._owners:
                owner.close()
        super().close()


def _open_luks(stream: BinaryIO, key: ExhibitKey) -> list[Decrypted]:
    import pyluksde

    volume = pyluksde.volume()
    secret = key.secret_bytes().decode("utf-8") if key.kind == "keyfile" else key.secret
    volume.set_password(secret)
    stream.seek(0)
    volume.open_file_object(stream)
    return _if_unlocked(volume, key)


def _open_luks2(stream: BinaryIO, key: ExhibitKey) -> list[Decrypted]:
    metadata = luks2.read_metadata(stream)
    found = luks2.volume_key(stream, metadata, key.secret_bytes())
    if found is None:
        return []
    segment = luks2.data_segment(metadata, stream.seek(0, io.SEEK_END))
    reader = luks2.Luks2Stream(stream, found, segment)
    return [Decrypted(as_binary(reader), reader.size, "", key.kind)]


def _open_bitlocker(stream: BinaryIO, key: ExhibitKey) -> list[Decrypted]:
    import pybde

    volume = pybde.volume()
    _set_key(volume, key, "read_startup_key")
    stream.seek(0)
    volume.open_file_object(stream)
    return _if_unlocked(volume, key)


def _open_filevault(stream: BinaryIO, key: ExhibitKey) -> list[Decrypted]:
    import pyfvde

    volume = pyfvde.volume()
    if key.kind == "keyfile":
        volume.read_encrypted_root_plist(key.secret)
    stream.seek(0)
    volume.open_file_object(stream)
    group = volume.get_volume_group()
    unlocked: list[tuple[int, Any]] = []
    for index in range(group.get_number_of_logical_volumes()):
        logical = group.get_logical_volume(index)
        if key.kind != "keyfile":
            _set_key(logical, key, "")
        if not logical.is_locked() or logical.unlock():
            unlocked.append((index, logical))
    if not unlocked:
        volume.close()
    out: list[Decrypted] = []
    for number, (index, logical) in enumerate(unlocked, 1):
        size = int(logical.get_size())
        owners = (volume,) if number == len(unlocked) else ()  # closed last, with the last one
        reader = _LibStream(logical, size, owners)
        out.append(Decrypted(as_binary(reader), size, str(index + 1), key.kind))
    return out


def _set_key(handle: Any, key: ExhibitKey, keyfile_method: str) -> None:
    if key.kind == "passphrase":
        handle.set_password(key.secret)
    elif key.kind == "recovery-password":
        handle.set_recovery_password(key.secret)
    else:
        getattr(handle, keyfile_method)(key.secret)


def _if_unlocked(volume: Any, key: ExhibitKey) -> list[Decrypted]:
    if volume.is_locked() and not volume.unlock():
        volume.close()
        return []
    size = int(volume.get_size())
    return [Decrypted(as_binary(_LibStream(volume, size, (volume,))), size, "", key.kind)]


_OPEN: dict[str, Callable[[BinaryIO, ExhibitKey], list[Decrypted]]] = {
    "luks": _open_luks,
    "luks2": _open_luks2,
    "bitlocker": _open_bitlocker,
    "filevault": _open_filevault,
}


def close_all(found: list[Decrypted]) -> None:
    """Close the decrypted streams of :func:`unlock`."""
    for item in found:
        item.stream.close()


def iter_decrypted(kind: str, stream: BinaryIO, ring: KeyRing) -> Generator[Decrypted, None, None]:
    """:func:`unlock`, closing the streams once the caller is done with them."""
    found = unlock(kind, stream, ring)
    try:
        yield from found
    finally:
        close_all(found)
