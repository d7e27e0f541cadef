"""vPDQ hashing of damaged videos, each in a child process (FFmpeg is C: it may hang or crash).

Seeds are small clips made by PyAV (H.264 in MP4, MPEG-4 Part 2 in Matroska,
MJPEG in AVI) and the smallest of Meta's vendored sample videos. An input is
the seed's name and in-place edits, aimed at the MP4 ``moov`` (sample tables,
sizes, durations) or ``mdat`` (coded frames) boxes as often as anywhere else,
then maybe a cut; the corpus keeps it as a few hundred bytes of JSON.

The child hashes the damaged file with tight bounds (a frame cap and a time
budget) and prints its result. The contract: a result (``ok``, ``limit`` or
``error`` with a one-line reason) or :class:`~vigil.hashing.vpdq.VideoDecodeError`,
never a traceback or a crash; no more frames than the cap (+ the one that met
it); finished within the time budget plus start-up; memory within a bound; the
file's bytes and mode unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import sys
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from hypothesis import strategies as st

from .contract import CORPUS, SAVE, ContractBroken
from .disk_targets import run_bounded

VENDORED = Path(__file__).resolve().parents[1] / "data" / "vpdq" / "videos"
BUDGET_S = float(os.environ.get("VIGIL_FUZZ_VIDEO_BUDGET_S", "5"))
"""vpdq's own time budget in the child."""
MAX_FRAMES = 200
"""vpdq's frame cap in the child (the seeds have 12 to 150 frames: damage may make more)."""
SECONDS = BUDGET_S + float(os.environ.get("VIGIL_FUZZ_VIDEO_SLACK_S", "45"))
"""Bound on the child: vpdq's budget plus start-up (a loaded CI machine is slow to import)."""
MEMORY_MIB = float(os.environ.get("VIGIL_FUZZ_VIDEO_MEMORY_MIB", "1024"))

_CHILD = """
import json, sys
from vigil.hashing.vpdq import VideoDecodeError, VideoSettings, hash_video
settings = VideoSettings(time_budget_s=float(sys.argv[1]), max_frames=int(sys.argv[2]))
for path in sys.argv[3:]:
    try:
        r = hash_video(path, settings)
    except VideoDecodeError as exc:
        print(json.dumps({"raised": exc.reason}))
    else:
        print(json.dumps({"status": r.status, "reason": r.reason, "frames": r.frames_decoded,
                          "features": len(r.features)}))
"""


@dataclass(frozen=True)
class VideoInput:
    """A seed video by name with in-place edits ``(offset, bytes)``, then an optional cut."""

    seed: str
    edits: tuple[tuple[int, bytes], ...] = ()
    cut_at: int | None = None

    def to_json(self) -> str:
        """The input as the corpus keeps it."""
        edits = [[offset, data.hex()] for offset, data in self.edits]
        return json.dumps({"seed": self.seed, "edits": edits, "cut_at": self.cut_at})

    @classmethod
    def from_json(cls, text: str) -> VideoInput:
        """An input saved by :meth:`to_json`."""
        raw = json.loads(text)
        edits = tuple((int(o), bytes.fromhex(h)) for o, h in raw["edits"])
        return cls(str(raw["seed"]), edits, raw["cut_at"])


def _clip(container: str, codec: str, frames: int = 24, size: tuple[int, int] = (64, 48)) -> bytes:
    """A short clip of moving gradients (a cut half-way), encoded by PyAV."""
    import av
    import numpy as np

    path = Path(tempfile.mkdtemp(prefix="vigil-fuzz-video-")) / f"clip.{container}"
    try:
        with av.open(str(path), "w") as out:
            stream = out.add_stream(codec, rate=12)
            stream.width, stream.height = size
            stream.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
            x = np.arange(size[0], dtype=np.int32)[None, :]
            y = np.arange(size[1], dtype=np.int32)[:, None]
            for i in range(frames):
                shade = (x * 3 + y * (2 if i < frames // 2 else -2) + i * 9) % 256
                rgb = np.stack([shade, shade[::-1], 255 - shade], axis=2).astype(np.uint8)
                for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                    out.mux(packet)
            for packet in stream.encode():
                out.mux(packet)
        return path.read_bytes()
    finally:
        path.unlink(missing_ok=True)
        path.parent.rmdir()


SEEDS = {
    "mp4-h264": lambda: _clip("mp4", "libx264"),
    "mkv-mpeg4": lambda: _clip("mkv", "mpeg4"),
    "avi-mjpeg": lambda: _clip("avi", "mjpeg", frames=12),
    "padded": lambda: (VENDORED / "test-padded-dimensions.mp4").read_bytes(),
}
"""Seed videos by name; ``padded`` is Meta's (tests/data/vpdq/LICENSE)."""


@cache
def seed_video(seed: str) -> bytes:
    """The seed's bytes (built once per session)."""
    return SEEDS[seed]()


@cache
def regions(seed: str) -> list[tuple[int, int]]:
    """Byte ranges worth aiming at: the whole file, then each ``moov`` and ``mdat`` box."""
    data = seed_video(seed)
    found = [(0, len(data))]
    at = 0
    while at + 8 <= len(data):  # top-level ISO-BMFF boxes (other seeds stop at once)
        size, kind = struct.unpack_from(">I4s", data, at)
        if size < 8 or not kind.isalpha():
            break
        if kind in (b"moov", b"mdat"):
            found.append((at, min(at + size, len(data))))
        at += size
    return found


_INTERESTING = [b"\x00", b"\xff", b"\x00\x00\x00\x00", b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff",
                b"\x00\x00\x00\x01", b"\x80\x00\x00\x00", b"\xff" * 8]  # fmt: skip


@st.composite
def video_inputs(draw: st.DrawFn, seed: str) -> VideoInput:
    """A few in-place edits in one region of the seed, sometimes a cut."""
    data = seed_video(seed)
    start, end = draw(st.sampled_from(regions(seed)))
    edits = []
    for _ in range(draw(st.integers(1, 8))):
        offset = draw(st.integers(start, max(start, end - 1)))
        kind = draw(st.sampled_from(["flip", "interesting", "random"]))
        if kind == "flip":
            edit = bytes([data[offset] ^ (1 << draw(st.integers(0, 7)))])
        elif kind == "interesting":
            edit = draw(st.sampled_from(_INTERESTING))
        else:
            edit = draw(st.binary(min_size=1, max_size=16))
        edits.append((offset, edit))
    cut_at = draw(st.integers(0, len(data))) if draw(st.integers(0, 5)) == 0 else None
    return VideoInput(seed, tuple(edits), cut_at)


def damaged(input_: VideoInput) -> bytes:
    """The seed with the input's edits written over it (never longer), then cut."""
    seed = seed_video(input_.seed)
    video = bytearray(seed)
    for offset, edit in input_.edits:
        video[offset : offset + len(edit)] = edit
    del video[len(seed) :]
    return bytes(video[: input_.cut_at] if input_.cut_at is not None else video)


def keep_video_contract(input_: VideoInput) -> dict[str, object]:
    """Hash the damaged video in a child; raise ContractBroken (saving the input) if it breaks."""
    try:
        return hash_in_child([damaged(input_)])[0]
    except ContractBroken:
        _save(input_)
        raise


def hash_in_child(videos: list[bytes]) -> list[dict[str, object]]:
    """Hash ``videos`` one after the other in one child (bounded by ``SECONDS`` each)."""
    with tempfile.TemporaryDirectory(prefix="vigil-fuzz-vpdq-") as folder:
        paths = [Path(folder) / f"exhibit{i}.mp4" for i in range(len(videos))]
        for path, video in zip(paths, videos, strict=True):
            path.write_bytes(video)
            path.chmod(0o444)
        before = [(hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mode) for p in paths]
        argv = [sys.executable, "-c", _CHILD, str(BUDGET_S), str(MAX_FRAMES), *map(str, paths)]
        rc, out, err, _seconds, peak_mib = run_bounded(argv, SECONDS * len(videos))
        after = [(hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mode) for p in paths]
    if after != before:
        raise ContractBroken("hashing changed the video")
    if rc is None:
        raise ContractBroken(f"hashing did not finish within {SECONDS:g} s")
    if rc != 0 or "Traceback" in err:
        raise ContractBroken(f"the child exited {rc}: {err.strip()[-400:]}")
    if peak_mib > MEMORY_MIB:
        raise ContractBroken(f"hashing peaked at {peak_mib:.0f} MiB (bound {MEMORY_MIB:g})")
    results: list[dict[str, object]] = [json.loads(line) for line in out.strip().splitlines()]
    if len(results) != len(videos):
        raise ContractBroken(f"{len(results)} results for {len(videos)} videos: {out[-400:]}")
    for result in results:
        _check_result(result)
    return results


def _check_result(result: dict[str, object]) -> None:
    if "raised" in result:
        reason = result["raised"]
        if not isinstance(reason, str) or not reason or "\n" in reason:
            raise ContractBroken(f"VideoDecodeError without a one-line reason: {reason!r}")
        return
    status, reason, frames = result["status"], result["reason"], result["frames"]
    if status not in ("ok", "limit", "error"):
        raise ContractBroken(f"status {status!r}")
    if status != "ok" and (not isinstance(reason, str) or not reason or "\n" in reason):
        raise ContractBroken(f"status {status} without a one-line reason: {reason!r}")
    if not isinstance(frames, int) or frames > MAX_FRAMES + 1:
        raise ContractBroken(f"{frames} frames decoded past the cap of {MAX_FRAMES}")


def _save(input_: VideoInput) -> None:
    if not SAVE:
        return
    folder = CORPUS / f"video-{input_.seed}"
    folder.mkdir(parents=True, exist_ok=True)
    text = input_.to_json()
    (folder / f"{hashlib.sha256(text.encode()).hexdigest()[:16]}.json").write_text(text)


def corpus_video_inputs() -> list[Path]:
    """Every saved damaged-video input, for the replay test."""
    return sorted(CORPUS.glob("video-*/*.json")) if CORPUS.is_dir() else []
