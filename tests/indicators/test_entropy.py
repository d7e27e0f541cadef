"""Entropy plus chi-square separates random containers from compressed media of the same size."""

from __future__ import annotations

import io
import os
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vigil.demo.imagegen import encode
from vigil.indicators import entropy
from vigil.indicators.checks import CHECKS
from vigil.indicators.entropy import byte_stats, stream_stats
from vigil.indicators.facts import item_facts
from vigil.indicators.linking import RunContext
from vigil.indicators.model import ItemView
from vigil.sources.identify import SNIFF_BYTES, sniff
from vigil.sources.locator import Locator

SIZE = 2 << 20
"""Every sample is cut to exactly this size (a multiple of 512, ≥ 1 MiB)."""
HEADER = 4096
"""Bytes cut from the front of each media file so that no signature is left."""


def _noise_jpeg(seed: int, side: int) -> bytes:
    # Noise compresses worst: the hardest JPEG to tell from random data.
    pixels = np.random.default_rng(seed).integers(0, 256, (side, side, 3), dtype=np.uint8)
    return encode(Image.fromarray(pixels), "JPEG", quality=90)


def _mp4(frames: list[bytes]) -> bytes:
    """An ISO-BMFF file (ftyp, mdat of Motion-JPEG frames, moov)."""
    ftyp = b"ftypisom" + b"\x00\x00\x02\x00" + b"isomiso2mp41"
    mdat = b"".join(frames)
    moov = b"mvhd" + bytes(100)
    return b"".join(
        struct.pack(">I", len(box) + 4) + box
        for box in (ftyp, b"mdat" + mdat, b"moov" + struct.pack(">I", 108) + moov)
    )


def _zip_of(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("photo.jpg", data)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def samples() -> dict[str, bytes]:
    """Same-size bodies: random, and zip/JPEG/MP4 with their headers cut off."""
    jpeg = _noise_jpeg(1, 1600)
    media = {
        "zip": _zip_of(jpeg),
        "jpeg": jpeg,
        "mp4": _mp4([_noise_jpeg(seed, 900) for seed in range(2, 6)]),
    }
    out = {"random": os.urandom(SIZE)}
    for name, data in media.items():
        assert len(data) >= HEADER + SIZE, name
        out[name] = data[HEADER : HEADER + SIZE]
        assert sniff(out[name][:SNIFF_BYTES]).name == "unknown", name
    return out


def _view(size: int, facts: dict[str, object]) -> ItemView:
    return ItemView(1, "k", "/x/blob.bin", "x", "blob.bin", size, "unknown", "unknown", "ok",
                    None, False, (), {"facts": facts})  # fmt: skip


def _flagged(data: bytes) -> bool:
    ftype = sniff(data[:SNIFF_BYTES])
    facts = item_facts(Locator.for_path("/x/blob.bin"), ftype, io.BytesIO(data), len(data), None)
    check = CHECKS["encrypted_container"]
    return check.fn(_view(len(data), facts), dict(check.params), RunContext()) is not None


def test_only_the_random_container_is_flagged(samples: dict[str, bytes]) -> None:
    assert {name: _flagged(data) for name, data in samples.items()} == {
        "random": True,
        "zip": False,
        "jpeg": False,
        "mp4": False,
    }


def test_chi_square_is_what_rejects_high_entropy_compressed_data(samples: dict[str, bytes]) -> None:
    random_stats = byte_stats(samples["random"])
    assert random_stats.bits_per_byte >= 7.99 and random_stats.chi_square < 400
    zipped = byte_stats(samples["zip"])
    # Deflate over a JPEG reaches random-looking entropy: entropy alone would flag it …
    assert zipped.bits_per_byte >= 7.99
    # … but its byte histogram is far from uniform.
    assert zipped.chi_square > 2000
    for name in ("jpeg", "mp4"):
        assert byte_stats(samples[name]).chi_square > 2000, name


def test_size_rules_of_the_container_check() -> None:
    data = os.urandom(SIZE + 100)  # not a multiple of 512
    assert not _flagged(data)
    assert not _flagged(os.urandom((1 << 20) - 512))  # under 1 MiB: no entropy is computed
    assert _flagged(os.urandom(1 << 20))


def test_large_streams_are_sampled_evenly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(entropy, "SAMPLE_BLOCKS", 4)
    monkeypatch.setattr(entropy, "SAMPLE_BLOCK_BYTES", 1024)
    path = tmp_path / "big.bin"
    path.write_bytes(bytes(8192) + os.urandom(8192))
    with path.open("rb") as handle:
        stats = stream_stats(handle, 16384)
    assert stats.sampled_bytes == 4096
    # Blocks at 0, 5120, 10240 and 15360: two of zeros, two of random bytes.
    assert 4.0 < stats.bits_per_byte < 5.0
    small = tmp_path / "small.bin"
    small.write_bytes(bytes(4096))
    with small.open("rb") as handle:
        whole = stream_stats(handle, 4096)  # small enough to be read whole
    assert whole.sampled_bytes == 4096 and whole.bits_per_byte == 0.0


def test_empty_data_has_no_entropy() -> None:
    assert byte_stats(b"") == entropy.ByteStats(0.0, 0.0, 0)


def test_a_random_looking_file_in_a_known_good_set_is_not_a_container() -> None:
    data = os.urandom(1 << 20)
    ftype = sniff(data[:SNIFF_BYTES])
    facts = item_facts(Locator.for_path("/x/fw.bin"), ftype, io.BytesIO(data), len(data), None)
    view = _view(len(data), facts)
    check = CHECKS["encrypted_container"]
    assert check.fn(view, dict(check.params), RunContext()) is not None
    view.review = "known"
    assert check.fn(view, dict(check.params), RunContext()) is None
