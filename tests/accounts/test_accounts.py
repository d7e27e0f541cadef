"""Accounts library: users, passwords, lockout, assignments; every change audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from vigil.accounts import assignments, login, users
from vigil.accounts.login import LockoutPolicy, LoginRefused, authenticate
from vigil.accounts.passwords import hash_password, verify_password
from vigil.audit import GLOBAL_SCOPE, case_scope, entries, verify
from vigil.cases.case import get_or_create_case
from vigil.errors import NotFoundError, UsageError
from vigil.store.engine import Store
from vigil.store.schema import user_account

PASSWORD = "a long enough passphrase"


def _log(store: Store, scope: str = GLOBAL_SCOPE) -> list[tuple[str, str, str | None]]:
    with store.connect() as conn:
        return [(e.actor, e.action, e.target) for e in entries(conn, scope)]


def test_passwords_are_argon2_and_checked() -> None:
    stored = hash_password(PASSWORD)
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert verify_password(stored, PASSWORD)
    assert not verify_password(stored, PASSWORD + "x")
    assert not verify_password(None, PASSWORD)
    assert not verify_password("not a hash", PASSWORD)
    with pytest.raises(UsageError, match="at least 12"):
        hash_password("short")


def test_add_list_disable_and_audit(store: Store) -> None:
    user = users.add_user(store, "dc.smith", "examiner", PASSWORD, "sgt-jones")
    assert (user.name, user.role, user.disabled) == ("dc.smith", "examiner", False)
    with pytest.raises(UsageError, match="already exists"):
        users.add_user(store, "dc.smith", "examiner", PASSWORD, "sgt-jones")
    with pytest.raises(UsageError, match="unknown role"):
        users.add_user(store, "x", "superuser", PASSWORD, "sgt-jones")
    with pytest.raises(UsageError, match="bad user name"):
        users.add_user(store, "../etc", "examiner", PASSWORD, "sgt-jones")
    users.set_disabled(store, "dc.smith", True, "sgt-jones")
    assert [u.disabled for u in users.list_users(store)] == [True]
    with pytest.raises(NotFoundError):
        users.set_disabled(store, "nobody", True, "sgt-jones")
    assert _log(store) == [
        ("sgt-jones", "user.add", "dc.smith"),
        ("sgt-jones", "user.disable", "dc.smith"),
    ]
    with store.connect() as conn:
        stored = conn.execute(sa.select(user_account.c.password_hash)).scalar_one()
    assert PASSWORD not in stored


def test_lockout_counts_wrong_passwords_only(store: Store) -> None:
    users.add_user(store, "eve", "examiner", PASSWORD, "admin")
    policy = LockoutPolicy(max_failures=3, lock_for=timedelta(minutes=5))
    for _ in range(3):
        with pytest.raises(LoginRefused) as refused:
            authenticate(store, "eve", "wrong wrong wrong", policy)
        assert refused.value.reason == "wrong password"
    with pytest.raises(LoginRefused, match="wrong name or password") as refused:
        authenticate(store, "eve", PASSWORD, policy)
    assert refused.value.reason == "account locked"
    later = datetime.now(UTC) + timedelta(minutes=6)
    assert authenticate(store, "eve", PASSWORD, policy, now=later).name == "eve"
    actions = [a for _, a, _ in _log(store)]
    assert actions.count("login.failed") == 4 and actions.count("user.locked") == 1
    assert actions.index("user.locked") == 4  # right after the third wrong password
    assert actions[-1] == "login"


def test_a_right_password_ends_the_run_of_failures(store: Store) -> None:
    users.add_user(store, "eve", "examiner", PASSWORD, "admin")
    policy = LockoutPolicy(max_failures=3)
    for _ in range(2):
        with pytest.raises(LoginRefused):
            authenticate(store, "eve", "wrong wrong wrong", policy)
    # The third try takes the last place and locks at once; being right, it lifts the lock.
    assert authenticate(store, "eve", PASSWORD, policy).name == "eve"
    user = users.list_users(store)[0]
    assert (user.failed_logins, user.locked_until) == (0, None)
    for _ in range(2):
        with pytest.raises(LoginRefused):
            authenticate(store, "eve", "wrong wrong wrong", policy)
    assert authenticate(store, "eve", PASSWORD, policy).name == "eve"
    assert "user.locked" not in [a for _, a, _ in _log(store)]


def test_a_locked_or_disabled_account_is_refused_without_a_check(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    users.add_user(store, "eve", "examiner", PASSWORD, "admin")
    users.add_user(store, "val", "examiner", PASSWORD, "admin")
    users.set_disabled(store, "val", True, "admin")
    with store.begin() as conn:
        conn.execute(
            sa.update(user_account)
            .where(user_account.c.name == "eve")
            .values(locked_until=datetime.now(UTC) + timedelta(minutes=1))
        )
    checked: list[str | None] = []
    real_verify = login.verify_password

    def counting_verify(stored_hash: str | None, password: str) -> bool:
        checked.append(stored_hash)
        return real_verify(stored_hash, password)

    monkeypatch.setattr(login, "verify_password", counting_verify)
    reasons = []
    for name in ("eve", "val", "nobody"):
        with pytest.raises(LoginRefused) as refused:
            authenticate(store, name, PASSWORD, LockoutPolicy())
        reasons.append(refused.value.reason)
    assert reasons == ["account locked", "account disabled", "no such user"]
    assert checked == [None, None, None]  # only the dummy hash, for the timing


def test_password_change_clears_lockout(store: Store) -> None:
    users.add_user(store, "eve", "examiner", PASSWORD, "admin")
    with store.begin() as conn:
        conn.execute(
            sa.update(user_account).values(locked_until=datetime.now(UTC) + timedelta(hours=1))
        )
    users.set_password(store, "eve", "another long passphrase", "admin")
    assert authenticate(store, "eve", "another long passphrase", LockoutPolicy()).name == "eve"
    assert ("admin", "user.passwd", "eve") in _log(store)


def test_assignments_decide_visible_cases(store: Store) -> None:
    users.add_user(store, "eve", "examiner", PASSWORD, "admin")
    users.add_user(store, "ada", "admin", PASSWORD, "admin")
    with store.begin() as conn:
        one = get_or_create_case(conn, "op-one", "uk", "dc")
        two = get_or_create_case(conn, "op-two", "uk", "dc")
    assert assignments.assign(store, "eve", "op-one", "ada")
    assert not assignments.assign(store, "eve", "op-one", "ada")
    with pytest.raises(UsageError, match="sees every case"):
        assignments.assign(store, "ada", "op-one", "ada")
    with pytest.raises(NotFoundError):
        assignments.assign(store, "eve", "op-none", "ada")
    with store.connect() as conn:
        eve = users.get_user(conn, "eve")
        ada = users.get_user(conn, "ada")
        assert assignments.visible_case_ids(conn, eve) == [one]
        assert assignments.visible_case_ids(conn, ada) == [one, two]
        assert assignments.can_see_case(conn, eve, one)
        assert not assignments.can_see_case(conn, eve, two)
        assert assignments.assignments(conn) == [("op-one", "eve")]
    assert assignments.unassign(store, "eve", "op-one", "ada")
    assert not assignments.unassign(store, "eve", "op-one", "ada")
    case_actions = [a for _, a, _ in _log(store, case_scope(one)) if "assign" in a]
    assert case_actions == ["case.assign", "case.unassign"]
    with store.connect() as conn:
        assert verify(conn, GLOBAL_SCOPE) == []
