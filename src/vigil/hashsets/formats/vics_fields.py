"""VICS Media fields: one parsed Media object in, one normalised HashEntry out.

The reader (``vics.py``) finds the records; this module knows what their fields
mean. Everything that is not a hash, the category, the size, the MediaID or the
name is kept in ``HashEntry.extra`` with booleans and dates normalised and OData
annotations dropped, so that ``vics_writer`` can say it again.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from vigil.hashsets.formats._common import category_key, digest_or_none, parse_digest
from vigil.hashsets.model import HashEntry
from vigil.hashsets.schemes import Scheme

CORE_FIELDS = frozenset(
    {
        "MediaID",
        "Category",
        "MD5",
        "SHA1",
        "SHA256",
        "PDQ",
        "MediaSize",
        "FileName",
        "AlternativeHashes",
    }
)
"""Media keys that map onto HashEntry attributes rather than ``extra``."""

BOOL_FIELDS = frozenset(
    {
        "IsPrecategorized",
        "IsDistributed",
        "IsSuspected",
        "VictimIdentified",
        "OffenderIdentified",
        "SelfGenerated",
        "Unallocated",
        "Deleted",
    }
)
"""Keys (at any depth) whose value is a boolean, though exporters often write "true"."""

DATE_FIELDS = frozenset({"DateUpdated", "Created", "Written", "Accessed", "Modified"})
"""Keys (at any depth) holding a timestamp, normalised to ISO-8601 UTC."""

ALTERNATIVE_KINDS = {
    "SHA1": "sha1",
    "SHA-1": "sha1",
    "SHA256": "sha256",
    "SHA-256": "sha256",
    "PDQ": "pdq",
}
"""AlternativeHashes HashName (upper-cased) → the HashEntry attribute it can fill."""

_NET_DATE = re.compile(r"/Date\((-?\d+)([+-]\d{4})?\)/")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class FieldError(ValueError):
    """A Media field that cannot be read; the reader adds which record it is."""


def is_annotation(key: str) -> bool:
    """True for OData annotation keys (``odata.id``, ``Media@odata.navigationLinkUrl``)."""
    return key.startswith("odata.") or "@odata." in key


def media_entry(record: object, scheme: Scheme, known_good: bool = False) -> HashEntry:
    """Build the HashEntry of one VICS Media object; FieldError or CategoryLookupError if bad."""
    if not isinstance(record, dict):
        raise FieldError(f"a Media record must be a JSON object, not {_json_type(record)}")
    extra = normalise({k: v for k, v in record.items() if k not in CORE_FIELDS})
    entry = HashEntry(
        md5=_md5(record),
        sha1=_hex_field(record, "SHA1", "sha1"),
        sha256=_hex_field(record, "SHA256", "sha256"),
        pdq=_hex_field(record, "PDQ", "pdq"),
        size=_size(record.get("MediaSize")),
        media_id=_media_id(record.get("MediaID")),
        extra=extra,
    )
    _take_alternative_hashes(entry, record.get("AlternativeHashes"))
    if "Category" in record:
        # Absent means the source says nothing (None); null means "not graded",
        # which the scheme names (null_means). Keeping them apart lets a VICS
        # export say exactly what the import said.
        entry.category = category_key(_category_code(record["Category"]), scheme, known_good, extra)
    entry.name = _name(record, extra)
    return entry


def first_file_name(extra: dict[str, Any]) -> str | None:
    """The FileName of the first MediaFiles instance, which names a Media that has no FileName."""
    files = extra.get("MediaFiles")
    if isinstance(files, list) and files and isinstance(files[0], dict):
        name = files[0].get("FileName")
        if isinstance(name, str):
            return name
    return None


def normalise(value: Any, path: str = "") -> Any:
    """Drop OData annotations and normalise booleans and dates, at any depth."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if is_annotation(key):
                continue
            where = f"{path}.{key}" if path else key
            if key in BOOL_FIELDS:
                out[key] = _bool(item, where)
            elif key in DATE_FIELDS:
                out[key] = _date(item, where)
            else:
                out[key] = normalise(item, where)
        return out
    if isinstance(value, list):
        return [normalise(item, f"{path}[{i}]") for i, item in enumerate(value)]
    return value


def iso_utc(text: str) -> str:
    """Normalise an ISO-8601 or .NET ``/Date(ms±hhmm)/`` timestamp to ISO-8601 UTC ("…Z").

    A timestamp without a zone is taken as UTC: VICS does not say, and the tools
    that write one write UTC. ValueError if the text is no timestamp.
    """
    value = text.strip()
    match = _NET_DATE.fullmatch(value)
    if match:
        # The ±hhmm suffix only says where the writer was: the milliseconds are UTC.
        moment = _EPOCH + timedelta(milliseconds=int(match[1]))
    else:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        moment = moment.astimezone(UTC)
    pattern = "%Y-%m-%dT%H:%M:%S.%fZ" if moment.microsecond else "%Y-%m-%dT%H:%M:%SZ"
    return moment.strftime(pattern)


def _md5(record: dict[str, Any]) -> bytes:
    value = record.get("MD5")
    if value is None or (isinstance(value, str) and not value.strip()):
        raise FieldError("MD5 is missing: every VICS Media needs one")
    digest = _hex_field(record, "MD5", "md5")
    if digest is None:  # not blank, checked above
        raise FieldError("MD5 is missing: every VICS Media needs one")
    return digest


def _hex_field(record: dict[str, Any], key: str, kind: str) -> bytes | None:
    value = record.get(key)
    if value is not None and not isinstance(value, str):
        raise FieldError(f"{key} must be a hex string, not {_json_type(value)}")
    try:
        return digest_or_none(value, kind)
    except ValueError as exc:
        raise FieldError(f"{key}: {exc}") from None


def _size(value: Any) -> int | None:
    if value is None or value == "":
        return None
    number = _integer(value)
    if number is None or number < 0:
        raise FieldError(f"MediaSize must be a whole number of bytes, got {value!r}")
    return number


def _media_id(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise FieldError(f"MediaID must be a number or a string, got {value!r}")
    text = str(value).strip()
    return text or None


def _category_code(value: Any) -> int | None:
    if value is None:
        return None
    number = _integer(value)
    if number is None:
        raise FieldError(f"Category must be a numeric code or null, got {value!r}")
    return number


def _integer(value: Any) -> int | None:
    """An int from an int, a whole float or a string of digits; None if it is none of those."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _name(record: dict[str, Any], extra: dict[str, Any]) -> str | None:
    # A Media-level FileName (which Vigil's writer adds when needed) wins, even when null.
    if "FileName" in record:
        value = record["FileName"]
        if value is not None and not isinstance(value, str):
            raise FieldError(f"FileName must be a string, got {value!r}")
        return value
    return first_file_name(extra)


def _take_alternative_hashes(entry: HashEntry, raw: Any) -> None:
    """Fill sha1/sha256/pdq from AlternativeHashes where the Media lacks them; keep the rest."""
    if raw is None:
        return
    if not isinstance(raw, list):
        raise FieldError(f"AlternativeHashes must be a list, not {_json_type(raw)}")
    kept = []
    for index, item in enumerate(raw):
        alternative = _alternative(item, index)
        if not _absorb(entry, alternative, index):
            kept.append(alternative)
    if kept:
        entry.extra["AlternativeHashes"] = kept


def _alternative(item: Any, index: int) -> dict[str, Any]:
    where = f"AlternativeHashes[{index}]"
    if not isinstance(item, dict):
        raise FieldError(f"{where} must be an object, not {_json_type(item)}")
    alternative: dict[str, Any] = normalise(item, where)
    if not isinstance(alternative.get("HashName"), str):
        raise FieldError(f"{where} needs a HashName string")
    if not isinstance(alternative.get("HashValue"), str):
        raise FieldError(f"{where} needs a HashValue string")
    return alternative


def _absorb(entry: HashEntry, alternative: dict[str, Any], index: int) -> bool:
    """Move one alternative hash onto the entry; False when it must stay in ``extra``."""
    label = alternative["HashName"].strip().upper()
    value = alternative["HashValue"]
    if label == "PHOTODNA":
        # VICS 1.x kept PhotoDNA here; 2.0 has a Media field for it, which wins.
        return bool(entry.extra.setdefault("PhotoDNA", value) == value)
    kind = ALTERNATIVE_KINDS.get(label)
    if kind is None:
        return False
    try:
        digest = parse_digest(value, kind)
    except ValueError as exc:
        raise FieldError(f"AlternativeHashes[{index}]: {exc}") from None
    current = getattr(entry, kind)
    if current is None:
        setattr(entry, kind, digest)
        if kind == "pdq":
            entry.pdq_quality = _quality(alternative.get("Quality"), index)
        return True
    return bool(current == digest)


def _quality(value: Any, index: int) -> int | None:
    if value is None:
        return None
    number = _integer(value)
    if number is None or not 0 <= number <= 100:
        raise FieldError(f"AlternativeHashes[{index}].Quality must be 0 to 100, got {value!r}")
    return number


def _bool(value: Any, where: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        folded = value.strip().casefold()
        if folded in ("true", "1"):
            return True
        if folded in ("false", "0"):
            return False
    raise FieldError(f"{where} must be true or false, got {value!r}")


def _date(value: Any, where: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise FieldError(f"{where} must be a date string, got {value!r}")
    try:
        return iso_utc(value)
    except (ValueError, OverflowError):
        raise FieldError(
            f"{where} is no ISO-8601 or /Date(ms)/ timestamp: {value[:60]!r}"
        ) from None


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")
