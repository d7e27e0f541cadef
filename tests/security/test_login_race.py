"""Parallel wrong guesses cannot beat the lockout or the brake, on SQLite and PostgreSQL.

Each guess reserves its password check in the database before it is made
(accounts/login.py), so however many guesses arrive together, from threads of one
app or from several processes, no more than the policy's count are checked
against the password, and the right password sent afterwards does not log in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from httpx2 import Response
from login_clients import (
    PASSWORD,
    WRONG,
    add_people,
    app_client,
    failed_logins_of,
    login,
    login_audit,
    post_login,
    pre_login_token,
)

from vigil.accounts import login as login_module
from vigil.accounts import users
from vigil.accounts.brake import BrakePolicy
from vigil.store.engine import Store
from vigil.web.app import create_app
from vigil.web.settings import WebSettings

GUESSES = 30
"""As many as in the report of the race: 22-25 of 30 used to be checked."""

SPRAYED = 12
"""Accounts guessed at once from one address (each one needs a password hashed to set up)."""


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The passwords checked against a real hash (the dummy check for unknown names is not)."""
    checked: list[str] = []
    lock = threading.Lock()
    real_verify = login_module.verify_password

    def counting_verify(stored_hash: str | None, password: str) -> bool:
        if stored_hash is not None:
            with lock:
                checked.append(password)
        return real_verify(stored_hash, password)

    monkeypatch.setattr(login_module, "verify_password", counting_verify)
    return checked


def _all_at_once(count: int, send: Callable[[int], Response]) -> list[int]:
    """Run ``send(i)`` for i in range(count) from as many threads released together."""
    statuses: list[int] = [0] * count
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        barrier.wait()
        statuses[index] = send(index).status_code

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


def test_parallel_guesses_at_one_account_check_no_more_than_the_policy(
    store: Store, checks: list[str]
) -> None:
    add_people(store)
    settings = WebSettings(brake=BrakePolicy(max_failures=1000))  # the lockout alone here
    app = create_app(store, settings)
    clients = [app_client(app) for _ in range(GUESSES)]
    tokens = [pre_login_token(client) for client in clients]
    statuses = _all_at_once(GUESSES, lambda i: post_login(clients[i], "eve", WRONG, tokens[i]))
    assert statuses == [401] * GUESSES
    limit = settings.lockout.max_failures
    assert len(checks) <= limit
    assert failed_logins_of(store, "eve")[1]  # locked
    # The right password now is refused, and is not even checked.
    assert login(app_client(app), "eve", PASSWORD).status_code == 401
    assert len(checks) <= limit and PASSWORD not in checks
    audit = login_audit(store)
    reasons = Counter(d["reason"] for action, _, d in audit if action == "login.failed")
    assert reasons["wrong password"] == len(checks)
    assert reasons["account locked"] == GUESSES + 1 - len(checks)
    assert [a for a, _, _ in audit].count("user.locked") == 1


def test_parallel_spraying_from_one_address_checks_no_more_than_the_brake(
    store: Store, checks: list[str]
) -> None:
    add_people(store)
    names = [f"officer{i}" for i in range(SPRAYED)]
    for name in names:
        users.add_user(store, name, "examiner", PASSWORD, "test-setup")
    settings = WebSettings(brake=BrakePolicy(max_failures=4))
    app = create_app(store, settings)
    clients = [app_client(app, peer="192.0.2.50") for _ in names]
    tokens = [pre_login_token(client) for client in clients]
    statuses = _all_at_once(SPRAYED, lambda i: post_login(clients[i], names[i], WRONG, tokens[i]))
    assert sorted(statuses) == [401] * len(checks) + [429] * (SPRAYED - len(checks))
    assert 1 <= len(checks) <= 4
    # One guess per account: the brake, not the lockout, stopped them.
    assert not any(failed_logins_of(store, name)[1] for name in names)
    assert login(app_client(app, peer="192.0.2.50"), "eve").status_code == 429
    assert login(app_client(app, peer="192.0.2.51"), "eve").status_code == 303


def test_guesses_from_several_processes_share_one_count(store: Store, db_url: str) -> None:
    add_people(store)
    processes, per_process = 4, 5
    script = Path(__file__).with_name("login_guesser.py")
    source = Path(login_module.__file__).parents[2]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(source), os.environ.get("PYTHONPATH", "")]),
    }
    guessers = [
        subprocess.Popen(
            [sys.executable, str(script), db_url, "eve", WRONG, str(per_process)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(processes)
    ]
    reports = []
    try:
        for guesser in guessers:
            assert guesser.stdout is not None and guesser.stdout.readline().strip() == "ready"
        for guesser in guessers:
            assert guesser.stdin is not None
            guesser.stdin.write("go\n")
            guesser.stdin.flush()
        for guesser in guessers:
            out, _ = guesser.communicate(timeout=120)
            assert guesser.returncode == 0
            reports.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for guesser in guessers:
            if guesser.poll() is None:
                guesser.kill()
                guesser.wait()
    checked = sum(report["checked"] for report in reports)
    outcomes = Counter(o for report in reports for o in report["outcomes"])
    assert 1 <= checked <= 5
    assert outcomes == {"wrong password": checked, "account locked": 20 - checked}
    assert failed_logins_of(store, "eve")[1]
