"""Every parser of evidence or user files, fed damaged copies of valid inputs (see targets.py)."""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .contract import corpus_inputs, keep_contract
from .mutations import mutated
from .targets import TARGETS


@cache
def _seeds(name: str) -> list[bytes]:
    return TARGETS[name].seeds()


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_seeds_are_valid_inputs(name: str) -> None:
    """Undamaged seeds keep the contract (else the fuzzing below proves nothing)."""
    for seed in _seeds(name):
        keep_contract(name, TARGETS[name].check, seed)


@pytest.mark.parametrize("name", sorted(TARGETS))
@given(data=st.data())
def test_damaged_inputs_keep_the_contract(name: str, data: st.DataObject) -> None:
    """Any mutation: ok or the caller's error type, within time and memory bounds."""
    sample = data.draw(mutated(_seeds(name)), label="input")
    keep_contract(name, TARGETS[name].check, sample)


@pytest.mark.parametrize(
    ("name", "path"), corpus_inputs(), ids=lambda v: getattr(v, "name", str(v))
)
def test_saved_failures_stay_fixed(name: str, path: object) -> None:
    """Inputs that once broke a parser (tests/fuzz/corpus/<target>/) are replayed for ever."""
    from pathlib import Path

    assert isinstance(path, Path)
    keep_contract(name, TARGETS[name].check, path.read_bytes())
