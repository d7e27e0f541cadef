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
import warnings
from typing import Any, BinaryIO

from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

from vigil.errors import VigilError

MAX_PIXELS = 250_000_000
"""Pictures larger than this are refused (a decompression bomb, not evidence to look at)."""

JPEG_QUALITY = 80


class ThumbnailError(VigilError):
    """A thumbnail cannot be made (undecodable picture or video)."""


def picture_thumbnail(
    data: BinaryIO, size_px: int, blur_radius_px: float | None, frames: int = 6
) -> bytes:
    """A greyscale JPEG of the picture in ``data``, blurred unless ``blur_radius_px`` is None.

    An animated picture (GIF, WebP, APNG …) becomes a contact sheet of up to
    ``frames`` of its frames: what it shows after the first frame must be seen too.
    """
    _heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(data)
            if opened.width * opened.height > MAX_PIXELS:
                raise ThumbnailError(f"picture too large to show ({opened.width}×{opened.height})")
            count = int(getattr(opened, "n_frames", 1) or 1)
            if count > 1:
                tiles = [_frame(opened, i * count // frames) for i in range(min(frames, count))]
                return _finish(_sheet(tiles, size_px), size_px * min(3, len(tiles)), blur_radius_px)
            opened.draft("L", (size_px * 2, size_px * 2))
            image = ImageOps.exif_transpose(opened).convert("L")
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        EOFError,
        Image.DecompressionBombError,
    ) as exc:
        raise ThumbnailError(f"picture cannot be decoded: {exc}") from exc
    except Image.DecompressionBombWarning as exc:
        raise ThumbnailError(f"picture too large to show: {exc}") from exc
    return _finish(image, size_px, blur_radius_px)


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
            stream.thread_type = "AUTO"
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
    tiles: list[Image.Image] = []
    for when in times:
        if stream.time_base:
            container.seek(int(when / stream.time_base), stream=stream, backward=True)
        frame = _frame_at(container, stream, when)
        if frame is not None:
            image = frame.to_image().convert("L")
            image.thumbnail((size_px * 2, size_px * 2))
            tiles.append(image)
    return tiles


def _frame_at(container: Any, stream: Any, when_s: float) -> Any:
    last = None
    for frame in container.decode(stream):
        last = frame
        if frame.time is None or frame.time >= when_s:
            return frame
    return last


def _finish(image: Image.Image, size_px: int, blur_radius_px: float | None) -> bytes:
    image.thumbnail((size_px, size_px))
    if blur_radius_px:
        image = image.filter(ImageFilter.GaussianBlur(blur_radius_px))
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
