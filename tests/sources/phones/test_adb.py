"""adb backups: plain, deflated, encrypted (with and without the password), damaged."""

from __future__ import annotations

import io

import pytest

from vigil.sources.keys import ExhibitKey, KeyRing, keys_scope
from vigil.sources.limits import Budget, Limits
from vigil.sources.locator import Locator
from vigil.sources.phones.adb import AdbBackupError, read_header

from ..archives.samples import read_all
from .samples import PASSWORD, adb_bytes


def _ring(*secrets: str) -> KeyRing:
    return KeyRing("EX", tuple(ExhibitKey("EX", "passphrase", s) for s in secrets))


ENTRIES = [
    ("apps/com.whatsapp/f/a.txt", b"hello\n" * 100),
    ("shared/0/DCIM/Camera/IMG_1.jpg", b"\xff\xd8\xff" + bytes(range(256)) * 20),
]


@pytest.mark.parametrize("compressed", [False, True])
@pytest.mark.parametrize("version", [1, 5])
def test_encrypted_with_the_password(compressed: bool, version: int) -> None:
    data = adb_bytes(ENTRIES, compressed=compressed, password=PASSWORD, version=version)
    with keys_scope(_ring("wrong one", PASSWORD)):
        found = read_all(data, "adb-backup", outer="/ev/backup.ab")
    assert [(m.name, content) for m, content in found] == ENTRIES
    assert all(m.locator.leaf.type == "adb" for m, _ in found)


def test_encrypted_without_a_password_is_reported() -> None:
    data = adb_bytes(ENTRIES, password=PASSWORD)
    found = read_all(data, "adb-backup")
    assert [(m.kind, m.status) for m, _ in found] == [("container", "encrypted")]
    assert "--key" in found[0][0].reason


def test_wrong_password_is_said_in_words() -> None:
    data = adb_bytes(ENTRIES, password=PASSWORD)
    with keys_scope(_ring("not it")):
        found = read_all(data, "adb-backup")
    assert [(m.kind, m.status) for m, _ in found] == [("container", "encrypted")]
    assert "none of the passwords" in found[0][0].reason


def test_header_fields() -> None:
    header = read_header(io.BytesIO(adb_bytes(ENTRIES, compressed=True, password=PASSWORD)))
    assert (header.version, header.compressed, header.encryption) == (5, True, "AES-256")
    assert header.rounds == 1000 and len(header.user_iv) == 16


@pytest.mark.parametrize(
    "head",
    [
        b"ANDROID BACKUP\nfive\n1\nnone\n",
        b"ANDROID BACKUP\n5\n2\nnone\n",
        b"ANDROID BACKUP\n5\n1\nROT13\n",
        b"ANDROID BACKUP\n5\n1\nAES-256\nzz\n00\n1000\n00\n00\n",
        b"ANDROID BACKUP\n5\n1\nAES-256\n00\n00\n99999999999\n"
        + b"00" * 16
        + b"\n"
        + b"00" * 16
        + b"\n",
        b"ANDROID BACKUP\n5\n1",
    ],
)
def test_bad_headers_raise_in_words(head: bytes) -> None:
    with pytest.raises(AdbBackupError):
        read_header(io.BytesIO(head))


def test_bad_header_becomes_a_note() -> None:
    found = read_all(b"ANDROID BACKUP\n5\n9\nnone\n", "adb-backup")
    assert [(m.kind, m.status) for m, _ in found] == [("container", "error")]


def test_damaged_ciphertext_never_escapes() -> None:
    data = bytearray(adb_bytes(ENTRIES, password=PASSWORD))
    data[-5] ^= 0xFF
    data = data[:-3]  # no longer whole AES blocks
    reader_found = []
    with keys_scope(_ring(PASSWORD)):
        from vigil.sources.archives import CONTAINER_TYPES

        reader = CONTAINER_TYPES["adb-backup"]
        for member in reader.iter_members(
            io.BytesIO(bytes(data)), Locator.for_path("/e/x.ab"), Limits(), Budget(10**9)
        ):
            reader_found.append(member)
            if member.status == "ok":
                with member.open() as stream:
                    stream.read()
    assert reader_found[-1].kind == "container" and reader_found[-1].status == "error"
