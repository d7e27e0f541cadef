"""``vigil user``: accounts from the command line, passwords from stdin, one-line errors."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from vigil.accounts.passwords import verify_password
from vigil.audit import GLOBAL_SCOPE, entries
from vigil.cases.case import get_or_create_case
from vigil.cli.exit_codes import ExitCode
from vigil.cli.main import run
from vigil.store.engine import open_store
from vigil.store.schema import user_account

PASSWORD = "a long enough passphrase"


def _user(argv: list[str], monkeypatch: pytest.MonkeyPatch, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return run(["user", *argv])


def test_add_with_password_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["add", "dc.smith", "--role", "examiner", "--password-stdin"]
    assert _user(argv, monkeypatch, PASSWORD + "\n") == ExitCode.OK
    assert "Added dc.smith (examiner)" in capsys.readouterr().out
    assert _user(["list", "--json"], monkeypatch) == ExitCode.OK
    listed = json.loads(capsys.readouterr().out)
    assert [(u["name"], u["role"], u["disabled"]) for u in listed] == [
        ("dc.smith", "examiner", False)
    ]
    store = open_store()
    with store.connect() as conn:
        stored = conn.execute(select(user_account.c.password_hash)).scalar_one()
        log = [(e.actor, e.action, e.target) for e in entries(conn, GLOBAL_SCOPE)]
    store.close()
    assert verify_password(stored, PASSWORD)
    assert log == [("test-examiner", "user.add", "dc.smith")]


def test_errors_are_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["add", "eve", "--role", "examiner", "--password-stdin"]
    assert _user(argv, monkeypatch, "short\n") == ExitCode.USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "at least 12 characters" in err
    assert _user(argv, monkeypatch, "") == ExitCode.USAGE
    assert "nothing on standard input" in capsys.readouterr().err
    # No terminal and no --password-stdin: refuse rather than hang.
    assert _user(["add", "eve", "--role", "examiner"], monkeypatch) == ExitCode.USAGE
    assert "use --password-stdin" in capsys.readouterr().err
    assert _user(["add", "eve", "--role", "chief"], monkeypatch, PASSWORD) == ExitCode.USAGE
    assert _user(["disable", "nobody"], monkeypatch) == ExitCode.FAILURE
    assert "no user named 'nobody'" in capsys.readouterr().err


def test_disable_enable_passwd_assign(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    add = ["add", "eve", "--role", "examiner", "--password-stdin"]
    assert _user(add, monkeypatch, PASSWORD + "\n") == ExitCode.OK
    store = open_store()
    with store.begin() as conn:
        get_or_create_case(conn, "op-kestrel", "uk", "dc")
    store.close()
    assert _user(["disable", "eve"], monkeypatch) == ExitCode.OK
    assert _user(["enable", "eve"], monkeypatch) == ExitCode.OK
    new = "a different passphrase"
    assert _user(["passwd", "eve", "--password-stdin"], monkeypatch, new + "\n") == ExitCode.OK
    assert _user(["assign", "eve", "op-kestrel"], monkeypatch) == ExitCode.OK
    assert _user(["assign", "eve", "op-kestrel"], monkeypatch) == ExitCode.OK
    assert "was already on op-kestrel" in capsys.readouterr().out
    assert _user(["list"], monkeypatch) == ExitCode.OK
    assert "op-kestrel" in capsys.readouterr().out
    assert _user(["unassign", "eve", "op-kestrel"], monkeypatch) == ExitCode.OK
    assert _user(["assign", "eve", "op-none"], monkeypatch) == ExitCode.FAILURE
    store = open_store()
    with store.connect() as conn:
        actions = [e.action for e in entries(conn, GLOBAL_SCOPE)]
    store.close()
    assert actions == [
        "user.add",
        "user.disable",
        "user.enable",
        "user.passwd",
        "case.assign",
        "case.unassign",
    ]
