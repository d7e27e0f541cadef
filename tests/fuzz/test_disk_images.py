"""Whole scans of damaged disk images keep the scan contract (see disk_targets.py).

``make test`` scans a few damaged copies of each seed image (deterministic:
Hypothesis's derandomised run); ``make fuzz`` scans many, from a seed, and saves
any input that breaks the contract to ``tests/fuzz/corpus/disk-<seed>/``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .disk_targets import (
    BUILDERS,
    DiskInput,
    corpus_disk_inputs,
    damaged,
    disk_inputs,
    keep_scan_contract,
    missing,
    seed_image,
)

# Each example is a child process and a whole scan (~2 s): few in `make test`.
_EXAMPLES = int(os.environ.get("VIGIL_FUZZ_DISK_EXAMPLES", "3"))
_LONG = os.environ.get("VIGIL_FUZZ_PROFILE") == "long"


def _needs_tools(seed: str) -> None:
    absent = missing(seed)
    if absent:
        pytest.skip(f"needs {', '.join(absent)} (make test installs them)")


@pytest.mark.parametrize("seed", sorted(BUILDERS))
def test_undamaged_seed_keeps_the_contract(seed: str) -> None:
    """The seed itself scans cleanly (else the damaged runs below prove nothing)."""
    _needs_tools(seed)
    assert len(seed_image(seed).used_sectors) > 3
    keep_scan_contract(DiskInput(seed))


@pytest.mark.parametrize("seed", sorted(BUILDERS))
@given(data=st.data())
@settings(
    max_examples=int(os.environ.get("VIGIL_FUZZ_EXAMPLES", "200")) // 10 if _LONG else _EXAMPLES,
    derandomize=not _LONG,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_damaged_image_scans_keep_the_contract(seed: str, data: st.DataObject) -> None:
    """Damage in boot sectors, tables, directories and data: the scan still finishes whole."""
    _needs_tools(seed)
    keep_scan_contract(data.draw(disk_inputs(seed), label="input"))


def test_damage_is_written_in_place_and_cut_at_a_sector() -> None:
    seed = seed_image("fat12").data
    hurt = damaged(DiskInput("fat12", ((0, b"\xff\xff"), (len(seed) - 1, b"abc")), None))
    assert len(hurt) == len(seed) and hurt[:2] == b"\xff\xff" and hurt[-1:] == b"a"
    assert damaged(DiskInput("fat12", (), 1024)) == seed[:1024]
    again = DiskInput.from_json(DiskInput("fat12", ((7, b"\x00"),), 512).to_json())
    assert again == DiskInput("fat12", ((7, b"\x00"),), 512)


@pytest.mark.parametrize("path", corpus_disk_inputs(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_saved_disk_failures_stay_fixed(path: Path) -> None:
    """Damaged images that once broke a scan are scanned again by every ``make test``."""
    input_ = DiskInput.from_json(path.read_text())
    _needs_tools(input_.seed)
    keep_scan_contract(input_)
