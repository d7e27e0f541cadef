"""RAR 4 and 5 archives, when a backend is installed.

The backend is the ``rarfile`` package (not a Vigil dependency): it lists
archives by itself and reads stored members, and needs an ``unrar``, ``unar``,
``7z`` or ``bsdtar`` tool to decompress the rest. Without ``rarfile`` the whole
archive is one note with status ``unsupported``; without a tool, compressed
members are ``unsupported`` one by one while the listing is still complete.
Encrypted headers (``rar -hp``) give one ``encrypted`` note; encrypted members
give status ``encrypted``. No password is tried.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from types import ModuleType
from typing import Any, BinaryIO

from vigil.sources.archives.base import ContainerReader, Member, Scan
from vigil.sources.archives.streams import limited_stream

_NO_BACKEND = "RAR needs the optional 'rarfile' package (and an unrar/unar/bsdtar tool)"
_NO_TOOL = "compressed RAR data needs an unrar, unar, 7z or bsdtar tool; none is installed"
_STORED = 0x30  # RAR_M0: the data is stored, rarfile reads it without a tool


class RarReader(ContainerReader):
    """Lists and reads RAR archives through ``rarfile`` when it is importable."""

    layer = "rar"

    def _members(self, stream: BinaryIO, scan: Scan) -> Iterator[Member]:
        rarfile = _rarfile()
        if rarfile is None:
            yield scan.note("unsupported", _NO_BACKEND)
            return
        stream.seek(0)
        try:
            archive = rarfile.RarFile(stream)
        except rarfile.PasswordRequired:
            yield scan.note("encrypted", "RAR header is encrypted: names and contents unknown")
            return
        except rarfile.NeedFirstVolume:
            yield scan.note("unsupported", "not the first volume of a multi-volume RAR set")
            return
        infos = archive.infolist()
        if not infos and archive.needs_password():
            yield scan.note("encrypted", "RAR header is encrypted: names and contents unknown")
            return
        scan.total_entries = len(infos)
        has_tool = _has_tool(rarfile)
        for info in infos:
            yield _member(archive, info, scan, has_tool)


def _member(archive: Any, info: Any, scan: Scan, has_tool: bool) -> Member:
    name = str(info.filename)
    mtime = info.mtime.timestamp() if getattr(info, "mtime", None) is not None else None
    fields: dict[str, Any] = {
        "size": info.file_size,
        "compressed_size": info.compress_size,
        "mtime": mtime,
    }
    if info.is_dir():
        return scan.entry(name, kind="dir", **fields)
    if info.needs_password():
        reason = "encrypted (RAR); no password attempted"
        attrs = {"encrypted": True}
        return scan.entry(name, status="encrypted", reason=reason, attrs=attrs, **fields)
    if info.is_symlink():
        reason = "symbolic link, not followed"
        return scan.entry(name, kind="symlink", status="skipped", reason=reason, **fields)
    stored = info.compress_type == _STORED
    if not stored and not has_tool:
        return scan.entry(name, status="unsupported", reason=_NO_TOOL, **fields)
    budget = None if stored else scan.budget
    compressed = info.compress_size

    def opener() -> BinaryIO:
        raw = archive.open(info)
        ratio_base = None if stored else (lambda: compressed)
        return limited_stream(raw, name, scan.limits, budget, ratio_base)

    return scan.entry(name, opener=opener, **fields)


def _rarfile() -> ModuleType | None:
    """The ``rarfile`` module, or None when it is not installed."""
    try:
        return importlib.import_module("rarfile")
    except ImportError:
        return None


def _has_tool(rarfile: Any) -> bool:
    try:
        rarfile.tool_setup()
    except Exception:
        return False  # RarCannotExec and friends: no usable external tool
    return True
