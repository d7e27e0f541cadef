"""Sample-building helpers shared by the format tests (imported, unlike conftest fixtures).

Every hash is the digest of a short benign byte string such as ``b"file-1"``.
"""

from __future__ import annotations

import hashlib
from typing import Any

CONTEXT_2_0 = (
    "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/{region}/$metadata#{shape}"
)
CONTEXT_1_X = "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#{shape}"


def md5_of(data: bytes) -> str:
    """Upper-case hex MD5, as VICS and NSRL write it."""
    return hashlib.md5(data).hexdigest().upper()


def sha1_of(data: bytes) -> str:
    """Upper-case hex SHA-1."""
    return hashlib.sha1(data).hexdigest().upper()


def sha256_of(data: bytes) -> str:
    """Upper-case hex SHA-256."""
    return hashlib.sha256(data).hexdigest().upper()


def media(i: int, **fields: Any) -> dict[str, Any]:
    """A minimal VICS Media record for the benign bytes ``file-i``, plus any fields given."""
    record: dict[str, Any] = {"MediaID": i, "MD5": md5_of(f"file-{i}".encode())}
    record.update(fields)
    return record
