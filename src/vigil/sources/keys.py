"""Passwords the examiner gives for encrypted exhibits (``--key EXHIBIT=passphrase:…``).

A key names the exhibit it is for (its reference, or the PATH as given) and
what it is; only ``passphrase:`` keys exist so far. Keys are never stored in
the case (not in the run's parameters, not in the audit log): a resumed scan
needs them given again.

Readers find the passphrases of the exhibit being read with
:func:`passphrases`; the scan worker sets them around each task with
:func:`keys_scope`, since a reader's interface carries no exhibit.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass

from vigil.errors import UsageError
from vigil.inert import inert


class KeyOptionError(UsageError):
    """A ``--key`` option that cannot be understood."""


@dataclass(frozen=True, slots=True)
class ExhibitKey:
    """A secret for one exhibit: ``exhibit`` is a reference or a PATH as given."""

    exhibit: str
    kind: str
    secret: str = ""

    def __repr__(self) -> str:  # never print the secret by accident
        return f"ExhibitKey(exhibit={self.exhibit!r}, kind={self.kind!r}, secret=<hidden>)"


KINDS = ("passphrase",)


def parse_key(text: str) -> ExhibitKey:
    """``EXHIBIT=passphrase:SECRET`` as an :class:`ExhibitKey`; raises KeyOptionError in words."""
    exhibit, sep, rest = text.partition("=")
    if not sep or not exhibit:
        raise KeyOptionError("--key must be EXHIBIT=passphrase:SECRET")
    kind, sep, secret = rest.partition(":")
    shown = inert(exhibit, 200)  # a newline or escape in the name must not break the line
    if not sep or kind not in KINDS:
        raise KeyOptionError(f"--key for {shown}: the kind must be one of {', '.join(KINDS)}")
    if not secret:
        raise KeyOptionError(f"--key for {shown}: the passphrase is empty")
    return ExhibitKey(exhibit, kind, secret)


def keys_for(keys: list[ExhibitKey], names: set[str]) -> tuple[str, ...]:
    """The passphrases of the keys whose exhibit is one of ``names``, in the order given."""
    return tuple(k.secret for k in keys if k.kind == "passphrase" and k.exhibit in names)


_PASSPHRASES: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "vigil_passphrases", default=()
)


def passphrases() -> tuple[str, ...]:
    """The passphrases given for the exhibit being read now (none outside a scope)."""
    return _PASSPHRASES.get()


@contextlib.contextmanager
def keys_scope(secrets: tuple[str, ...]) -> Iterator[None]:
    """Make ``secrets`` the passphrases that readers see inside the block."""
    token = _PASSPHRASES.set(secrets)
    try:
        yield
    finally:
        _PASSPHRASES.reset(token)
