"""Hash-set file formats: tell them apart by content, and read each into a ParsedSet.

    vics      VICS 1.x/2.0 JSON (Project VIC, CAID)       vics.py, vics_fields.py
    nsrl      NIST NSRL RDSv3 SQLite                        nsrl.py
    hashdeep  hashdeep / md5deep CSV                        hashdeep.py
    ilook     iLook Investigator hash files (V1, V3, V4)    ilook.py
    csv       CSV with a header (md5, sha1, sha256, pdq…)   csvlist.py
    sumfile   md5sum / sha1sum / sha256sum output           sumfile.py
    plain     one hash per line                             plain.py
    vpdq      vPDQ features of one video (Meta's text)      vpdq.py

Writers (VICS 2.0, CSV) are in ``vics_writer.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from vigil.errors import ImportFormatError, UsageError
from vigil.hashsets.formats._common import is_skippable, line_error, require_content
from vigil.hashsets.formats.csvlist import looks_like_csv_header, read_csv
from vigil.hashsets.formats.hashdeep import MAGIC as HASHDEEP_MAGIC
from vigil.hashsets.formats.hashdeep import read_hashdeep
from vigil.hashsets.formats.ilook import ilook_version, read_ilook
from vigil.hashsets.formats.nsrl import SQLITE_MAGIC, nsrl_view, read_nsrl
from vigil.hashsets.formats.plain import looks_plain, read_plain
from vigil.hashsets.formats.sumfile import looks_like_sumfile, read_sumfile
from vigil.hashsets.formats.vics import BOM, CONTEXT_KEYS, has_vics_root, read_vics
from vigil.hashsets.formats.vpdq import looks_like_vpdq, read_vpdq
from vigil.hashsets.model import ParsedSet
from vigil.hashsets.schemes import Scheme

__all__ = ["FORMATS", "detect_format", "read_hashset"]

Reader = Callable[[Path, Scheme, bool], ParsedSet]

READERS: dict[str, Reader] = {
    "vics": read_vics,
    "nsrl": read_nsrl,
    "hashdeep": read_hashdeep,
    "ilook": read_ilook,
    "csv": read_csv,
    "sumfile": read_sumfile,
    "plain": read_plain,
    "vpdq": read_vpdq,
}
FORMATS = tuple(READERS)
"""Every format name ``read_hashset`` accepts."""

SNIFF_BYTES = 64 * 1024
"""How much of a file detection reads: a header, or a line of a text list, fits well within."""

_ZIP_MAGIC = b"PK\x03\x04"


LINE_FORMATS = frozenset({"sumfile", "plain", "ilook"})
"""The formats whose bad lines ``skip_bad_lines`` may skip (one record a line)."""


def detect_format(path: str | Path, skip_bad_lines: bool = False) -> str:
    """Name a hash-set file's format from its content (never its extension).

    Returns one of FORMATS; ImportFormatError says why the file is none of them.
    ``skip_bad_lines``: a line of no known format is passed over (the reader
    then reports it) rather than deciding the file is none.
    """
    path = Path(path)
    require_content(path)
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if head.startswith(SQLITE_MAGIC):
        nsrl_view(path)  # raises unless the database holds an NSRL view
        return "nsrl"
    if head.startswith(_ZIP_MAGIC):
        raise ImportFormatError(
            str(path), "byte 0", "a ZIP archive: unpack it and import the file inside"
        )
    text = head.removeprefix(BOM).decode("utf-8", errors="replace")
    if text.lstrip().startswith("{"):
        return _detect_json(path, text)
    # The last line of a full sniff buffer may be cut short: judge whole lines only.
    lines = text.splitlines()
    if len(head) == SNIFF_BYTES and len(lines) > 1:
        lines.pop()
    return _detect_text(str(path), lines, skip_bad_lines)


def read_hashset(
    path: str | Path,
    scheme: Scheme,
    format: str | None = None,
    known_good: bool = False,
    skip_bad_lines: bool = False,
) -> ParsedSet:
    """Read a hash-set file of the given (or detected) format into a streaming ParsedSet.

    Iterate ``entries`` once, then read ``info``. ``known_good`` marks a set of
    known files: its categories are not grades, so they are kept aside, not resolved.
    ``skip_bad_lines`` (md5sum-style and plain lists): a line that is no hash is
    skipped and named in ``info`` instead of refusing the file.
    """
    path = Path(path)
    if format is not None and format not in READERS:
        raise UsageError(f"unknown hash-set format {format!r}: use one of {', '.join(FORMATS)}")
    chosen = format or detect_format(path, skip_bad_lines)
    if skip_bad_lines and chosen == "sumfile":
        parsed = read_sumfile(path, scheme, known_good, skip_bad_lines=True)
    elif skip_bad_lines and chosen == "plain":
        parsed = read_plain(path, scheme, known_good, skip_bad_lines=True)
    elif skip_bad_lines and chosen == "ilook":
        parsed = read_ilook(path, scheme, known_good, skip_bad_lines=True)
    else:
        parsed = READERS[chosen](path, scheme, known_good)
    if known_good:
        parsed.info["known_good"] = "true"
    return parsed


def _detect_json(path: Path, text: str) -> str:
    # Fast path: the model key is almost always the first key of the root.
    if any(f'"{key}"' in text for key in CONTEXT_KEYS) or has_vics_root(path):
        return "vics"
    raise ImportFormatError(
        str(path), "JSON root", "JSON without odata.metadata or @odata.context: not a VICS file"
    )


def _detect_text(source: str, lines: list[str], skip_bad_lines: bool = False) -> str:
    if lines and lines[0].strip() == HASHDEEP_MAGIC:
        return "hashdeep"
    if lines and ilook_version(lines[0]) is not None:
        return "ilook"
    for line_no, line in enumerate(lines, 1):
        if is_skippable(line):
            continue
        if looks_like_vpdq(line):
            return "vpdq"
        # Hash lines first: a file name in a sumfile line may hold ";size" or "\tname".
        if looks_like_sumfile(line):
            return "sumfile"
        if looks_plain(line):
            return "plain"
        if looks_like_csv_header(line):
            return "csv"
        if skip_bad_lines:
            continue
        raise line_error(
            source,
            line_no,
            "not a hash-set format Vigil reads (VICS, NSRL, hashdeep, iLook, CSV with a header, "
            "md5sum/sha1sum/sha256sum output, one hash per line, vPDQ features)",
            line,
        )
    raise ImportFormatError(source, "whole file", "no hash lines: only blank lines and comments")
