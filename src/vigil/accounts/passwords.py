"""Password hashing with argon2id (argon2-cffi) and the password policy."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from vigil.errors import UsageError

MIN_LENGTH = 12
MAX_LENGTH = 1024  # argon2 takes any length; a bound stops a megabyte "password" DoS

_HASHER = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against for unknown user names so that a login takes as long either way.

    Made on first use, not at import: an argon2 hash costs ~0.1 s that every
    command which never checks a password (``vigil --version``) would pay.
    """
    return _HASHER.hash("vigil-dummy-password-never-valid")


def check_policy(password: str) -> None:
    """Raise UsageError when ``password`` is too short or too long."""
    if len(password) < MIN_LENGTH:
        raise UsageError(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise UsageError(f"a password may have at most {MAX_LENGTH} characters")


def hash_password(password: str) -> str:
    """The argon2id hash of a password that meets the policy."""
    check_policy(password)
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored_hash`` (None: compare with a dummy, say no)."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _HASHER.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    try:
        return _HASHER.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True
