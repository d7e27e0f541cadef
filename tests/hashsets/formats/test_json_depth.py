"""The JSON nesting bound: exact outside strings, across block boundaries, and in an import."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from vigil.errors import ImportFormatError
from vigil.hashsets.formats.json_depth import MAX_DEPTH, NestingGuard, NestingTooDeep
from vigil.hashsets.formats.vics import read_vics
from vigil.hashsets.schemes import load_scheme


def _deepest(document: bytes, block: int) -> int:
    """The smallest limit the document passes when fed in blocks of ``block`` bytes."""
    for limit in range(64):
        guard = NestingGuard(limit=limit)
        try:
            for start in range(0, len(document), block):
                guard.feed(document[start : start + block])
        except NestingTooDeep:
            continue
        assert guard.depth == 0
        return limit
    raise AssertionError("deeper than 64")


@pytest.mark.parametrize("block", [1, 3, 4096])
def test_brackets_inside_strings_do_not_count(block: int) -> None:
    text = json.dumps({"a": ["[[[{{{", 'quote \\" [', "\\\\", [["x]]]}}}"]]]}).encode()
    guard = NestingGuard(limit=4)
    for start in range(0, len(text), block):
        guard.feed(text[start : start + block])
    assert guard.depth == 0
    assert _deepest(text, block) == 4  # {, the list, and [[ around "x]]]}}}"


def test_depth_matches_json_structure_on_random_documents() -> None:
    rng = random.Random(5)

    def value(depth: int) -> object:
        kind = rng.randrange(5 if depth < 12 else 2)
        if kind == 0:
            return "".join(rng.choice('ab[]{}"\\ \n') for _ in range(rng.randrange(6)))
        if kind == 1:
            return rng.randrange(100)
        if kind in (2, 3):
            return [value(depth + 1) for _ in range(rng.randrange(3))]
        return {str(i): value(depth + 1) for i in range(rng.randrange(3))}

    def depth_of(v: object) -> int:
        if isinstance(v, list):
            return 1 + max((depth_of(x) for x in v), default=0)
        if isinstance(v, dict):
            return 1 + max((depth_of(x) for x in v.values()), default=0)
        return 0

    for _ in range(200):
        document = value(0)
        text = json.dumps(document).encode()
        assert _deepest(text, rng.choice([1, 2, 7, 64])) == depth_of(document)


def test_too_deep_names_the_block() -> None:
    guard = NestingGuard(limit=4)
    guard.feed(b'{"a": [[[')
    with pytest.raises(NestingTooDeep) as caught:
        guard.feed(b"[1]]]]}")
    assert (caught.value.start, caught.value.end) == (9, 16)


def test_a_deeply_nested_vics_field_is_refused_with_its_place(tmp_path: Path) -> None:
    """200 KB of [[[[…]]]] once took the importer's memory without bound."""
    depth = 100_000
    record = '{"MediaID": 1, "MD5": "' + "0" * 31 + '1", "Comments": '
    record += "[" * depth + "]" * depth + "}"
    root = '{"odata.metadata": "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Media"'
    path = tmp_path / "deep.json"
    path.write_text(root + ', "value": [' + record + "]}")
    with pytest.raises(ImportFormatError) as caught:
        list(read_vics(path, load_scheme("uk")).entries)
    assert f"nested more than {MAX_DEPTH} levels" in str(caught.value)
    assert "nothing was imported" in str(caught.value)


def test_ordinary_vics_nesting_is_accepted(tmp_path: Path) -> None:
    media = {
        "MediaID": 1,
        "MD5": "0" * 31 + "1",
        "Category": 1,
        "MediaFiles": [{"FileName": "a.jpg", "Exif": [{"Tags": [{"k": [1, [2, [3]]]}]}]}],
    }
    root = {"odata.metadata": "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Media"}
    path = tmp_path / "ok.json"
    path.write_text(json.dumps({**root, "value": [media]}))
    (entry,) = read_vics(path, load_scheme("uk")).entries
    assert entry.md5 == bytes.fromhex("0" * 31 + "1")
