"""Secrets the examiner gives for encrypted exhibits (``--key EXHIBIT=KIND:SECRET``).

A key names the exhibit it is for (its reference, or the PATH as given) and
what it is:

* ``passphrase:TEXT``: a password (adb backups, LUKS, BitLocker, FileVault);
* ``recovery-password:DIGITS``: a BitLocker recovery password (48 digits in
  groups of six) or a FileVault recovery key;
* ``keyfile:PATH``: a file holding the key (a BitLocker ``.BEK`` startup key,
  a FileVault ``EncryptedRoot.plist.wipekey``, a LUKS key file).

Keys are never stored in the case (not in the run's parameters, not in the
audit log, which records only that a key was given and its SHA-256, see
:func:`audit_entries`): a resumed scan needs them given again.

Readers find the keys of the exhibit being read with :func:`exhibit_keys`
(:func:`passphrases` for the passwords alone); the scan worker sets them
around each task with :func:`keys_scope`, since a reader's interface carries
no exhibit.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from vigil.errors import UsageError
from vigil.inert import inert

MAX_KEYFILE_BYTES = 1 << 20
"""A key file is small (a .BEK is under 1 KiB, a LUKS key file at most 8 MiB by default)."""


class KeyOptionError(UsageError):
    """A ``--key`` option that cannot be understood."""


@dataclass(frozen=True, slots=True)
class ExhibitKey:
    """A secret for one exhibit: ``exhibit`` is a reference or a PATH as given.

    For ``keyfile`` keys ``secret`` is the file's path; :meth:`secret_bytes`
    reads its content.
    """

    exhibit: str
    kind: str
    secret: str = ""

    def __repr__(self) -> str:  # never print the secret by accident
        return f"ExhibitKey(exhibit={self.exhibit!r}, kind={self.kind!r}, secret=<hidden>)"

    def secret_bytes(self) -> bytes:
        """The secret itself: the text in UTF-8, or a key file's content."""
        if self.kind != "keyfile":
            return self.secret.encode("utf-8", "surrogateescape")
        with open(self.secret, "rb") as handle:
            return handle.read(MAX_KEYFILE_BYTES + 1)[:MAX_KEYFILE_BYTES]

    def sha256(self) -> str:
        """Hex SHA-256 of the secret: what the audit log records instead of it."""
        return hashlib.sha256(self.secret_bytes()).hexdigest()


KINDS = ("passphrase", "recovery-password", "keyfile")
_USAGE = (
    "--key must be EXHIBIT=passphrase:TEXT, EXHIBIT=recovery-password:DIGITS "
    "or EXHIBIT=keyfile:PATH"
)


def parse_key(text: str) -> ExhibitKey:
    """``EXHIBIT=KIND:SECRET`` as an :class:`ExhibitKey`; raises KeyOptionError in words."""
    exhibit, sep, rest = text.partition("=")
    if not sep or not exhibit:
        raise KeyOptionError(_USAGE)
    kind, sep, secret = rest.partition(":")
    shown = inert(exhibit, 200)  # a newline or escape in the name must not break the line
    if not sep or kind not in KINDS:
        raise KeyOptionError(f"--key for {shown}: the kind must be one of {', '.join(KINDS)}")
    if not secret:
        raise KeyOptionError(f"--key for {shown}: the {kind} is empty")
    if kind == "keyfile":
        shown_path = inert(secret, 300)
        if not os.path.isfile(secret):
            raise KeyOptionError(f"--key for {shown}: no key file at {shown_path}")
        if os.path.getsize(secret) > MAX_KEYFILE_BYTES:
            raise KeyOptionError(f"--key for {shown}: {shown_path} is too large for a key file")
    return ExhibitKey(exhibit, kind, secret)


def keys_for(keys: list[ExhibitKey], names: set[str]) -> tuple[ExhibitKey, ...]:
    """The keys whose exhibit is one of ``names``, in the order given."""
    return tuple(k for k in keys if k.exhibit in names)


def audit_entries(keys: list[ExhibitKey]) -> list[dict[str, Any]]:
    """What the audit log keeps of the keys given: exhibit, kind and SHA-256, never the secret."""
    return [{"exhibit": k.exhibit, "kind": k.kind, "sha256": k.sha256()} for k in keys]


@dataclass(frozen=True, slots=True)
class KeyRing:
    """The keys given for one exhibit, and the exhibit's name for messages (picklable)."""

    exhibit: str = ""
    keys: tuple[ExhibitKey, ...] = field(default=())


_NO_KEYS = KeyRing()
_RING: contextvars.ContextVar[KeyRing | None] = contextvars.ContextVar("vigil_keys", default=None)


def exhibit_keys() -> KeyRing:
    """The keys given for the exhibit being read now (an empty ring outside a scope)."""
    return _RING.get() or _NO_KEYS


def passphrases() -> tuple[str, ...]:
    """The passphrases given for the exhibit being read now (none outside a scope)."""
    return tuple(k.secret for k in exhibit_keys().keys if k.kind == "passphrase")


@contextlib.contextmanager
def keys_scope(ring: KeyRing) -> Iterator[None]:
    """Make ``ring`` the keys that readers see inside the block."""
    token = _RING.set(ring)
    try:
        yield
    finally:
        _RING.reset(token)
