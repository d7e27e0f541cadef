"""The streaming VICS reader: versions, shapes, field normalisation and malformed input."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from format_samples import md5_of, media, sha1_of, sha256_of

from vigil.errors import ImportFormatError, UnknownCategoryError
from vigil.hashsets.formats.vics import read_vics
from vigil.hashsets.formats.vics_fields import iso_utc
from vigil.hashsets.model import HashEntry
from vigil.hashsets.schemes import Scheme


def read_all(
    path: Path, scheme: Scheme, known_good: bool = False
) -> tuple[list[HashEntry], dict[str, str]]:
    """Read a VICS file to the end: its entries, then its info."""
    parsed = read_vics(path, scheme, known_good)
    entries = list(parsed.entries)
    return entries, parsed.info


def test_reads_a_2_0_media_set_with_every_core_field(vics_file: Any, uk: Scheme) -> None:
    record = media(
        55,
        Category=1,
        SHA1=sha1_of(b"file-55").lower(),
        MediaSize=1234,
        MimeType="image/jpeg",
        RelativeFilePath="media/55.jpg",
        PhotoDNA="QUJD",
    )
    entries, info = read_all(vics_file([record]), uk)

    (entry,) = entries
    assert entry.md5 == bytes.fromhex(md5_of(b"file-55"))
    assert entry.sha1 == bytes.fromhex(sha1_of(b"file-55"))
    assert entry.category == "A"
    assert entry.size == 1234
    assert entry.media_id == "55"
    assert entry.extra == {
        "MimeType": "image/jpeg",
        "RelativeFilePath": "media/55.jpg",
        "PhotoDNA": "QUJD",
    }
    assert info["version"] == "2.0"
    assert info["shape"] == "Media"
    assert info["scheme_hint"] == "uk"
    assert info["entries"] == "1"


def test_reads_a_1_x_media_set_with_photodna_among_alternative_hashes(
    vics_file: Any, us: Scheme
) -> None:
    record = media(1, Category=2, AlternativeHashes=[{"HashName": "PhotoDNA", "HashValue": "UERO"}])
    entries, info = read_all(vics_file([record], version="1.x"), us)

    assert entries[0].category == "exploitive"
    assert entries[0].extra == {"PhotoDNA": "UERO"}
    assert info["version"] == "1.x"
    assert info["model_version"] == "1.3"
    assert "scheme_hint" not in info  # a 1.x URL names no region


@pytest.mark.parametrize("version", ["1.x", "2.0"])
def test_reads_a_cases_export_with_media_nested_in_each_case(
    vics_file: Any, uk: Scheme, version: str
) -> None:
    cases = [
        (
            {"CaseNumber": "OP-1", "ContactName": "DC Example", "Media@odata.count": 2},
            [media(1, Category=1), media(2, Category=3)],
        ),
        ({"CaseNumber": "OP-2"}, [media(3, Category=2)]),
    ]
    entries, info = read_all(vics_file(cases, shape="Cases", version=version), uk)

    assert [e.media_id for e in entries] == ["1", "2", "3"]
    assert [e.category for e in entries] == ["A", "C", "B"]
    assert info["shape"] == "Cases"
    assert info["cases"] == "2"
    assert info["case.CaseNumber"] == "OP-1"  # the first case's fields
    assert info["case.ContactName"] == "DC Example"
    assert not any("odata" in key for key in info if key.startswith("case."))


def test_shape_is_inferred_when_the_context_has_no_fragment(vics_file: Any, uk: Scheme) -> None:
    url = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/UK/$metadata"
    path = vics_file([({"CaseNumber": "X"}, [media(1)])], shape="Cases", raw_context=url)

    entries, info = read_all(path, uk)

    assert info["shape"] == "Cases"
    assert [e.media_id for e in entries] == ["1"]


def test_reads_a_file_with_a_utf8_bom(vics_file: Any, uk: Scheme) -> None:
    entries, _ = read_all(vics_file([media(1)], bom=True), uk)
    assert entries[0].media_id == "1"


def test_the_model_key_may_come_after_the_records(vics_file: Any, us: Scheme) -> None:
    path = vics_file([media(1, Category=1)], region="US", context_last=True)
    entries, info = read_all(path, us)
    assert entries[0].category == "cam"
    assert info["scheme_hint"] == "us"


def test_booleans_may_be_strings_at_any_depth(vics_file: Any, uk: Scheme) -> None:
    record = media(
        1,
        IsDistributed="true",
        VictimIdentified="False",
        OffenderIdentified=True,
        IsPrecategorized=None,
        SelfGenerated="1",
        MediaFiles=[{"FileName": "a.jpg", "Deleted": "true", "Unallocated": "false"}],
    )
    (entry,), _ = read_all(vics_file([record]), uk)

    assert entry.extra["IsDistributed"] is True
    assert entry.extra["VictimIdentified"] is False
    assert entry.extra["OffenderIdentified"] is True
    assert entry.extra["IsPrecategorized"] is None
    assert entry.extra["SelfGenerated"] is True
    assert entry.extra["MediaFiles"] == [
        {"FileName": "a.jpg", "Deleted": True, "Unallocated": False}
    ]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"Category": None}, "uncategorised"),  # null: the scheme's null_means
        ({}, None),  # absent: the set says nothing
        ({"Category": "2"}, "B"),  # numeric string
        ({"Category": 0}, "uncategorised"),
    ],
)
def test_category_forms(
    vics_file: Any, uk: Scheme, fields: dict[str, Any], expected: str | None
) -> None:
    (entry,), _ = read_all(vics_file([media(1, **fields)]), uk)
    assert entry.category == expected


def test_us_null_category_is_uncategorised_and_zero_is_non_pertinent(
    vics_file: Any, us: Scheme
) -> None:
    entries, _ = read_all(vics_file([media(1, Category=None), media(2, Category=0)]), us)
    assert [e.category for e in entries] == ["uncategorised", "non_pertinent"]


def test_unknown_category_code_names_the_record_the_code_and_the_scheme(
    vics_file: Any, uk: Scheme
) -> None:
    path = vics_file([media(1, Category=1), media(7, Category=9)])

    with pytest.raises(UnknownCategoryError) as caught:
        read_all(path, uk)

    assert caught.value.where == "Media #2 (MediaID 7)"
    assert "9" in caught.value.reason
    assert "'uk'" in caught.value.reason


def test_known_good_sets_keep_categories_aside_instead_of_resolving_them(
    vics_file: Any, uk: Scheme
) -> None:
    (entry,), _ = read_all(vics_file([media(1, Category=9)]), uk, known_good=True)
    assert entry.category is None
    assert entry.extra["source_category"] == 9


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/Date(1234567890000)/", "2009-02-13T23:31:30Z"),
        ("/Date(1234567890000+0100)/", "2009-02-13T23:31:30Z"),  # offset is display-only
        ("/Date(1234567890123-0500)/", "2009-02-13T23:31:30.123000Z"),
        ("/Date(-1000)/", "1969-12-31T23:59:59Z"),
        ("2020-06-01T12:00:00+01:00", "2020-06-01T11:00:00Z"),
        ("2020-06-01T12:00:00Z", "2020-06-01T12:00:00Z"),
        ("2020-06-01T12:00:00.1234567Z", "2020-06-01T12:00:00.123456Z"),
        ("2020-06-01 12:00:00", "2020-06-01T12:00:00Z"),  # no zone: taken as UTC
        ("2020-06-01", "2020-06-01T00:00:00Z"),
    ],
)
def test_dates_are_normalised_to_iso_utc(text: str, expected: str) -> None:
    assert iso_utc(text) == expected
    assert iso_utc(expected) == expected  # idempotent, so a re-export reads back the same


def test_dates_are_normalised_in_media_and_media_files(vics_file: Any, uk: Scheme) -> None:
    record = media(
        1,
        DateUpdated="/Date(1234567890000+0100)/",
        MediaFiles=[{"FileName": "a.jpg", "Created": "2020-06-01T12:00:00+02:00", "Written": ""}],
    )
    (entry,), _ = read_all(vics_file([record]), uk)
    assert entry.extra["DateUpdated"] == "2009-02-13T23:31:30Z"
    assert entry.extra["MediaFiles"][0]["Created"] == "2020-06-01T10:00:00Z"
    assert entry.extra["MediaFiles"][0]["Written"] is None


def test_odata_annotations_are_ignored_everywhere(vics_file: Any, uk: Scheme) -> None:
    record = media(
        1,
        **{
            "odata.id": "Media(1)",
            "MediaFiles@odata.navigationLinkUrl": "Media(1)/MediaFiles",
            "MediaFiles": [{"FileName": "a.jpg", "@odata.type": "#VICS.MediaFile"}],
        },
    )
    path = vics_file([record], extra_root={"odata.count": 1})
    (entry,), _ = read_all(path, uk)
    assert entry.extra == {"MediaFiles": [{"FileName": "a.jpg"}]}


def test_alternative_hashes_fill_missing_fields_and_keep_the_rest(
    vics_file: Any, uk: Scheme
) -> None:
    pdq = "f" * 64
    record = media(
        1,
        AlternativeHashes=[
            {"HashName": "SHA1", "HashValue": sha1_of(b"file-1"), "MD5": md5_of(b"file-1")},
            {"HashName": "sha-256", "HashValue": sha256_of(b"file-1")},
            {"HashName": "PDQ", "HashValue": pdq, "Quality": 90},
            {"HashName": "EDK", "HashValue": "0123"},
        ],
    )
    (entry,), _ = read_all(vics_file([record]), uk)

    assert entry.sha1 == bytes.fromhex(sha1_of(b"file-1"))
    assert entry.sha256 == bytes.fromhex(sha256_of(b"file-1"))
    assert entry.pdq == bytes.fromhex(pdq)
    assert entry.pdq_quality == 90
    assert entry.extra["AlternativeHashes"] == [{"HashName": "EDK", "HashValue": "0123"}]


def test_top_level_sha256_and_pdq_are_kept(vics_file: Any, uk: Scheme) -> None:
    """A Media record's own SHA256 and PDQ fields (not only AlternativeHashes) reach the entry."""
    pdq = "0123456789abcdef" * 4
    record = media(1, SHA1=sha1_of(b"file-1"), SHA256=sha256_of(b"file-1"), PDQ=pdq.upper())
    (entry,), _ = read_all(vics_file([record]), uk)
    assert entry.sha1 == bytes.fromhex(sha1_of(b"file-1"))
    assert entry.sha256 == bytes.fromhex(sha256_of(b"file-1"))
    assert entry.pdq == bytes.fromhex(pdq)
    assert "SHA256" not in entry.extra and "PDQ" not in entry.extra


def test_a_conflicting_alternative_hash_stays_in_extra(vics_file: Any, uk: Scheme) -> None:
    other = {"HashName": "SHA1", "HashValue": sha1_of(b"other")}
    same = {"HashName": "SHA1", "HashValue": sha1_of(b"file-1")}
    record = media(1, SHA1=sha1_of(b"file-1"), AlternativeHashes=[same, other])
    (entry,), _ = read_all(vics_file([record]), uk)
    assert entry.sha1 == bytes.fromhex(sha1_of(b"file-1"))
    assert entry.extra["AlternativeHashes"] == [other]


def test_a_bad_date_inside_an_alternative_hash_names_where_it_is(
    vics_file: Any, uk: Scheme
) -> None:
    """An examiner must find the broken field: its path runs through the alternative's index."""
    bad = {"HashName": "EDK", "HashValue": "0123", "Created": "not a date"}
    record = media(1, AlternativeHashes=[{"HashName": "EDK", "HashValue": "4567"}, bad])
    with pytest.raises(ImportFormatError) as caught:
        read_all(vics_file([record]), uk)
    assert caught.value.reason.startswith("AlternativeHashes[1].Created ")


def test_name_comes_from_the_first_media_file(vics_file: Any, uk: Scheme) -> None:
    files = [{"FileName": "first.jpg"}, {"FileName": "second.jpg"}]
    (entry,), _ = read_all(vics_file([media(1, MediaFiles=files)]), uk)
    assert entry.name == "first.jpg"


def test_a_media_level_file_name_wins_even_when_null(vics_file: Any, uk: Scheme) -> None:
    files = [{"FileName": "instance.jpg"}]
    records = [
        media(1, FileName="own.jpg", MediaFiles=files),
        media(2, FileName=None, MediaFiles=files),
    ]
    entries, _ = read_all(vics_file(records), uk)
    assert [e.name for e in entries] == ["own.jpg", None]
    with pytest.raises(ImportFormatError) as caught:
        read_all(vics_file([media(3, FileName=5)]), uk)
    assert caught.value.reason == "FileName must be a string, got 5"


def test_an_empty_value_list_gives_no_entries(vics_file: Any, uk: Scheme) -> None:
    entries, info = read_all(vics_file([]), uk)
    assert entries == []
    assert info["entries"] == "0"


# Malformed input ---------------------------------------------------------------------------


def test_missing_md5_names_the_record(vics_file: Any, uk: Scheme) -> None:
    records = [media(1), {"MediaID": 42, "Category": 1, "SHA1": sha1_of(b"x")}]
    with pytest.raises(ImportFormatError) as caught:
        read_all(vics_file(records), uk)
    assert caught.value.where == "Media #2 (MediaID 42)"
    assert "MD5 is missing" in caught.value.reason


def test_missing_md5_in_a_case_names_the_case_and_record(vics_file: Any, uk: Scheme) -> None:
    cases = [({"CaseNumber": "A"}, [media(1)]), ({"CaseNumber": "B"}, [media(2), {"MediaID": 9}])]
    with pytest.raises(ImportFormatError) as caught:
        read_all(vics_file(cases, shape="Cases"), uk)
    assert caught.value.where == "Case #2, Media #2 (MediaID 9)"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"MD5": "ABC"}, "md5 must be 32 hex digits"),
        ({"MD5": "Z" * 32}, "not hexadecimal"),
        ({"MD5": 12345}, "MD5 must be a hex string"),
        ({"SHA1": "00"}, "SHA1: sha1 must be 40 hex digits"),
        ({"MediaSize": "big"}, "MediaSize must be a whole number"),
        ({"MediaSize": -1}, "MediaSize must be a whole number"),
        ({"Category": "A"}, "Category must be a numeric code"),
        ({"Category": True}, "Category must be a numeric code"),
        ({"IsDistributed": "maybe"}, "IsDistributed must be true or false"),
        ({"DateUpdated": "yesterday"}, "DateUpdated is no ISO-8601"),
        ({"MediaFiles": [{"Created": 5}]}, "MediaFiles[0].Created must be a date string"),
        ({"AlternativeHashes": {"HashName": "SHA1"}}, "AlternativeHashes must be a list"),
        ({"AlternativeHashes": [{"HashName": "SHA256", "HashValue": "00"}]}, "sha256 must be 64"),
        ({"AlternativeHashes": [{"HashValue": "00"}]}, "needs a HashName"),
        ({"MediaID": [1]}, "MediaID must be a number or a string"),
    ],
)
def test_bad_fields_name_the_record_and_the_field(
    vics_file: Any, uk: Scheme, fields: dict[str, Any], reason: str
) -> None:
    record = media(3, **fields) if "MediaID" not in fields else {**media(3), **fields}
    with pytest.raises(ImportFormatError) as caught:
        read_all(vics_file([media(1), record]), uk)
    assert caught.value.where.startswith("Media #2")
    assert reason in caught.value.reason


def test_a_record_that_is_not_an_object_is_an_error(vics_file: Any, uk: Scheme) -> None:
    with pytest.raises(ImportFormatError) as caught:
        read_all(vics_file([media(1), "oops"]), uk)
    assert caught.value.where == "Media #2"
    assert "must be a JSON object" in caught.value.reason


def test_truncated_json_names_the_last_good_record_and_the_bytes(
    vics_file: Any, uk: Scheme
) -> None:
    path = vics_file([media(i) for i in range(1, 6)])
    data = path.read_bytes()
    path.write_bytes(data[: data.index(b'"MediaID": 5') + 5])

    parsed = read_vics(path, uk)
    with pytest.raises(ImportFormatError) as caught:
        list(parsed.entries)

    assert caught.value.where.startswith("after Media #4 (MediaID 4), bytes ")
    assert "premature EOF" in caught.value.reason
    assert "truncated" in caught.value.reason


def test_truncated_cases_export_names_the_record_being_read(vics_file: Any, uk: Scheme) -> None:
    path = vics_file([({"CaseNumber": "A"}, [media(1), media(2)])], shape="Cases")
    data = path.read_bytes()
    path.write_bytes(data[: data.index(b'"MediaID": 2') + 8])
    with pytest.raises(ImportFormatError) as caught:
        list(read_vics(path, uk).entries)
    assert caught.value.where.startswith("Case #1, Media #2, bytes")


def test_an_error_at_the_start_of_a_case_names_the_case(vics_file: Any, uk: Scheme) -> None:
    cases = [({"CaseNumber": "A"}, [media(1)]), ({"CaseNumber": "B"}, [media(2)])]
    path = vics_file(cases, shape="Cases")
    data = path.read_bytes()
    cut = data.index(b'"CaseNumber": "B"')
    path.write_bytes(data[:cut] + b"!" + data[cut:])
    with pytest.raises(ImportFormatError) as caught:
        list(read_vics(path, uk).entries)
    assert caught.value.where.startswith("Case #2, before its first Media record, bytes 0–")


def test_a_syntax_error_shows_the_text_near_it(vics_file: Any, uk: Scheme) -> None:
    path = vics_file([media(1), media(2)])
    path.write_bytes(path.read_bytes().replace(b'"MediaID": 2,', b'"MediaID": 2 x,'))
    with pytest.raises(ImportFormatError) as caught:
        list(read_vics(path, uk).entries)
    assert "invalid JSON" in caught.value.reason
    assert "MediaID" in caught.value.reason  # the snippet yajl shows


def test_a_broken_header_is_reported_before_any_entry(tmp_path: Path, uk: Scheme) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"@odata.context": "http://x/2.0.xml/UK/$metadata#Media" "value": []}')
    with pytest.raises(ImportFormatError) as caught:
        read_vics(path, uk)
    assert caught.value.where.startswith("JSON root, bytes 0–")


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ('{"value": []}', "no odata.metadata or @odata.context key"),
        ('[{"MD5": "x"}]', "the root must be an object"),
        ('{"@odata.context": "u#Media"}', "no 'value' list"),
        ('{"@odata.context": "u#Media", "value": {"MD5": "x"}}', "must be a list of records"),
        ('{"@odata.context": 5, "value": []}', "must be a URL string"),
    ],
)
def test_documents_that_are_not_vics(
    tmp_path: Path, uk: Scheme, document: str, reason: str
) -> None:
    path = tmp_path / "x.json"
    path.write_text(document)
    with pytest.raises(ImportFormatError) as caught:
        read_vics(path, uk)
    assert reason in caught.value.reason


def test_an_empty_file_is_an_error(tmp_path: Path, uk: Scheme) -> None:
    path = tmp_path / "empty.json"
    path.write_bytes(b"")
    with pytest.raises(ImportFormatError) as caught:
        read_vics(path, uk)
    assert caught.value.where == "byte 0"
    assert "empty" in caught.value.reason


# Streaming ---------------------------------------------------------------------------------


def _write_big_vics(path: Path, target_bytes: int) -> int:
    """Write a Media set of about ``target_bytes`` record by record; returns the record count."""
    padding = "benign comment text " * 100  # ~2 KB a record keeps the record count modest
    count = 0
    with path.open("w", encoding="utf-8") as out:
        out.write('{"@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/')
        out.write('2.0.xml/UK/$metadata#Media", "value": [')
        while out.tell() < target_bytes:
            count += 1
            record = media(count, Category=count % 4, Comments=padding, IsDistributed="true")
            out.write(("," if count > 1 else "") + json.dumps(record))
        out.write("]}")
    return count


def test_a_50_mb_file_is_read_with_a_small_fraction_of_its_size_in_memory(
    tmp_path: Path, uk: Scheme
) -> None:
    path = tmp_path / "big.json"
    count = _write_big_vics(path, 50 * 1024 * 1024)
    size = path.stat().st_size

    tracemalloc.start()
    try:
        seen = sum(1 for _ in read_vics(path, uk).entries)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert seen == count
    # Loading the document whole would need several times its size; streaming needs a few MB.
    assert peak < size / 20, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.0f} MB file"


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ("oops", "a Media record must be a JSON object, not a string"),
        ([1], "a Media record must be a JSON object, not a list"),
        (None, "a Media record must be a JSON object, not null"),
        (7, "a Media record must be a JSON object, not a number"),
        (True, "a Media record must be a JSON object, not a boolean"),
        ({"MediaID": 3}, "MD5 is missing: every VICS Media needs one"),
        ({"MediaID": 3, "MD5": "  "}, "MD5 is missing: every VICS Media needs one"),
        (media(3, MD5={}), "MD5 must be a hex string, not an object"),
        (media(3, SHA1=5), "SHA1 must be a hex string, not a number"),
        (media(3, MediaSize="X5"), "MediaSize must be a whole number of bytes, got 'X5'"),
        (media(3, IsDistributed="maybe"), "IsDistributed must be true or false, got 'maybe'"),
        (media(3, IsDistributed=2), "IsDistributed must be true or false, got 2"),
        (media(3, AlternativeHashes=["x"]), "AlternativeHashes[0] must be an object, not a string"),
        (
            media(3, AlternativeHashes={"HashName": "MD5"}),
            "AlternativeHashes must be a list, not an object",
        ),
        (
            media(3, AlternativeHashes=[{"HashName": "MD5", "HashValue": "a"}, {"HashName": "X"}]),
            "AlternativeHashes[1] needs a HashValue string",
        ),
        (
            media(
                3, AlternativeHashes=[{"HashName": "PDQ", "HashValue": "0" * 64, "Quality": 101}]
            ),
            "AlternativeHashes[0].Quality must be 0 to 100, got 101",
        ),
        (
            media(3, AlternativeHashes=[{"HashName": "PDQ", "HashValue": "0" * 64, "Quality": -1}]),
            "AlternativeHashes[0].Quality must be 0 to 100, got -1",
        ),
        (
            media(3, DateUpdated="y" * 80),
            f"DateUpdated is no ISO-8601 or /Date(ms)/ timestamp: {'y' * 60!r}",
        ),
    ],
)
def test_a_bad_field_is_told_exactly(vics_file: Any, uk: Scheme, record: Any, reason: str) -> None:
    with pytest.raises(ImportFormatError) as caught:
        read_all(vics_file([record]), uk)
    assert caught.value.reason == reason


def test_quality_bounds_booleans_sizes_and_names_that_are_accepted(
    vics_file: Any, uk: Scheme
) -> None:
    def pdq(quality: int) -> list[dict[str, Any]]:
        return [{"HashName": "PDQ", "HashValue": "0" * 64, "Quality": quality}]

    records = [
        media(1, AlternativeHashes=pdq(0), IsDistributed=0, MediaSize=""),
        media(2, AlternativeHashes=pdq(100), IsDistributed=1, MediaSize=12.0),
        media(3, IsDistributed="0", MediaSize=" 7 ", MediaFiles=[]),
        media(4, IsDistributed=" TRUE ", MediaFiles=["not-an-object.jpg"], MediaSize=0),
    ]
    entries, _ = read_all(vics_file(records), uk)
    assert [e.pdq_quality for e in entries] == [0, 100, None, None]
    assert [e.extra["IsDistributed"] for e in entries] == [False, True, False, True]
    assert [e.size for e in entries] == [None, 12, 7, 0]
    assert [e.name for e in entries] == [None, None, None, None]


def test_a_negative_category_code_is_a_code_not_a_format_error(vics_file: Any, uk: Scheme) -> None:
    with pytest.raises(UnknownCategoryError):
        read_all(vics_file([media(1, Category="-3")]), uk)


@pytest.mark.usefixtures("host_13_hours_east")
def test_dates_are_utc_whatever_the_host() -> None:
    assert iso_utc("2026-05-01T12:00:00") == "2026-05-01T12:00:00Z"  # no zone: UTC
    assert iso_utc("2026-05-01T13:00:00+01:00") == "2026-05-01T12:00:00Z"
