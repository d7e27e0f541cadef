"""vPDQ video-to-video matching on Meta's sample videos and features (tests/data/vpdq).

Listed videos are Meta's reference features (every frame hashed); queries are
either reference features of a variant or Vigil's own features of a vendored
video at scan settings (about one frame a second). What Meta's own features
show, and so these tests too: every ``chair-*`` variant but the one with a
large logo matches ``chair-orig-22-sd-bar`` (its large logo leaves 11 % of
frames within 31 bits, reference against reference); ``pattern-longer``
matches ``pattern-hd-no-bar``, but the SD ``pattern-*`` variants (grey bars,
logos) have no frame within 31 bits of it at all; nothing crosses between
chair, pattern and doorknob.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from vigil.hashing.vpdq import FrameFeature, hash_video
from vigil.hashsets.formats.vpdq import read_frames
from vigil.matching.video import ListedVideos, VideoRule, listed_from_features, segments_of

DATA = Path(__file__).resolve().parents[1] / "data" / "vpdq"
LISTED = {1: "chair-orig-22-sd-bar", 2: "pattern-hd-no-bar", 3: "doorknob-hd-no-bar"}
CHAIR_VARIANTS = (
    "chair-19-sd-bar",
    "chair-20-sd-bar",
    "chair-22-sd-grey-bar",
    "chair-22-sd-sepia-bar",
    "chair-22-with-small-logo-bar",
    "chair-orig-22-sd-bar",
)


def _reference(name: str) -> list[FrameFeature]:
    return read_frames(DATA / "hashes" / f"{name}.txt")


@pytest.fixture(scope="module")
def listed() -> ListedVideos:
    return listed_from_features({entry: _reference(name) for entry, name in LISTED.items()})


@pytest.fixture(scope="module")
def hashed() -> dict[str, list[FrameFeature]]:
    """Vigil's features of the vendored videos at scan settings, computed once."""
    out = {}
    for name in ("pattern-hd-no-bar", "pattern-sd-grey-bar", "doorknob-hd-no-bar"):
        result = hash_video(DATA / "videos" / f"{name}.mp4")
        assert result.status == "ok"
        out[name] = result.features
    return out


def _matched(listed: ListedVideos, query: list[FrameFeature]) -> set[str]:
    return {LISTED[m.entry_id] for m in listed.match(query)}


@pytest.mark.parametrize("variant", CHAIR_VARIANTS)
def test_chair_variants_match_the_original_only(listed: ListedVideos, variant: str) -> None:
    found = listed.match(_reference(variant))
    assert [LISTED[m.entry_id] for m in found] == ["chair-orig-22-sd-bar"]
    assert found[0].query_share >= 80 and found[0].listed_share >= 80


def test_the_large_logo_chair_matches_nothing_as_in_meta_s_own_features(
    listed: ListedVideos,
) -> None:
    assert _matched(listed, _reference("chair-22-with-large-logo-bar")) == set()


def test_a_longer_pattern_video_matches_the_pattern(listed: ListedVideos) -> None:
    assert _matched(listed, _reference("pattern-longer-no-bar")) == {"pattern-hd-no-bar"}


@pytest.mark.parametrize("name", ["pattern-sd-grey-bar", "pattern-sd-with-small-logo-bar"])
def test_sd_pattern_variants_cross_no_other_video(listed: ListedVideos, name: str) -> None:
    # Not the pattern either: Meta's features of these have no frame within 31 bits of it.
    assert _matched(listed, _reference(name)) == set()


def test_vigil_s_sampled_features_match_the_reference_of_the_same_video(
    listed: ListedVideos, hashed: dict[str, list[FrameFeature]]
) -> None:
    assert _matched(listed, hashed["pattern-hd-no-bar"]) == {"pattern-hd-no-bar"}
    assert _matched(listed, hashed["pattern-sd-grey-bar"]) == set()


def test_the_doorknob_s_dark_seconds_leave_too_little_at_80_percent(
    listed: ListedVideos, hashed: dict[str, list[FrameFeature]]
) -> None:
    # Its sampled frames at 2 s and 3 s have quality 0 and 26: two usable frames
    # cover two of the listed video's three usable seconds.
    assert _matched(listed, hashed["doorknob-hd-no-bar"]) == set()
    lenient = listed_from_features(
        {entry: _reference(name) for entry, name in LISTED.items()}, VideoRule(share=60)
    )
    assert _matched(lenient, hashed["doorknob-hd-no-bar"]) == {"doorknob-hd-no-bar"}


def test_a_clip_cut_from_a_video_is_found_inside_it(listed: ListedVideos) -> None:
    chair = _reference("chair-orig-22-sd-bar")
    clip = [f for f in chair if 5.0 <= f.timestamp_s < 10.0]
    # The listed video's own share is a quarter: the clip is found with a share rule on it.
    assert _matched(listed, clip) == set()
    inside = listed_from_features({1: chair}, VideoRule(share=20))
    (found,) = inside.match(clip)
    assert found.query_share == 100 and found.listed_share < 30
    assert found.frame_s == pytest.approx(5.0, abs=0.05)


def test_shares_and_segments_are_reported(listed: ListedVideos) -> None:
    (found,) = listed.match(_reference("chair-22-sd-grey-bar"))
    detail = found.detail()
    assert detail["query_share"] == 100.0 and detail["listed_share"] >= 80
    (start, stop), *_ = detail["segments"]
    assert start == 0.0 and stop > 20


def test_a_query_with_no_usable_frame_matches_nothing(listed: ListedVideos) -> None:
    dark = [FrameFeature(0, 0.0, b"\x00" * 32, 10)]
    assert listed.match(dark) == []


def test_segments_join_consecutive_matched_frames() -> None:
    frames = [FrameFeature(n, float(n), bytes(32), 100) for n in range(6)]
    assert segments_of(frames, {1, 2, 4}, end_s=6.0) == [(1.0, 3.0), (4.0, 5.0)]
    assert segments_of(frames, {5}, end_s=6.0) == [(5.0, 6.0)]


def test_a_large_bank_is_searched_through_the_pdq_index_with_the_same_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np

    from vigil.matching import video
    from vigil.matching.pdq_index import PdqIndex

    videos = {entry: _reference(name) for entry, name in LISTED.items()}
    plain = listed_from_features(videos)
    monkeypatch.setattr(video, "INDEX_MIN_FRAMES", 1)
    entries = np.asarray(plain.frame_entry)
    frames = [f for _, fs in videos.items() for f in fs if f.quality >= 50]
    indexed = video._bank(
        entries, np.asarray(plain.frame_bucket), frames, VideoRule(), tmp_path / "vpdq"
    )
    assert isinstance(indexed.searcher, PdqIndex)
    for name in ("chair-20-sd-bar", "pattern-longer-no-bar", "doorknob-hd-no-bar"):
        query = _reference(name)
        assert indexed.match(query) == plain.match(query)
