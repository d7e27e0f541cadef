"""Decoding bombs built in a few kilobytes: pictures and videos whose headers promise far more
pixels, or far more frames, than a preview should ever decode. Benign: blank pixels only."""

from __future__ import annotations

import io
import struct
import time
import zlib
from pathlib import Path

import av
from PIL import Image

from vigil.web.render_worker import RenderJob, make_preview


def png_bomb(width: int, height: int, mode: str = "L") -> bytes:
    """A valid PNG of ``width``×``height`` black pixels (its zlib stream is tiny)."""
    channels = {"L": 1, "RGB": 3}[mode]
    colour_type = {"L": 0, "RGB": 2}[mode]
    row = b"\x00" * (1 + width * channels)  # filter byte, then the pixels
    squeeze = zlib.compressobj(9)
    body = b"".join(squeeze.compress(row) for _ in range(height)) + squeeze.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


def _small_jpeg(size: int) -> bytes:
    out = io.BytesIO()
    Image.new("L", (size, size), 128).save(out, "JPEG", quality=50)
    return out.getvalue()


def _sof(width: int, height: int, components: int) -> bytes:
    length = 8 + 3 * components
    return b"\xff\xc0" + struct.pack(">HBHH", length, 8, height, width)


def jpeg_bomb(width: int, height: int) -> bytes:
    """A small greyscale JPEG whose frame header (SOF0) says ``width``×``height``."""
    data = _small_jpeg(16)
    return data.replace(_sof(16, 16, 1), _sof(width, height, 1), 1)


def gif_bomb(canvas: int, frames: int) -> bytes:
    """An animated GIF: a ``canvas``-pixel square screen and ``frames`` 8×8 frames on it.

    Each frame is a few bytes, yet a decoder composes every one onto the whole screen.
    """
    tile = io.BytesIO()
    Image.new("P", (8, 8), 1).save(tile, "GIF")
    image_data = _gif_image_block(tile.getvalue())
    screen = struct.pack("<HHBBB", canvas, canvas, 0x80, 0, 0)  # 2-colour global table
    palette = b"\x00\x00\x00\xff\xff\xff"
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    parts = [b"GIF89a", screen, palette, loop]
    for index in range(frames):
        control = b"\x21\xf9\x04" + struct.pack("<BHBB", 0x04, 5, 0, 0)  # keep, 50 ms
        x, y = (index * 8) % (canvas - 8), (index * 8) // (canvas - 8) * 8 % (canvas - 8)
        descriptor = b"\x2c" + struct.pack("<HHHHB", x, y, 8, 8, 0)
        parts += [control, descriptor, image_data]
    parts.append(b"\x3b")
    return b"".join(parts)


def _gif_image_block(gif: bytes) -> bytes:
    """The LZW code size and data sub-blocks of the first image of a one-frame GIF."""
    packed = gif[10]
    at = 13 + (3 * 2 ** ((packed & 7) + 1) if packed & 0x80 else 0)
    while gif[at] == 0x21:  # extensions: label, then sub-blocks up to a zero length
        at += 2
        while gif[at]:
            at += gif[at] + 1
        at += 1
    assert gif[at] == 0x2C, "an image descriptor"
    flags = gif[at + 9]
    at += 10 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
    start = at
    at += 1  # LZW minimum code size
    while gif[at]:
        at += gif[at] + 1
    return gif[start : at + 1]


def mjpeg_avi_bomb(path: Path, width: int, height: int, frames: int = 5) -> None:
    """An MJPEG AVI of 64×64 frames whose headers (AVI and every JPEG) say ``width``×``height``."""
    with av.open(str(path), mode="w", format="avi") as container:
        stream = container.add_stream("mjpeg", rate=5)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuvj420p"
        for _ in range(frames):
            frame = av.VideoFrame.from_image(Image.new("RGB", (64, 64), (90, 90, 90)))
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    data = bytearray(path.read_bytes())
    small, big = _sof(64, 64, 3), _sof(width, height, 3)
    assert small in data, "an MJPEG frame header"
    data = bytearray(bytes(data).replace(small, big))
    main = data.index(b"avih") + 8  # dwWidth and dwHeight are its 9th and 10th fields
    struct.pack_into("<II", data, main + 32, width, height)
    info = data.index(b"strf") + 8  # BITMAPINFOHEADER: biSize, then biWidth, biHeight
    struct.pack_into("<ii", data, info + 4, width, height)
    path.write_bytes(bytes(data))


def stall_on_tiny(job: RenderJob) -> bytes:
    """A preview worker's job that hangs, as a decoder stuck in a loop would, for 1-pixel jobs;
    any other job is made as usual."""
    if job.size_px == 1:
        time.sleep(600)
    return make_preview(job)
