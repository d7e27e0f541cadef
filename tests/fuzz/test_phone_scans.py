"""Whole scans of folders holding damaged phone extractions keep the scan contract.

See phone_scan_targets.py. ``make test`` scans a couple of damaged copies of each
seed folder (deterministic); ``make fuzz`` scans many from a seed and saves any
input that breaks the contract to ``tests/fuzz/corpus/phone-scan-<seed>/``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .phone_scan_targets import (
    BUILDERS,
    PhoneInput,
    corpus_phone_inputs,
    damaged,
    keep_phone_scan_contract,
    keep_seeds_scan_contract,
    phone_inputs,
    seed_files,
)

# Each example is a child process and a whole scan (~2 s of CPU): one per seed in `make test`.
_EXAMPLES = int(os.environ.get("VIGIL_FUZZ_PHONE_EXAMPLES", "1"))
_LONG = os.environ.get("VIGIL_FUZZ_PROFILE") == "long"


def test_undamaged_seed_folders_keep_the_contract() -> None:
    """The seed folders scan cleanly (else the damaged runs below prove nothing)."""
    keep_seeds_scan_contract()


@pytest.mark.parametrize("seed", sorted(BUILDERS))
@given(data=st.data())
@settings(
    max_examples=int(os.environ.get("VIGIL_FUZZ_EXAMPLES", "200")) // 10 if _LONG else _EXAMPLES,
    derandomize=not _LONG,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_damaged_phone_folder_scans_keep_the_contract(seed: str, data: st.DataObject) -> None:
    """A damaged Manifest.db, plist, backup or UFDR: the scan finishes and lists every file."""
    keep_phone_scan_contract(data.draw(phone_inputs(seed), label="input"))


def test_damage_is_written_over_or_inserted_then_cut() -> None:
    name = "backup.ab"
    seed = seed_files("adb")[name]
    hurt = damaged(PhoneInput("adb", name, ((0, b"XY", False), (1, b"+", True)), None))[name]
    assert hurt[:3] == b"X+Y" and hurt[3:] == seed[2:]
    assert damaged(PhoneInput("adb", name, (), 5))[name] == seed[:5]
    again = PhoneInput.from_json(
        PhoneInput("ios", "Manifest.db", ((7, b"\x00", True),), 9).to_json()
    )
    assert again == PhoneInput("ios", "Manifest.db", ((7, b"\x00", True),), 9)


@pytest.mark.parametrize("path", corpus_phone_inputs(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_saved_phone_scan_failures_stay_fixed(path: Path) -> None:
    """Damaged folders that once broke a scan are scanned again by every ``make test``."""
    keep_phone_scan_contract(PhoneInput.from_json(path.read_text()))
