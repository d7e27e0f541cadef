"""Thumbnails of pictures and contact sheets of videos: small, greyscale, blurred by default."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image
from web_helpers import make_video

from vigil.demo.imagegen import encode, make_picture
from vigil.web.thumbnails import ThumbnailError, picture_thumbnail, video_contact_sheet


def _detail(jpeg: bytes) -> float:
    pixels = np.asarray(Image.open(io.BytesIO(jpeg)), dtype=np.float32)
    return float(np.abs(np.diff(pixels, axis=1)).mean() + np.abs(np.diff(pixels, axis=0)).mean())


def test_picture_thumbnail_is_greyscale_small_and_blurred() -> None:
    data = encode(make_picture(5, (1200, 900)))
    blurred = picture_thumbnail(io.BytesIO(data), 160, 10.0)
    sharp = picture_thumbnail(io.BytesIO(data), 160, None)
    for jpeg in (blurred, sharp):
        image = Image.open(io.BytesIO(jpeg))
        assert image.mode == "L" and image.size == (160, 120)
    assert _detail(sharp) > 4 * _detail(blurred)


def test_exif_orientation_is_applied() -> None:
    picture = make_picture(6, (400, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise when shown
    data = encode(picture, exif=exif.tobytes())
    image = Image.open(io.BytesIO(picture_thumbnail(io.BytesIO(data), 100, None)))
    assert image.size == (50, 100)


def test_undecodable_picture_is_one_clear_error() -> None:
    with pytest.raises(ThumbnailError, match="cannot be decoded"):
        picture_thumbnail(io.BytesIO(b"\xff\xd8\xff\xe0 not really a jpeg"), 160, 10.0)


def test_video_becomes_a_blurred_contact_sheet(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    make_video(path)
    with path.open("rb") as data:
        sheet = video_contact_sheet(data, 120, 10.0, frames=6)
    with path.open("rb") as data:
        sharp = video_contact_sheet(data, 120, None, frames=6)
    image = Image.open(io.BytesIO(sheet))
    assert image.mode == "L" and image.size == (360, 240)  # 3 × 2 tiles of 120 px
    assert _detail(sharp) > 3 * _detail(sheet)
    # Tiles differ: frames come from different moments of the video.
    pixels = np.asarray(Image.open(io.BytesIO(sharp)), dtype=np.float32)
    assert np.abs(pixels[:120, :120] - pixels[120:, 240:]).mean() > 5


def test_video_without_video_stream_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sound.m4a"
    with av.open(str(path), mode="w", format="mp4") as container:
        audio = container.add_stream("aac", rate=16000)
        tone = av.AudioFrame.from_ndarray(
            np.zeros((1, 16000), np.float32), format="fltp", layout="mono"
        )
        tone.sample_rate = 16000
        container.mux(audio.encode(tone))
        container.mux(audio.encode(None))
    with path.open("rb") as data, pytest.raises(ThumbnailError, match="no video stream"):
        video_contact_sheet(data, 120, 10.0)


def test_corrupt_video_is_one_clear_error() -> None:
    with pytest.raises(ThumbnailError, match="video cannot be decoded"):
        video_contact_sheet(io.BytesIO(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200), 120, 10.0)


def test_animated_picture_becomes_a_contact_sheet() -> None:
    frames = [make_picture(800 + i, (200, 150)) for i in range(8)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    sheet = Image.open(io.BytesIO(picture_thumbnail(io.BytesIO(out.getvalue()), 100, None)))
    assert sheet.mode == "L" and sheet.size == (300, 200)  # 6 of the 8 frames, 3 × 2
    pixels = np.asarray(sheet, dtype=np.float32)
    assert np.abs(pixels[:100, :100] - pixels[100:, 200:]).mean() > 5  # different frames


def test_an_animation_is_sampled_only_as_far_as_the_pixel_budget_reaches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from vigil.web import thumbnails

    # Frames are decoded in order to reach later ones: the budget allows two of the eight.
    monkeypatch.setattr(thumbnails, "MAX_ANIMATION_PIXELS", 2 * 200 * 150)
    frames = [make_picture(800 + i, (200, 150)) for i in range(8)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    sheet = Image.open(io.BytesIO(picture_thumbnail(io.BytesIO(out.getvalue()), 100, None)))
    assert sheet.size == (200, 100)  # two tiles side by side


def test_a_video_sheet_stops_at_its_frame_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vigil.web import thumbnails

    monkeypatch.setattr(thumbnails, "MAX_VIDEO_FRAMES", 2)
    path = tmp_path / "clip.mp4"
    make_video(path)
    with path.open("rb") as data:
        sheet = Image.open(io.BytesIO(video_contact_sheet(data, 120, None, frames=6)))
    assert sheet.size[0] * sheet.size[1] <= 2 * 120 * 120  # at most the two frames decoded


def _png_header(width: int, height: int) -> bytes:
    """A PNG of ``width``×``height`` pixels whose data is empty (only its header is real)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"") + chunk(b"IEND", b"")


@pytest.mark.parametrize("size", [(9000, 6000), (7500, 7500)])
def test_a_picture_over_the_pixel_cap_is_refused_by_its_header(size: tuple[int, int]) -> None:
    # Under Pillow's own bomb limit, over Vigil's: refused before a pixel is decoded.
    with pytest.raises(ThumbnailError, match=f"too large to preview: {size[0]}×{size[1]}"):
        picture_thumbnail(io.BytesIO(_png_header(*size)), 160, 10.0)
