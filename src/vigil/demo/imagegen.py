"""Benign test and demo pictures drawn by code: shapes on gradients, seeded.

These are the only "images" Vigil's demo, tests and benchmarks make up. Each
seed gives a distinct, well-structured picture (PDQ quality near 100), so
perceptual hashes of different seeds are far apart.
"""

from __future__ import annotations

import io
import random

import numpy as np
from PIL import Image, ImageDraw


def make_picture(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A deterministic RGB picture of random shapes on a colour gradient."""
    rng = random.Random(seed)
    width, height = size
    x = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :]
    y = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    base = np.empty((height, width, 3), dtype=np.float32)
    for channel in range(3):
        a, b, c = (rng.uniform(-1, 1) for _ in range(3))
        # A slow ramp plus a ripple: enough edges that PDQ quality stays high.
        ripple = np.sin((20 + 15 * c) * x + (12 - 9 * a) * y) * np.cos((9 + 7 * b) * y)
        base[:, :, channel] = 127 + 50 * (a * x + b * y) + 45 * ripple
    image = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(20, 32)):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1 = x0 + rng.randint(width // 16, width // 4)
        y1 = y0 + rng.randint(height // 16, height // 4)
        colour = tuple(rng.randrange(256) for _ in range(3))
        if rng.random() < 0.5:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        else:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
    return image


def encode(image: Image.Image, format: str = "JPEG", **params: object) -> bytes:
    """The picture encoded in ``format`` (JPEG quality 90 unless given)."""
    if format == "JPEG":
        params.setdefault("quality", 90)
    buffer = io.BytesIO()
    image.save(buffer, format=format, **params)
    return buffer.getvalue()
