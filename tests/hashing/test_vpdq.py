"""vPDQ video hashing: conformance with Meta's sample features, sampling and bounds.

The sample videos and reference features are vendored in tests/data/vpdq (BSD
licence beside them), a few of Meta's set: the reference's rule is the same
frame numbers and count, and distance < 31 bits wherever both qualities ≥ 50.
"""

from __future__ import annotations

import dataclasses
import io
import os
from pathlib import Path

import numpy as np
import pytest

from vigil.hashing.vpdq import EVERY_FRAME, VideoDecodeError, VideoSettings, hash_video

DATA = Path(__file__).resolve().parents[1] / "data" / "vpdq"
RULE_BITS = 31


def _reference(name: str) -> list[tuple[int, int, bytes]]:
    rows = []
    for text in (DATA / "hashes" / f"{name}.txt").read_text().splitlines():
        frame, quality, hex_, _ = text.split(",")
        rows.append((int(frame), int(quality), bytes.fromhex(hex_)))
    return rows


@pytest.mark.parametrize(
    ("video", "reference", "side"),
    [
        ("doorknob-hd-no-bar", "doorknob-hd-no-bar-128x128", 128),
        ("pattern-hd-no-bar", "pattern-hd-no-bar-128x128", 128),
        ("pattern-sd-grey-bar", "pattern-sd-grey-bar-128x128", 128),
        ("test-padded-dimensions", "test-padded-dimensions", None),
    ],
)
def test_every_frame_meets_the_reference_rule(video: str, reference: str, side: int | None) -> None:
    settings = dataclasses.replace(EVERY_FRAME, hash_side=side)
    result = hash_video(DATA / "videos" / f"{video}.mp4", settings)
    expected = _reference(reference)
    assert result.status == "ok"
    assert [f.frame_number for f in result.features] == [row[0] for row in expected]
    distances = [
        (int.from_bytes(f.pdq, "big") ^ int.from_bytes(ref, "big")).bit_count()
        for f, (_, quality, ref) in zip(result.features, expected, strict=True)
        if f.quality >= 50 and quality >= 50
    ]
    assert distances and max(distances) < RULE_BITS
    median, p95 = np.percentile(distances, [50, 95])
    print(f"{video} {side}: median {median} p95 {p95} max {max(distances)}")
    assert median <= 6


def test_default_sampling_hashes_one_frame_per_second() -> None:
    result = hash_video(DATA / "videos" / "doorknob-hd-no-bar.mp4")
    assert result.status == "ok"
    assert result.frames_decoded == 120
    assert [f.timestamp_s for f in result.features][:1] == [0.0]
    assert all(f.frame_number % 30 == 0 for f in result.features)


def test_evidence_is_left_untouched(tmp_path: Path) -> None:
    copy = tmp_path / "clip.mp4"
    copy.write_bytes((DATA / "videos" / "doorknob-hd-no-bar.mp4").read_bytes())
    copy.chmod(0o444)
    before = os.stat(copy)
    hash_video(copy)
    after = os.stat(copy)
    assert (before.st_mtime_ns, before.st_size) == (after.st_mtime_ns, after.st_size)


def test_not_a_video_raises_with_a_reason() -> None:
    with pytest.raises(VideoDecodeError, match="not a readable video"):
        hash_video(b"this is plain text, not a video" * 10)


def test_zero_length_raises() -> None:
    with pytest.raises(VideoDecodeError):
        hash_video(b"")


def test_truncated_video_is_an_error_or_refused_never_a_crash() -> None:
    data = (DATA / "videos" / "doorknob-hd-no-bar.mp4").read_bytes()
    try:
        result = hash_video(data[: len(data) // 3])
    except VideoDecodeError as exc:
        assert exc.reason
    else:
        assert result.status in ("error", "ok")
        assert result.frames_decoded < 120 or result.status == "error"


def test_absurd_resolution_is_a_limit() -> None:
    settings = VideoSettings(max_pixels=1000)
    result = hash_video(DATA / "videos" / "doorknob-hd-no-bar.mp4", settings)
    assert result.status == "limit"
    assert result.reason is not None and "pixels" in result.reason
    assert result.frames_decoded == 0


def test_endless_stream_stops_at_the_frame_cap() -> None:
    settings = VideoSettings(max_frames=10)
    result = hash_video(DATA / "videos" / "doorknob-hd-no-bar.mp4", settings)
    assert result.status == "limit"
    assert result.reason is not None and "endless" in result.reason


def test_kept_features_are_bounded() -> None:
    settings = VideoSettings(seconds_per_hash=0.0, collapse_bits=None, max_features=5)
    result = hash_video(DATA / "videos" / "test-padded-dimensions.mp4", settings)
    assert result.status == "limit" and len(result.features) == 5
    assert result.reason is not None and "frames kept" in result.reason


def test_a_stream_with_no_decoder_raises_with_a_reason() -> None:
    """A damaged AVI header naming an unknown codec left PyAV without a codec context."""
    import av

    out = io.BytesIO()
    with av.open(out, "w", format="avi") as container:
        stream = container.add_stream("mjpeg", rate=12)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuvj420p"
        frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
        for packet in [*stream.encode(frame), *stream.encode()]:
            container.mux(packet)
    data = bytearray(out.getvalue())
    at = data.index(b"MJPG")  # the stream header's handler and the format's compression tag
    while at >= 0:
        data[at : at + 4] = b"ZZZZ"
        at = data.find(b"MJPG", at)
    with pytest.raises(VideoDecodeError, match="no decoder"):
        hash_video(bytes(data))
