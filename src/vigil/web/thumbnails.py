"""Thumbnails made on demand from the evidence: small, greyscale and blurred by default.

Pictures are decoded at reduced scale where the format allows (JPEG draft),
turned upright by their EXIF orientation, made greyscale and shrunk to
``thumb_px``; the blurred form is what every page shows. The unblurred form is
made only for an explicit reveal. Videos become a contact sheet of evenly
spaced frames (PyAV, video stream only: sound is never decoded). Nothing is
written to disk and nothing is cached: each thumbnail lives in one response.
"""

from __future__ import annotations

import io
import math
import struct
import textwrap
import warnings
from typing import Any, BinaryIO

from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps, UnidentifiedImageError

from vigil.errors import VigilError

MAX_HEADER_PIXELS = 250_000_000
"""No picture whose header claims more pixels than this is opened further (a bomb)."""

MAX_DECODE_PIXELS = 50_000_000
"""Most pixels one picture, animation canvas or video frame may decode to (after a JPEG's
reduced-scale decode); checked on the header size, before any decoding."""

MAX_ANIMATION_PIXELS = 100_000_000
"""Pixels an animation may decode in all: frames are decoded in order to reach later
ones, so a big canvas limits the contact sheet to the first few frames."""

MAX_VIDEO_FRAMES = 600
"""Frames a contact sheet may decode in all (seeking decodes from the keyframe before)."""

JPEG_QUALITY = 80


class ThumbnailError(VigilError):
    """A thumbnail cannot be made (undecodable, or refused as too large to preview)."""


def too_large(width: int, height: int) -> ThumbnailError:
    """The refusal of a picture or frame of ``width``×``height`` pixels."""
    return ThumbnailError(f"too large to preview: {width}×{height}")


def picture_thumbnail(
    data: BinaryIO, size_px: int, blur_radius_px: float | None, frames: int = 6
) -> bytes:
    """A greyscale JPEG of the picture in ``data``, blurred unless ``blur_radius_px`` is None.

    An animated picture (GIF, WebP, APNG …) becomes a contact sheet of up to
    ``frames`` of its frames: what it shows after the first frame must be seen too.
    Sizes are checked on the header before decoding (see :data:`MAX_DECODE_PIXELS`).
    """
    _heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(data)
            _check_size(opened.width, opened.height, MAX_HEADER_PIXELS)
            count = int(getattr(opened, "n_frames", 1) or 1)
            if count > 1:
                _check_size(opened.width, opened.height, MAX_DECODE_PIXELS)
                tiles = [_frame(opened, i) for i in _animation_frames(opened, count, frames)]
                return _finish(_sheet(tiles, size_px), size_px * min(3, len(tiles)), blur_radius_px)
            header = opened.size
            opened.draft("L", (size_px * 2, size_px * 2))  # JPEG: decode at reduced scale
            _check_size(opened.width, opened.height, MAX_DECODE_PIXELS, header)
            image = _upright(opened).convert("L")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own check (the render worker leaves it to ours, which names the size).
        raise ThumbnailError(f"too large to preview: {exc}") from exc
    except (UnidentifiedImageError, OSError, ValueError, EOFError, struct.error) as exc:
        raise ThumbnailError(f"picture cannot be decoded: {exc}") from exc
    return _finish(image, size_px, blur_radius_px)


def _check_size(width: int, height: int, limit: int, header: tuple[int, int] | None = None) -> None:
    """Refuse ``width``×``height`` over ``limit`` pixels (named by its ``header`` size)."""
    if width * height > limit:
        raise too_large(*(header or (width, height)))


def _animation_frames(image: Image.Image, count: int, frames: int) -> list[int]:
    """Up to ``frames`` frame indexes spread over as many frames as the pixel budget reaches."""
    reach = max(1, min(count, MAX_ANIMATION_PIXELS // max(1, image.width * image.height)))
    shown = min(frames, reach)
    return [i * reach // shown for i in range(shown)]


def _upright(image: Image.Image) -> Image.Image:
    """The picture turned by its EXIF orientation; as stored when its EXIF cannot be read."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow warns of each corrupt EXIF entry
            return ImageOps.exif_transpose(image)
    except Exception:
        # A broken EXIF block is the suspect's, not a reason to show nothing; Pillow's
        # EXIF code fails on it in many ways (struct, type, attribute, value errors …).
        return image


def _frame(image: Image.Image, index: int) -> Image.Image:
    image.seek(index)
    return image.convert("L")


def video_contact_sheet(
    data: BinaryIO, size_px: int, blur_radius_px: float | None, frames: int = 6
) -> bytes:
    """A greyscale JPEG grid of ``frames`` frames spread over the video, blurred by default."""
    import av  # imported here: only video thumbnails need FFmpeg's libraries

    tiles: list[Image.Image] = []
    try:
        with av.open(data, mode="r") as container:
            if not container.streams.video:
                raise ThumbnailError("no video stream to show")
            stream = container.streams.video[0]
            _check_size(stream.codec_context.width, stream.codec_context.height, MAX_DECODE_PIXELS)
            stream.thread_type = "AUTO"
            stream.codec_context.thread_count = 2  # each decoding thread holds frames of its own
            tiles = _frames(container, stream, frames, size_px)
    except ThumbnailError:
        raise
    except (av.error.FFmpegError, OSError, ValueError, IndexError) as exc:
        raise ThumbnailError(f"video cannot be decoded: {exc}") from exc
    if not tiles:
        raise ThumbnailError("video cannot be decoded: no frames")
    return _finish(_sheet(tiles, size_px), size_px * min(3, len(tiles)), blur_radius_px)


def _sheet(tiles: list[Image.Image], cell: int) -> Image.Image:
    """Tiles on a grid of up to 3 columns, each fitted into a ``cell``-pixel square."""
    columns = min(3, len(tiles))
    rows = math.ceil(len(tiles) / columns)
    sheet = Image.new("L", (columns * cell, rows * cell), 0)
    for index, tile in enumerate(tiles):
        tile.thumbnail((cell, cell))
        x = (index % columns) * cell + (cell - tile.width) // 2
        y = (index // columns) * cell + (cell - tile.height) // 2
        sheet.paste(tile, (x, y))
    return sheet


def _frames(container: Any, stream: Any, frames: int, size_px: int) -> list[Image.Image]:
    """Decode up to ``frames`` frames at evenly spaced times (first frame when no duration)."""
    duration_s = (
        float(stream.duration * stream.time_base)
        if stream.duration and stream.time_base
        else (container.duration or 0) / 1_000_000
    )
    times = [duration_s * (i + 0.5) / frames for i in range(frames)] if duration_s > 0 else [0.0]
    budget = _FrameBudget(MAX_VIDEO_FRAMES)
    tiles: list[Image.Image] = []
    for when in times:
        if stream.time_base:
            container.seek(int(when / stream.time_base), stream=stream, backward=True)
        frame = _frame_at(container, stream, when, budget)
        if frame is not None:
            _check_size(frame.width, frame.height, MAX_DECODE_PIXELS)
            image = frame.to_image().convert("L")
            image.thumbnail((size_px * 2, size_px * 2))
            tiles.append(image)
        if budget.spent:
            break
    return tiles


class _FrameBudget:
    """Frames a contact sheet may still decode (a long run between keyframes costs many)."""

    def __init__(self, frames: int) -> None:
        self.left = frames

    @property
    def spent(self) -> bool:
        """Whether no frame may be decoded any more."""
        return self.left <= 0

    def take(self) -> None:
        """Count one decoded frame."""
        self.left -= 1


def _frame_at(container: Any, stream: Any, when_s: float, budget: _FrameBudget) -> Any:
    last = None
    for frame in container.decode(stream):
        budget.take()
        last = frame
        # A frame bigger than its stream said is refused before it is turned into a picture.
        _check_size(frame.width, frame.height, MAX_DECODE_PIXELS)
        if frame.time is None or frame.time >= when_s or budget.spent:
            return frame
    return last


def _finish(image: Image.Image, size_px: int, blur_radius_px: float | None) -> bytes:
    image.thumbnail((size_px, size_px))
    if blur_radius_px:
        image = image.filter(ImageFilter.GaussianBlur(blur_radius_px))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY)
    return out.getvalue()


PLACEHOLDER_CHARS = 160
"""Most characters of a refusal's reason drawn on its placeholder."""


def placeholder(reason: str, size_px: int) -> bytes:
    """A plain grey JPEG square saying why the picture is not shown (nothing of the evidence)."""
    image = Image.new("L", (size_px, size_px), 96)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=max(9, size_px // 14))
    reason = reason.replace("×", "x")  # the built-in font has no multiplication sign
    text = reason if len(reason) <= PLACEHOLDER_CHARS else reason[: PLACEHOLDER_CHARS - 1] + "…"
    columns = max(8, int(size_px / (font.getlength("x") or 6)))
    lines = textwrap.wrap(text, columns)
    draw.multiline_text((size_px // 16, size_px // 16), "\n".join(lines), fill=255, font=font)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY)
    return out.getvalue()


_heif_registered = False


def _heif() -> None:
    """Let Pillow open HEIC/HEIF (phones' pictures) once per process."""
    global _heif_registered
    if not _heif_registered:
        import pillow_heif

        pillow_heif.register_heif_opener()
        _heif_registered = True
