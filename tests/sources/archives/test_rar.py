"""RAR reader: unsupported without a backend; with one (a stand-in module), listed."""

from __future__ import annotations

import io
import sys
import types
from datetime import UTC, datetime
from typing import Any

import pytest

from vigil.sources.identify import sniff

from .samples import members, read_all

RAR4 = b"Rar!\x1a\x07\x00" + b"\x00" * 100
RAR5 = b"Rar!\x1a\x07\x01\x00" + b"\x00" * 100


def test_rar_signatures_are_sniffed() -> None:
    assert sniff(RAR4).name == "rar"
    assert sniff(RAR5).name == "rar"


def test_without_rarfile_the_archive_is_unsupported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rarfile", None)  # makes `import rarfile` fail
    (note,) = members(RAR5, "rar")
    assert (note.kind, note.status) == ("container", "unsupported")
    assert "rarfile" in note.reason


class _Info:
    def __init__(self, name: str, data: bytes = b"", **flags: Any) -> None:
        self.filename = name
        self.data = data
        self.file_size = len(data)
        self.compress_size = len(data)
        self.mtime = datetime(2021, 5, 6, tzinfo=UTC)
        self.compress_type = flags.get("method", 0x30)
        self._flags = flags

    def is_dir(self) -> bool:
        return bool(self._flags.get("dir"))

    def needs_password(self) -> bool:
        return bool(self._flags.get("encrypted"))

    def is_symlink(self) -> bool:
        return bool(self._flags.get("symlink"))


def _fake_rarfile(infos: list[_Info], *, tool: bool = True, error: str = "") -> types.ModuleType:
    module = types.ModuleType("rarfile")

    class PasswordRequired(Exception):
        pass

    class NeedFirstVolume(Exception):
        pass

    class RarFile:
        def __init__(self, stream: Any) -> None:
            if error == "password":
                raise PasswordRequired("header encrypted")
            if error == "volume":
                raise NeedFirstVolume("need first volume")

        def infolist(self) -> list[_Info]:
            return infos

        def needs_password(self) -> bool:
            return False

        def open(self, info: _Info) -> io.BytesIO:
            return io.BytesIO(info.data)

    def tool_setup() -> None:
        if not tool:
            raise RuntimeError("no unrar tool")

    module.__dict__.update(
        PasswordRequired=PasswordRequired,
        NeedFirstVolume=NeedFirstVolume,
        RarFile=RarFile,
        tool_setup=tool_setup,
    )
    return module


INFOS = [
    _Info("dir", dir=True),
    _Info("stored.txt", b"stored data"),
    _Info("packed.txt", b"packed data", method=0x33),
    _Info("secret.jpg", b"?", encrypted=True),
    _Info("link", symlink=True),
]


def test_with_a_backend_and_tool_members_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rarfile", _fake_rarfile(INFOS))
    found = {m.name: (m, content) for m, content in read_all(RAR5, "rar")}
    assert found["dir"][0].kind == "dir"
    assert found["stored.txt"][1] == b"stored data"
    assert found["packed.txt"][1] == b"packed data"
    assert found["secret.jpg"][0].status == "encrypted"
    assert found["link"][0].status == "skipped"
    assert found["stored.txt"][0].mtime == datetime(2021, 5, 6, tzinfo=UTC).timestamp()


def test_without_a_tool_only_stored_members_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rarfile", _fake_rarfile(INFOS, tool=False))
    found = {m.name: (m, content) for m, content in read_all(RAR5, "rar")}
    assert found["stored.txt"][1] == b"stored data"
    assert found["packed.txt"][0].status == "unsupported"
    assert "unrar" in found["packed.txt"][0].reason


@pytest.mark.parametrize(
    ("error", "status"), [("password", "encrypted"), ("volume", "unsupported")]
)
def test_archive_level_conditions_are_notes(
    monkeypatch: pytest.MonkeyPatch, error: str, status: str
) -> None:
    monkeypatch.setitem(sys.modules, "rarfile", _fake_rarfile([], error=error))
    (note,) = members(RAR4, "rar")
    assert (note.kind, note.status) == ("container", status)
