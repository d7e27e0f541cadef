"""What every hash-set reader shares: error text, hex fields, categories, empty-data digests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from vigil.errors import ImportFormatError
from vigil.hashsets.model import HASH_LENGTHS, KIND_BY_HEX_LENGTH, HashEntry, parse_hex
from vigil.hashsets.schemes import Scheme

SNIPPET_CHARS = 80
"""How much of an offending line an error message shows: enough to find it, not a wall."""

EMPTY_DIGESTS = {
    "md5": bytes.fromhex("d41d8cd98f00b204e9800998ecf8427e"),
    "sha1": bytes.fromhex("da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    "sha256": bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
}
"""Digests of zero bytes of data: every empty file has them, so they identify nothing."""


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """The offending text for an error message: line end dropped, shortened, quoted."""
    text = text.rstrip("\r\n")
    if len(text) > limit:
        text = text[:limit] + "…"
    return repr(text)


def line_error(source: str, line_no: int, reason: str, line: str) -> ImportFormatError:
    """An ImportFormatError that names the line and shows what it reads."""
    return ImportFormatError(source, f"line {line_no}", f"{reason}; the line reads {snippet(line)}")


def require_content(path: Path) -> None:
    """Refuse a 0-byte file up front, whatever its format, with a reason a user understands."""
    if path.stat().st_size == 0:
        raise ImportFormatError(str(path), "byte 0", "the file is empty (0 bytes)")


def open_text(path: Path, newline: str | None = None) -> TextIO:
    """Open a text hash list: UTF-8 with or without a BOM.

    Undecodable bytes become U+FFFD rather than an error: they can only sit in
    file names, which identify nothing, while the hashes are ASCII.
    """
    return path.open(encoding="utf-8-sig", errors="replace", newline=newline)


def is_skippable(line: str) -> bool:
    """Blank lines and ``#`` comments, which text lists may hold anywhere."""
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def parse_digest(text: str, kind: str) -> bytes:
    """Decode a hex digest of ``kind``; ValueError says why not, briefly, whatever the input.

    The length is checked first because ``parse_hex`` quotes the whole value,
    and a bad line can be megabytes long; errors show the line, shortened.
    """
    digits = len(text.strip())
    want = HASH_LENGTHS[kind] * 2
    if digits != want:
        raise ValueError(f"{kind} must be {want} hex digits, got {digits}")
    return parse_hex(text, kind)


def kind_of(text: str) -> str:
    """md5/sha1/sha256 from a bare hex digest's length; ValueError (brief) if none fits."""
    digits = len(text.strip())
    kind = KIND_BY_HEX_LENGTH.get(digits)
    if kind is None:
        raise ValueError(f"{digits} hex digits is no MD5 (32), SHA-1 (40) or SHA-256 (64)")
    return kind


def digest_or_none(text: str | None, kind: str) -> bytes | None:
    """Decode an optional hex digest: ``None`` or blank gives ``None``; ValueError says why not."""
    if text is None or not text.strip():
        return None
    return parse_digest(text, kind)


def entry_of(kind: str, digest: bytes, name: str | None = None) -> HashEntry:
    """An entry holding one hash of ``kind`` (md5, sha1, sha256, pdq)."""
    entry = HashEntry(name=name)
    setattr(entry, kind, digest)
    return entry


def category_key(
    value: object, scheme: Scheme, known_good: bool, extra: dict[str, Any]
) -> str | None:
    """Turn a source's category value into a scheme key (CategoryLookupError if unknown).

    A known-good set's categories are not grades of this scheme (an NSRL set
    converted to VICS says Category 0 throughout), so they are not interpreted:
    the entry gets no category and the raw value is kept in ``extra``.
    """
    if known_good:
        if value is not None and value != "":
            extra["source_category"] = value
        return None
    return scheme.resolve(value)


def hash_kinds(seen: set[str]) -> str:
    """``info`` text for the hash kinds a list held, in a fixed order."""
    order = ("md5", "sha1", "sha256", "pdq")
    return ",".join(kind for kind in order if kind in seen)


LineParser = Callable[[str], tuple[HashEntry, str]]
"""Turns one line (newline stripped) into its entry and hash kind; ValueError says why not."""


MAX_NAMED_BAD_LINES = 50
"""How many skipped lines ``info`` names by number (all are counted)."""


def entries_by_line(
    path: Path, info: dict[str, str], parse: LineParser, skip_bad_lines: bool = False
) -> Iterator[HashEntry]:
    """Entries of a one-record-per-line list; blank lines and ``#`` comments skipped.

    Every error names the line and shows it. ``info`` gets the entry count and
    the hash kinds seen once the entries have been iterated. ``skip_bad_lines``:
    a line that does not parse is skipped, counted and named in ``info``
    (``skipped_lines``, ``skipped_line_reasons``) instead of refusing the file.
    """
    source = str(path)
    seen: set[str] = set()
    count = 0
    bad: list[str] = []
    bad_count = 0
    with open_text(path) as handle:
        for line_no, line in enumerate(handle, 1):
            if is_skippable(line):
                continue
            try:
                entry, kind = parse(line.rstrip("\r\n"))
            except ValueError as exc:
                if not skip_bad_lines:
                    raise line_error(source, line_no, str(exc), line) from None
                bad_count += 1
                if len(bad) < MAX_NAMED_BAD_LINES:
                    bad.append(f"line {line_no}: {exc}; the line reads {snippet(line)}")
                continue
            seen.add(kind)
            count += 1
            yield entry
    info["entries"] = str(count)
    info["hash_kinds"] = hash_kinds(seen)
    if bad_count:
        info["skipped_lines"] = str(bad_count)
        info["skipped_line_reasons"] = "\n".join(bad)
