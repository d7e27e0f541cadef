"""vPDQ hashing of damaged videos keeps its contract and its bounds (see video_targets.py).

``make test`` hashes one damaged copy of each seed (deterministic); ``make fuzz``
many, from a seed, saving any input that breaks the contract to
``tests/fuzz/corpus/video-<seed>/``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .video_targets import (
    MAX_FRAMES,
    SEEDS,
    VideoInput,
    corpus_video_inputs,
    damaged,
    hash_in_child,
    keep_video_contract,
    regions,
    seed_video,
    video_inputs,
)

# Each example is a child process (~1 s of CPU, most of it importing FFmpeg and numpy).
_EXAMPLES = int(os.environ.get("VIGIL_FUZZ_VIDEO_EXAMPLES", "1"))
_LONG = os.environ.get("VIGIL_FUZZ_PROFILE") == "long"


def test_undamaged_seeds_hash_whole() -> None:
    """Every seed decodes to the end with features (else the damage below proves nothing)."""
    results = hash_in_child([seed_video(seed) for seed in sorted(SEEDS)])
    for seed, result in zip(sorted(SEEDS), results, strict=True):
        assert result.get("status") == "ok", (seed, result)
        assert 0 < int(str(result["frames"])) <= MAX_FRAMES and int(str(result["features"])) > 0
    assert len(regions("mp4-h264")) == 3  # the whole file, moov and mdat


@pytest.mark.parametrize("seed", sorted(SEEDS))
@given(data=st.data())
@settings(
    max_examples=int(os.environ.get("VIGIL_FUZZ_EXAMPLES", "200")) // 20 if _LONG else _EXAMPLES,
    derandomize=not _LONG,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_damaged_video_keeps_the_contract(seed: str, data: st.DataObject) -> None:
    """Damaged sample tables or coded frames: a result or a clear error, within the bounds."""
    keep_video_contract(data.draw(video_inputs(seed), label="input"))


def test_damage_is_written_in_place_and_cut() -> None:
    seed = seed_video("padded")
    hurt = damaged(VideoInput("padded", ((0, b"\xff\xff"), (len(seed) - 1, b"abc")), None))
    assert len(hurt) == len(seed) and hurt[:2] == b"\xff\xff" and hurt[-1:] == b"a"
    assert damaged(VideoInput("padded", (), 100)) == seed[:100]
    again = VideoInput.from_json(VideoInput("padded", ((7, b"\x00"),), 5).to_json())
    assert again == VideoInput("padded", ((7, b"\x00"),), 5)


@pytest.mark.parametrize("path", corpus_video_inputs(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_saved_video_failures_stay_fixed(path: Path) -> None:
    """Damaged videos that once broke vPDQ are hashed again by every ``make test``."""
    keep_video_contract(VideoInput.from_json(path.read_text()))
