"""vPDQ: PDQ hashes of a video's frames, compatible with Meta's ``vpdq`` features.

A video's hash is a list of :class:`FrameFeature` (frame number, timestamp,
PDQ hash, quality), the shape Meta's reference writes
(``frame_number,quality,pdq_hex,timestamp``). How frames are chosen:

* every frame is decoded (PyAV / FFmpeg, the video stream only: sound is never
  demuxed into a decoder); one frame per ``seconds_per_hash`` is hashed, plus
  any frame whose tiny grey thumbnail differs from the last hashed frame's by
  more than ``scene_change_level`` (a cut), so short scenes are not missed;
* a hashed frame is scaled by FFmpeg (bicubic, as the reference's swscale) to
  ``hash_side`` × ``hash_side`` before PDQ, which costs ~1 ms instead of the
  tens of ms PDQ takes on a full HD frame;
* consecutive hashed frames within ``collapse_bits`` of the last kept one are
  collapsed into it (a still scene adds one feature, not one per second).

``seconds_per_hash=0, hash_side=None, collapse_bits=None`` hashes every frame
at full size, which is how the reference's sample features were made
(``tests/hashing/test_vpdq_conformance.py``).

Evidence is hostile, so hashing is bounded: declared size and frame rate are
checked before decoding, the decoded frame count and timestamps are capped
(endless streams), and a wall-clock budget stops a video that decodes too
slowly. A stop is a result with status ``limit`` and a reason, keeping the
features found so far; damage is status ``error`` (with any features found
before it). Only a file that cannot be opened as a video at all raises
:class:`VideoDecodeError`.
"""

from __future__ import annotations

import contextlib
import io
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt
import pdqhash

from vigil.errors import SourceError, VigilError
from vigil.hashing.pdq import hamming
from vigil.sources.folder import open_readonly

DEFAULT_SECONDS_PER_HASH = 1.0
"""One hashed frame per second of video, as Meta's vPDQ suggests for matching."""

DEFAULT_HASH_SIDE = 256
"""Frames are scaled to this square before PDQ (which reduces to 64×64 anyway).

PDQ's cost grows with the pixel count; 256² keeps a few bits of the full-size
hash (the conformance test measures it) at a fraction of the cost."""

DEFAULT_COLLAPSE_BITS = 8
"""A hashed frame this close to the last kept feature is folded into it."""

SCENE_CHANGE_LEVEL = 40.0
"""Mean absolute difference (0–255) of 16×16 grey thumbnails that marks a cut."""

MAX_PIXELS = 8192 * 8192
"""Largest frame (width × height) decoded: above 8K, a header is lying or an attack."""

MAX_FPS = 1000.0
"""Largest declared frame rate accepted (high-speed cameras reach a few hundred)."""

MAX_FRAMES = 2_000_000
"""Most frames decoded from one video (about 18 hours at 30 fps)."""

MAX_DURATION_S = 48 * 3600.0
"""Timestamps past this end the decode: an endless stream, not a video."""

MAX_FEATURES = 100_000
"""Most features kept for one video: a stream cutting scene at every frame is a limit,
not gigabytes of frames (a day of video at one a second is 86,400)."""

TIME_BUDGET_S = 300.0
"""Wall-clock seconds one video may take to hash."""

_THUMB_SIDE = 16


class VideoDecodeError(VigilError):
    """A file cannot be opened or decoded as a video; ``reason`` is one line saying why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True, slots=True)
class FrameFeature:
    """One hashed frame: the unit of a vPDQ hash."""

    frame_number: int
    """0-based index of the frame among the decoded frames."""
    timestamp_s: float
    """Presentation time in seconds from the start of the stream."""
    pdq: bytes
    """32 bytes, big-endian (as :mod:`vigil.hashing.pdq`)."""
    quality: int
    """0–100; below 50 the frame is not matched on."""

    @property
    def hex(self) -> str:
        """The PDQ hash as 64 lower-case hex digits."""
        return self.pdq.hex()


@dataclass(frozen=True, slots=True)
class VideoSettings:
    """How frames are chosen and bounded (see the module docstring)."""

    seconds_per_hash: float = DEFAULT_SECONDS_PER_HASH
    """Seconds between sampled frames; 0 hashes every frame."""
    scene_change_level: float | None = SCENE_CHANGE_LEVEL
    """Thumbnail difference that makes a frame hashed as a cut; None: no cut detection."""
    hash_side: int | None = DEFAULT_HASH_SIDE
    """Square side frames are scaled to before PDQ; None hashes them at full size."""
    collapse_bits: int | None = DEFAULT_COLLAPSE_BITS
    """Fold consecutive features within this distance; None keeps every hashed frame."""
    time_budget_s: float = TIME_BUDGET_S
    max_pixels: int = MAX_PIXELS
    max_fps: float = MAX_FPS
    max_frames: int = MAX_FRAMES
    max_duration_s: float = MAX_DURATION_S
    max_features: int = MAX_FEATURES

    def describe(self) -> dict[str, Any]:
        """The settings a result rests on, for provenance."""
        return {
            "seconds_per_hash": self.seconds_per_hash,
            "scene_change_level": self.scene_change_level,
            "hash_side": self.hash_side,
            "collapse_bits": self.collapse_bits,
        }


EVERY_FRAME = VideoSettings(
    seconds_per_hash=0.0, scene_change_level=None, hash_side=None, collapse_bits=None
)
"""Every frame at full size, as Meta's sample features were made."""


@dataclass(slots=True)
class VideoHash:
    """The features of one video and how far decoding got."""

    features: list[FrameFeature] = field(default_factory=list)
    status: str = "ok"
    """``ok``, ``limit`` (a bound stopped decoding) or ``error`` (damaged stream)."""
    reason: str | None = None
    width: int = 0
    height: int = 0
    fps: float = 0.0
    frames_decoded: int = 0
    duration_s: float = 0.0
    codec: str = ""


def hash_video(
    source: bytes | BinaryIO | str | os.PathLike[str],
    settings: VideoSettings | None = None,
) -> VideoHash:
    """Decode a video (bytes, a binary file object, or a path) and hash its frames.

    Raises :class:`VideoDecodeError` only when no video can be opened at all;
    damage or a bound met later is the result's status and reason.
    """
    import av  # FFmpeg's libraries load only where videos are hashed

    chosen = settings or VideoSettings()
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        handle = _input(source)
        if handle is not source:
            stack.enter_context(handle)  # opened here, so closed here
        try:
            container = stack.enter_context(av.open(handle, mode="r"))
        except (av.error.FFmpegError, OSError, ValueError, UnicodeDecodeError) as exc:
            raise VideoDecodeError(_one_line(f"not a readable video: {exc}")) from exc
        return _hash_container(container, chosen, started)


def _hash_container(container: Any, chosen: VideoSettings, started: float) -> VideoHash:
    """Check the declared stream, then decode it within its bounds."""
    import av

    if not container.streams.video:
        raise VideoDecodeError("no video stream")
    stream = container.streams.video[0]
    if stream.codec_context is None:  # FFmpeg has no decoder for the codec the file names
        raise VideoDecodeError("no decoder for the codec of the video stream")
    stream.thread_type = "AUTO"
    result = _describe(stream)
    refusal = _refusal(result, chosen)
    if refusal is not None:
        result.status, result.reason = "limit", refusal
        return result
    try:
        _decode(container, stream, chosen, started, result)
    except (av.error.FFmpegError, ValueError) as exc:
        result.status = "error"
        where = f"after frame {result.frames_decoded}" if result.frames_decoded else "at start"
        result.reason = _one_line(f"corrupt or truncated video ({where}): {exc}")
    except MemoryError:
        result.status, result.reason = "error", "out of memory while decoding"
    if result.status == "ok" and result.frames_decoded == 0:
        result.status, result.reason = "error", "video has no decodable frames"
    return result


def decoder_versions() -> dict[str, str]:
    """Versions of PyAV and the FFmpeg libraries it loads, for provenance."""
    import av

    versions = {"pyav": str(av.__version__)}
    for name, (major, minor, micro) in av.library_versions.items():
        versions[name] = f"{major}.{minor}.{micro}"
    return versions


# ---------------------------------------------------------------- decoding


def _input(source: bytes | BinaryIO | str | os.PathLike[str]) -> BinaryIO:
    """What ``av.open`` reads: a path's file opened read-only, or a file object."""
    if isinstance(source, bytes | bytearray | memoryview):
        return io.BytesIO(bytes(source))
    if isinstance(source, str | os.PathLike):
        return _open_readonly(Path(source))
    return source


def _open_readonly(path: Path) -> BinaryIO:
    """Evidence opened as every scan opens it: read-only, no atime, no links followed."""
    try:
        return open_readonly(path)
    except SourceError as exc:
        raise VideoDecodeError(_one_line(f"cannot read the video: {exc}")) from exc


def _describe(stream: Any) -> VideoHash:
    """What the container declares about the stream, before a frame is decoded."""
    context = stream.codec_context
    rate = stream.average_rate or stream.guessed_rate or 0
    return VideoHash(
        width=int(context.width or 0),
        height=int(context.height or 0),
        fps=float(rate),
        codec=str(context.name or ""),
    )


def _refusal(result: VideoHash, settings: VideoSettings) -> str | None:
    """Why the declared stream is refused before decoding, or None."""
    pixels = result.width * result.height
    if pixels > settings.max_pixels:
        return (
            f"frame size {result.width}×{result.height} exceeds the limit of "
            f"{settings.max_pixels} pixels"
        )
    if result.fps > settings.max_fps:
        return f"declared frame rate {result.fps:g} fps exceeds the limit of {settings.max_fps:g}"
    return None


def _decode(
    container: Any, stream: Any, settings: VideoSettings, started: float, result: VideoHash
) -> None:
    """Walk every frame, hash the chosen ones, stop at the first bound met."""
    chooser = _Chooser(settings)
    for index, frame in enumerate(_frames(container, stream)):
        result.frames_decoded = index + 1
        stop = _bound(frame, index, settings, started)
        if stop is not None:
            result.status, result.reason = "limit", stop
            return
        timestamp = _timestamp(frame, index, result.fps)
        result.duration_s = max(result.duration_s, timestamp)
        if chooser.wants(frame, timestamp):
            feature = _hash_frame(frame, index, timestamp, settings.hash_side)
            chooser.keep(feature, result.features)
            if len(result.features) >= settings.max_features:
                result.status = "limit"
                result.reason = f"more than {settings.max_features} frames kept: hashing stopped"
                return


def _frames(container: Any, stream: Any) -> Iterator[Any]:
    """Decoded frames of the stream (only its packets are demuxed), flushed at the end."""
    for packet in container.demux(stream):
        yield from packet.decode()


def _bound(frame: Any, index: int, settings: VideoSettings, started: float) -> str | None:
    """Why decoding must stop at this frame, or None."""
    if index >= settings.max_frames:
        return f"more than {settings.max_frames} frames: stream treated as endless"
    if frame.width * frame.height > settings.max_pixels:
        return f"frame {index} is {frame.width}×{frame.height}, over the pixel limit"
    seconds = frame.time
    if seconds is not None and seconds > settings.max_duration_s:
        return f"timestamps run past {settings.max_duration_s:g} s: stream treated as endless"
    spent = time.monotonic() - started
    if spent > settings.time_budget_s:
        return (
            f"hashing stopped after {spent:.1f} s at frame {index}: the video's time budget "
            f"of {settings.time_budget_s:g} s ran out"
        )
    return None


def _timestamp(frame: Any, index: int, fps: float) -> float:
    """The frame's presentation time; its index over the frame rate when it has none."""
    if frame.time is not None:
        return max(0.0, float(frame.time))
    return index / fps if fps > 0 else 0.0


def _hash_frame(frame: Any, index: int, timestamp: float, side: int | None) -> FrameFeature:
    """PDQ of one frame, scaled by FFmpeg's bicubic filter first when ``side`` is set."""
    if side is None:
        pixels = frame.to_ndarray(format="rgb24")
    else:
        pixels = frame.to_ndarray(format="rgb24", width=side, height=side, interpolation="BICUBIC")
    vector, quality = pdqhash.compute(np.ascontiguousarray(pixels))
    digest = np.packbits(np.asarray(vector, dtype=np.uint8)).tobytes()
    return FrameFeature(index, round(timestamp, 6), digest, int(quality))


class _Chooser:
    """Which frames to hash (sampling, cuts) and which features to keep (collapsing)."""

    def __init__(self, settings: VideoSettings) -> None:
        self.settings = settings
        self.next_sample_s = 0.0
        self.thumb: npt.NDArray[np.int16] | None = None

    def wants(self, frame: Any, timestamp: float) -> bool:
        """Hash this frame? Sampling times first, then a cut from the last hashed frame."""
        interval = self.settings.seconds_per_hash
        level = self.settings.scene_change_level
        thumb = _thumbnail(frame) if level is not None else None
        due = interval <= 0 or timestamp + 1e-9 >= self.next_sample_s
        cut = (
            thumb is not None
            and self.thumb is not None
            and level is not None
            and float(np.abs(thumb - self.thumb).mean()) > level
        )
        if not (due or cut):
            return False
        if interval > 0:
            while self.next_sample_s <= timestamp + 1e-9:
                self.next_sample_s += interval
        self.thumb = thumb
        return True

    def keep(self, feature: FrameFeature, features: list[FrameFeature]) -> None:
        """Append the feature unless it repeats the last kept one within ``collapse_bits``."""
        bits = self.settings.collapse_bits
        if bits is not None and features and hamming(features[-1].pdq, feature.pdq) <= bits:
            return
        features.append(feature)


def _thumbnail(frame: Any) -> npt.NDArray[np.int16]:
    """A 16×16 grey thumbnail (FFmpeg's area filter), for spotting cuts cheaply."""
    grey = frame.to_ndarray(
        format="gray", width=_THUMB_SIDE, height=_THUMB_SIDE, interpolation="AREA"
    )
    return np.asarray(grey, dtype=np.int16)


def _one_line(text: str) -> str:
    """Collapse a library message onto one line."""
    return " ".join(text.split())
