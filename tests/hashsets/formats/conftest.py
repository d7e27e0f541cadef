"""Fixture builders for the hash-set format tests: every file is generated here, in tmp_path.

All hashes are digests of short benign byte strings (``b"file-1"``); category
codes are labels, nothing more.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from format_samples import CONTEXT_1_X, CONTEXT_2_0, md5_of, sha1_of, sha256_of

from vigil.hashsets.schemes import Scheme, load_scheme


@pytest.fixture
def uk() -> Scheme:
    """The built-in UK scheme."""
    return load_scheme("uk")


@pytest.fixture
def us() -> Scheme:
    """The built-in Project VIC US scheme."""
    return load_scheme("us")


VicsBuilder = Callable[..., Path]


@pytest.fixture
def vics_file(tmp_path: Path) -> VicsBuilder:
    """Build a VICS file: ``vics_file(records, version=, shape=, region=, bom=, ...)``.

    For shape "Cases", ``records`` is a list of (case fields, media list) pairs.
    ``context_last`` puts the model key after the value list; ``raw_context``
    overrides the URL; ``extra_root`` adds root keys first.
    """

    def build(
        records: Sequence[Any],
        *,
        version: str = "2.0",
        shape: str = "Media",
        region: str = "UK",
        bom: bool = False,
        context_last: bool = False,
        raw_context: str | None = None,
        extra_root: dict[str, Any] | None = None,
        name: str = "set.json",
    ) -> Path:
        """Write the document and return its path."""
        if version == "2.0":
            key, url = "@odata.context", CONTEXT_2_0.format(region=region, shape=shape)
        else:
            key, url = "odata.metadata", CONTEXT_1_X.format(shape=shape)
        url = raw_context if raw_context is not None else url
        if shape == "Cases":
            value: list[Any] = [{**fields, "Media": list(items)} for fields, items in records]
        else:
            value = list(records)
        root: dict[str, Any] = dict(extra_root or {})
        if not context_last:
            root[key] = url
        root["value"] = value
        if context_last:
            root[key] = url
        data = json.dumps(root, indent=1).encode()
        path = tmp_path / name
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
        return path

    return build


NsrlBuilder = Callable[..., Path]

_NSRL_FULL_SCHEMA = """
CREATE TABLE METADATA (metadata_id INTEGER PRIMARY KEY, object_id INTEGER, file_name VARCHAR,
    extension VARCHAR, bytes INTEGER, md5 VARCHAR, sha1 VARCHAR, sha256 VARCHAR);
CREATE TABLE PACKAGE_OBJECT (package_object_id INTEGER PRIMARY KEY, package_id INTEGER,
    object_id INTEGER);
CREATE TABLE APPLICATION (application_id INTEGER PRIMARY KEY, package_id INTEGER, name VARCHAR,
    version VARCHAR);
CREATE TABLE APPLICATION_TYPE (application_type_id INTEGER PRIMARY KEY, description VARCHAR);
CREATE TABLE APPLICATION_APPLICATION_TYPE (id INTEGER PRIMARY KEY, application_id INTEGER,
    application_type_id INTEGER);
CREATE VIEW FILE AS SELECT UPPER(md.sha256) AS sha256, UPPER(md.sha1) AS sha1,
    UPPER(md.md5) AS md5,
    CASE md.extension WHEN '' THEN md.file_name ELSE md.file_name||'.'||md.extension END
        AS file_name,
    md.bytes AS file_size, po.package_id
    FROM METADATA AS md, PACKAGE_OBJECT AS po WHERE md.object_id = po.object_id;
CREATE VIEW PKG AS SELECT a.package_id, a.name, a.version, 1 AS operating_system_id,
    1 AS manufacturer_id, 'English' AS language, at.description AS application_type
    FROM APPLICATION AS a, APPLICATION_APPLICATION_TYPE AS aat, APPLICATION_TYPE AS at
    WHERE a.application_id = aat.application_id
    AND aat.application_type_id = at.application_type_id;
"""

_NSRL_MINIMAL_SCHEMA = """
CREATE TABLE HASHES (sha256 VARCHAR, sha1 VARCHAR, md5 VARCHAR);
CREATE VIEW DISTINCT_HASH AS SELECT DISTINCT sha256, sha1, md5 FROM HASHES;
"""

_VERSION_SCHEMA = """
CREATE TABLE VERSION (version VARCHAR UNIQUE NOT NULL, build_set VARCHAR NOT NULL,
    build_date TIMESTAMP NOT NULL, release_date TIMESTAMP NOT NULL, description VARCHAR NOT NULL);
INSERT INTO VERSION VALUES ('2023.12.1', 'modern', '2023-11-30 10:00:00', '2023-12-01 00:00:00',
    'December 2023 delta');
INSERT INTO VERSION VALUES ('2024.03.1', 'modern', '2024-02-28 10:00:00', '2024-03-01 00:00:00',
    'March 2024 full');
"""

NSRL_FILES = [
    # (object_id, package_id, file_name, extension, content)
    (1, 10, "notepad", "exe", b"file-1"),
    (2, 10, "readme", "", b"file-2"),
    (3, 20, "stego", "dll", b"file-3"),
    (4, 20, "empty", "txt", b""),
]
"""FILE rows of the generated full set; the empty one must be skipped."""

NSRL_APPS = [
    # (application_id, package_id, name, version, [application types])
    (100, 10, "Text Editor", "1.0", ["Operating System"]),
    (200, 20, "HideIt", "2.1", ["Steganography", "Encryption"]),
]


@pytest.fixture
def nsrl_db(tmp_path: Path) -> NsrlBuilder:
    """Build an RDSv3-like SQLite set: ``nsrl_db("full" | "minimal", version=True, name=...)``."""

    def build(kind: str = "full", *, version: bool = True, name: str = "rds.db") -> Path:
        """Create the database and return its path."""
        path = tmp_path / name
        conn = sqlite3.connect(path)
        try:
            if kind == "full":
                _fill_full(conn)
            else:
                _fill_minimal(conn)
            if version:
                conn.executescript(_VERSION_SCHEMA)
            conn.commit()
        finally:
            conn.close()
        return path

    return build


def _fill_full(conn: sqlite3.Connection) -> None:
    conn.executescript(_NSRL_FULL_SCHEMA)
    for object_id, package_id, file_name, extension, content in NSRL_FILES:
        conn.execute(
            "INSERT INTO METADATA (object_id, file_name, extension, bytes, md5, sha1, sha256)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                object_id,
                file_name,
                extension,
                len(content),
                md5_of(content).lower(),  # the FILE view upper-cases, as the real one does
                sha1_of(content).lower(),
                sha256_of(content).lower(),
            ),
        )
        conn.execute(
            "INSERT INTO PACKAGE_OBJECT (package_id, object_id) VALUES (?, ?)",
            (package_id, object_id),
        )
    type_ids: dict[str, int] = {}
    for application_id, package_id, app_name, app_version, types in NSRL_APPS:
        conn.execute(
            "INSERT INTO APPLICATION VALUES (?, ?, ?, ?)",
            (application_id, package_id, app_name, app_version),
        )
        for app_type in types:
            type_id = type_ids.setdefault(app_type, len(type_ids) + 1)
            conn.execute(
                "INSERT OR IGNORE INTO APPLICATION_TYPE VALUES (?, ?)", (type_id, app_type)
            )
            conn.execute(
                "INSERT INTO APPLICATION_APPLICATION_TYPE (application_id, application_type_id)"
                " VALUES (?, ?)",
                (application_id, type_id),
            )


def _fill_minimal(conn: sqlite3.Connection) -> None:
    conn.executescript(_NSRL_MINIMAL_SCHEMA)
    for content in (b"file-1", b"file-2", b"file-2", b""):
        conn.execute(
            "INSERT INTO HASHES VALUES (?, ?, ?)",
            (sha256_of(content), sha1_of(content), md5_of(content)),
        )
