"""Limits and the per-evidence expansion budget."""

from __future__ import annotations

import time

import pytest

from vigil.errors import SourceError
from vigil.sources.limits import (
    ITEM_BYTES_PER_S,
    Budget,
    Deadline,
    GiB,
    ItemTimeout,
    LimitExceeded,
    Limits,
    MiB,
    check_deadline,
    current_deadline,
    deadline_scope,
)


def test_defaults_are_documented_values() -> None:
    limits = Limits()
    assert limits.max_depth == 16
    assert limits.max_entries == 100_000
    assert limits.max_ratio == 200
    assert limits.max_member_bytes == 16 * GiB
    assert limits.max_expanded_bytes == 64 * GiB


def test_budget_charges_and_stops() -> None:
    budget = Budget(100)
    budget.charge(60)
    assert budget.remaining_bytes == 40
    with pytest.raises(LimitExceeded) as caught:
        budget.charge(41)
    assert "expanded more than 100 bytes" in caught.value.reason
    assert budget.remaining_bytes == 0
    with pytest.raises(LimitExceeded):
        budget.charge(0)  # once spent, every further charge fails


def test_budget_scales_with_evidence_size() -> None:
    limits = Limits()
    assert Budget(limits).limit_bytes == 64 * GiB
    assert Budget(limits, 42_000).limit_bytes == 64 * GiB
    assert Budget(limits, 256 * GiB).limit_bytes == 2560 * GiB
    assert Budget(1234).limit_bytes == 1234


def test_ratio_has_a_grace_size() -> None:
    limits = Limits()
    assert not limits.ratio_exceeded(1 * MiB, 10)  # small runs of zeros are fine
    assert limits.ratio_exceeded(2 * MiB, 10)
    assert not limits.ratio_exceeded(100 * MiB, 1 * MiB)


def test_declared_sizes() -> None:
    limits = Limits(max_member_bytes=1000, ratio_grace_bytes=10, max_ratio=5)
    assert limits.check_declared(None, 10) is None
    assert limits.check_declared(500, 200) is None
    assert "member limit" in (limits.check_declared(2000, 1999) or "")
    assert "ratio" in (limits.check_declared(600, 100) or "")


def test_limit_exceeded_is_a_source_error_with_reason() -> None:
    error = LimitExceeded("too deep")
    assert isinstance(error, SourceError)
    assert error.reason == "too deep"
    assert str(error) == "too deep"


def test_a_deadline_grows_with_the_items_size_and_says_why_it_stopped() -> None:
    deadline = Deadline(2.0, 64 * MiB)
    assert deadline.seconds == pytest.approx(2.0 + 64 * MiB / ITEM_BYTES_PER_S)
    assert "reading stopped after 4 s" in deadline.reason
    assert 3.5 < deadline.remaining() <= 4.0 and not deadline.passed()


def test_expansion_checks_the_current_items_deadline() -> None:
    budget = Budget(1 << 30)
    budget.charge(10)  # no deadline set: no time limit
    with deadline_scope(Deadline(0.0)):
        with pytest.raises(ItemTimeout, match="reading stopped after 0 s") as caught:
            budget.charge(10)
        assert isinstance(caught.value, LimitExceeded)  # readers record it as a limit
    check_deadline()  # the scope is over: no deadline again
    assert current_deadline() is None


def test_an_item_timeout_without_arguments_takes_the_running_deadlines_reason() -> None:
    with deadline_scope(Deadline(1.5)):
        assert ItemTimeout().reason.startswith("reading stopped after 1.5 s")
    assert ItemTimeout().reason == "ran past its time budget"


def test_an_undeclared_stream_earns_time_while_it_expands() -> None:
    deadline = Deadline(0.05)
    budget = Budget(1 << 40)
    with deadline_scope(deadline):
        time.sleep(0.1)
        budget.charge(64 * MiB)  # 2 s earned: data is still flowing
        assert deadline.flowed_bytes == 64 * MiB and deadline.remaining() > 1.5
        deadline.allow(1024)  # a smaller declared size never takes time back
        assert deadline.remaining() > 1.5
