"""Limits and the per-evidence expansion budget."""

from __future__ import annotations

import pytest

from vigil.errors import SourceError
from vigil.sources.limits import Budget, GiB, LimitExceeded, Limits, MiB


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
