"""BitTorrent artefacts: .torrent, µTorrent resume.dat, qBittorrent .fastresume."""

from __future__ import annotations

import hashlib

import pytest

from vigil.demo import artefacts as A
from vigil.indicators.bencode import encode
from vigil.indicators.torrents import (
    parse_qbittorrent_fastresume,
    parse_torrent,
    parse_utorrent_resume,
    unix_time,
)


def test_a_multi_file_torrent() -> None:
    data, info_hash = A.torrent("pack", [("a.jpg", 10), ("b.mp4", 20)])
    (record,) = parse_torrent(data)
    assert record["info_hash"] == info_hash
    assert record["name"] == "pack"
    assert record["files"] == [
        {"path": "pack/a.jpg", "size": 10},
        {"path": "pack/b.mp4", "size": 20},
    ]
    assert record["created_by"] == "vigil-test"
    assert record["creation_date"] == "2023-11-14T22:13:20+00:00"


def test_a_single_file_torrent_hashes_its_info_as_stored() -> None:
    info = {"name": "one.jpg", "length": 5, "piece length": 16384, "pieces": b"\x00" * 20}
    data = encode({"info": info})
    (record,) = parse_torrent(data)
    assert record["files"] == [{"path": "one.jpg", "size": 5}]
    assert record["info_hash"] == hashlib.sha1(encode(info)).hexdigest()


def test_resume_dat_lists_torrents_and_skips_its_bookkeeping() -> None:
    data = A.utorrent_resume([("x.torrent", "x", r"D:\dl\x", b"\x01" * 20)])
    (record,) = parse_utorrent_resume(data)
    assert record["torrent"] == "x.torrent" and record["name"] == "x"
    assert record["save_path"] == r"D:\dl\x"
    assert record["info_hash"] == "01" * 20
    assert record["added_on"] == "2023-11-14T22:13:20+00:00"
    assert (record["downloaded"], record["uploaded"]) == (123456, 654321)


def test_fastresume() -> None:
    (record,) = parse_qbittorrent_fastresume(A.qbittorrent_fastresume("n", "/dl", b"\x02" * 20))
    assert record["name"] == "n" and record["save_path"] == "/dl"
    assert record["info_hash"] == "02" * 20
    assert record["completed_on"] == "2023-11-14T22:28:20+00:00"
    assert (record["downloaded"], record["uploaded"]) == (5555, 7777)


def test_fastresume_with_an_embedded_info_lists_its_files() -> None:
    info = {"name": "pack", "files": [{"length": 3, "path": ["a.jpg"]}]}
    data = encode(
        {"file-format": "libtorrent resume file", "info-hash": b"\x03" * 20, "info": info}
    )
    (record,) = parse_qbittorrent_fastresume(data)
    assert record["name"] == "pack" and record["files"] == [{"path": "pack/a.jpg", "size": 3}]


@pytest.mark.parametrize(
    ("parser", "data", "message"),
    [
        (parse_torrent, b"d4:name1:xe", "no info dictionary"),
        (parse_torrent, b"garbage", "not a valid .torrent"),
        (parse_utorrent_resume, b"li1ee", "top level is not a dictionary"),
        (parse_qbittorrent_fastresume, encode({"file-format": "other"}), "not a libtorrent"),
    ],
)
def test_malformed_files_raise_value_error(parser: object, data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parser(data)  # type: ignore[operator]


def test_unix_time_rejects_absent_and_absurd_values() -> None:
    assert unix_time(0) is None and unix_time(-5) is None and unix_time(10**12) is None
    assert unix_time(b"1") is None


def test_a_torrent_with_a_trailing_newline_is_read() -> None:
    info = {"name": "one.jpg", "length": 5, "piece length": 16384, "pieces": b"\x00" * 20}
    (record,) = parse_torrent(encode({"info": info}) + b"\r\n")
    assert record["info_hash"] == hashlib.sha1(encode(info)).hexdigest()
    with pytest.raises(ValueError, match="trailing data"):
        parse_torrent(encode({"info": info}) + b"\nx")


_V2_TREE = {
    "a.jpg": {"": {"length": 10, "pieces root": b"\x01" * 32}},
    "sub": {"b.mp4": {"": {"length": 20, "pieces root": b"\x02" * 32}}},
}


def test_a_v2_only_torrent_has_its_file_tree_and_no_v1_hash() -> None:
    info = {"name": "pack", "meta version": 2, "piece length": 16384, "file tree": _V2_TREE}
    (record,) = parse_torrent(encode({"info": info, "piece layers": {}}))
    assert record["version"] == "v2"
    assert record["info_hash"] is None
    assert record["info_hash_v2"] == hashlib.sha256(encode(info)).hexdigest()
    assert record["files"] == [
        {"path": "pack/a.jpg", "size": 10},
        {"path": "pack/sub/b.mp4", "size": 20},
    ]


def test_a_v2_single_file_torrent_is_named_by_its_file() -> None:
    tree = {"one.jpg": {"": {"length": 7, "pieces root": b"\x03" * 32}}}
    info = {"name": "one.jpg", "meta version": 2, "piece length": 16384, "file tree": tree}
    (record,) = parse_torrent(encode({"info": info}))
    assert record["files"] == [{"path": "one.jpg", "size": 7}]


def test_a_hybrid_torrent_has_both_hashes_and_no_padding_files() -> None:
    info = {
        "name": "pack",
        "meta version": 2,
        "piece length": 16384,
        "file tree": _V2_TREE,
        "pieces": b"\x00" * 40,
        "files": [
            {"length": 10, "path": ["a.jpg"]},
            {"length": 16374, "path": [".pad", "16374"], "attr": "p"},
            {"length": 20, "path": ["sub", "b.mp4"]},
        ],
    }
    (record,) = parse_torrent(encode({"info": info}))
    assert record["version"] == "hybrid"
    assert record["info_hash"] == hashlib.sha1(encode(info)).hexdigest()
    assert record["info_hash_v2"] == hashlib.sha256(encode(info)).hexdigest()
    assert [f["path"] for f in record["files"]] == ["pack/a.jpg", "pack/sub/b.mp4"]
    del info["file tree"], info["meta version"]
    (v1,) = parse_torrent(encode({"info": info}))
    assert [f["path"] for f in v1["files"]] == ["pack/a.jpg", "pack/sub/b.mp4"]
    assert v1["info_hash_v2"] is None and v1["version"] == "v1"


def test_a_fastresume_keeps_the_v2_info_hash() -> None:
    data = encode({"file-format": "libtorrent resume file", "info-hash2": b"\x07" * 32})
    (record,) = parse_qbittorrent_fastresume(data)
    assert record["info_hash_v2"] == "07" * 32
