"""Browser databases whose cells hold any SQLite type: the suspect chooses the types.

SQLite keeps whatever type is written into a column (a BLOB in a TEXT column,
text in an INTEGER one), so the parsers must never assume the declared type.
Records still come out JSON-able, or the database is reported malformed.
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from vigil.demo.artefacts import CHROMIUM_SCHEMA, FIREFOX_SCHEMA

from .contract import keep_contract
from .targets import TARGETS

CELL = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),  # SQLite turns NaN into NULL; infinities it keeps
    st.text(max_size=40),  # NUL, bidi overrides and lone surrogates' neighbours included
    st.binary(max_size=40),
)


def _database(script: str, fill: list[tuple[str, list[Any]]]) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "db"
        conn = sqlite3.connect(path)
        conn.executescript(script.replace("NOT NULL", ""))  # NULLs are a type too
        for table, values in fill:
            marks = ", ".join("?" * len(values))
            conn.execute(f"INSERT INTO {table} VALUES ({marks})", values)
        conn.commit()
        conn.close()
        return path.read_bytes()


@given(
    download=st.lists(CELL, min_size=28, max_size=28),
    chain=st.tuples(st.sampled_from([1, "1", b"1", 1.0]), CELL, CELL),
)
def test_chromium_cells_of_any_type(download: list[Any], chain: tuple[Any, Any, Any]) -> None:
    download[0] = 1  # the row id: an INTEGER PRIMARY KEY accepts nothing else
    data = _database(
        CHROMIUM_SCHEMA, [("downloads", download), ("downloads_url_chains", list(chain))]
    )
    target = "artefact-chromium_history"
    keep_contract(target, TARGETS[target].check, data)


@given(place_url=CELL, content=CELL, meta=CELL, added=CELL, modified=CELL)
def test_firefox_cells_of_any_type(
    place_url: Any, content: Any, meta: Any, added: Any, modified: Any
) -> None:
    rows: list[tuple[str, list[Any]]] = [
        ("moz_anno_attributes", [1, "downloads/destinationFileURI"]),
        ("moz_anno_attributes", [2, "downloads/metaData"]),
        ("moz_places (id, url)", [1, place_url]),
    ]
    data = _database(FIREFOX_SCHEMA, rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "db"
        path.write_bytes(data)
        conn = sqlite3.connect(path)
        insert = (
            "INSERT INTO moz_annos (place_id, anno_attribute_id, content, type, dateAdded, "
            "lastModified) VALUES (1, ?, ?, 3, ?, ?)"
        )
        conn.execute(insert, (1, content, added, modified))
        conn.execute(insert, (2, meta, added, modified))
        conn.commit()
        conn.close()
        data = path.read_bytes()
    target = "artefact-firefox_places"
    keep_contract(target, TARGETS[target].check, data)
