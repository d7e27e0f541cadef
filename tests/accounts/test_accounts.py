"""Accounts library: users, passwords, lockout, assignments; every change audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from vigil.accounts import assignments, users
from vigil.accounts.login import LockoutPolicy, LoginRefused, authenticate, record_refusal
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
    for attempt in range(3):
        with store.begin() as conn:
            with pytest.raises(LoginRefused) as refused:
                authenticate(conn, "eve", "wrong wrong wrong", policy)
            locked = record_refusal(conn, "eve", refused.value, policy)
        assert locked == (attempt == 2)
    with store.begin() as conn, pytest.raises(LoginRefused, match="wrong name or password"):
        authenticate(conn, "eve", PASSWORD, policy)
    later = datetime.now(UTC) + timedelta(minutes=6)
    with store.begin() as conn:
        assert authenticate(conn, "eve", PASSWORD, policy, now=later).name == "eve"
    actions = [a for _, a, _ in _log(store)]
    assert actions.count("login.failed") == 3 and "user.locked" in actions
    assert actions[-1] == "login"


def test_password_change_clears_lockout(store: Store) -> None:
    users.add_user(store, "eve", "examiner", PASSWORD, "admin")
    with store.begin() as conn:
        conn.execute(
            sa.update(user_account).values(locked_until=datetime.now(UTC) + timedelta(hours=1))
        )
    users.set_password(store, "eve", "another long passphrase", "admin")
    with store.begin() as conn:
        assert authenticate(conn, "eve", "another long passphrase", LockoutPolicy()).name == "eve"
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
