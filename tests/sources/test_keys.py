"""--key EXHIBIT=passphrase:SECRET: parsing, and an encrypted adb backup scanned with it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa

from vigil.errors import UsageError
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.sources.keys import audit_entries, keys_for, parse_key
from vigil.store.engine import Store
from vigil.store.schema import item, scan_run

from .phones.samples import PASSWORD, adb_bytes


def test_parse_key_and_secret_hidden_in_repr() -> None:
    key = parse_key("EX1=passphrase:a:b=c")
    assert (key.exhibit, key.kind, key.secret) == ("EX1", "passphrase", "a:b=c")
    assert "a:b=c" not in repr(key)
    assert keys_for([key, parse_key("EX2=passphrase:z")], {"EX1"}) == (key,)


@pytest.mark.parametrize(
    "text",
    ["EX1", "=passphrase:x", "EX1=pin:1234", "EX1=passphrase:", "EX1=keyfile:/no/such/file"],
)
def test_bad_keys_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError):
        parse_key(text)


def test_key_kinds_and_their_sha256(tmp_path: Path) -> None:
    recovery = parse_key("EX1=recovery-password:111111-222222-333333")
    assert recovery.kind == "recovery-password"
    keyfile = tmp_path / "stick.bek"
    keyfile.write_bytes(b"\x00\x01key")
    key = parse_key(f"EX1=keyfile:{keyfile}")
    assert key.secret_bytes() == b"\x00\x01key"
    assert audit_entries([key]) == [
        {"exhibit": "EX1", "kind": "keyfile", "sha256": hashlib.sha256(b"\x00\x01key").hexdigest()}
    ]


@pytest.mark.parametrize("text", ["\nEX1=parsphrase:x", "EX\x1b[2J=passphrase:", "\u202eEX=pin:1"])
def test_a_bad_key_is_said_on_one_line_whatever_the_exhibit_name(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_key(text)
    message = str(caught.value)
    assert message.isprintable(), message


def test_encrypted_adb_backup_scanned_with_its_key(store: Store, tmp_path: Path) -> None:
    data = adb_bytes([("shared/0/DCIM/a.txt", b"hello")], password=PASSWORD)
    (tmp_path / "phone.ab").write_bytes(data)
    key = parse_key(f"phone.ab=passphrase:{PASSWORD}")
    run_scan(store, [tmp_path / "phone.ab"], ScanOptions(case="K", workers=1, keys=[key]))
    with store.connect() as conn:
        displays = [r.display for r in conn.execute(sa.select(item.c.display))]
        params = conn.execute(sa.select(scan_run.c.params)).scalar_one()
    assert any(d.endswith("adb:shared/0/DCIM/a.txt") for d in displays)
    assert PASSWORD not in str(params)  # never stored
