"""PDQ conformance against Meta's reference images and expected hashes.

The reference images and hash lists are vendored in tests/data/pdq (BSD
licence beside them); "conforms" is defined in its README.md. Each test checks
one clause, once with the fast (draft JPEG) decode and once with the full
decode. The EXIF-orientation and pixel-mode variants are made here from the
reference photo rather than vendored (they are derived files, 16 MB upstream).
"""

from __future__ import annotations

import csv
import io
from functools import cache
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from vigil.hashing.pdq import (
    LOW_QUALITY,
    MATCH_THRESHOLD,
    PdqResult,
    from_hex,
    hamming,
    hash_image,
)

SOURCES = ("wasm", "cpp", "python")
LARGE_TOLERANCE_BITS = 12  # the official implementations disagree by up to ~12 bits
MODE_TOLERANCE_BITS = 16
EXIF_ORIENTATIONS = (1, 3, 6, 8)
FAST_DRIFT_BITS = 6  # a draft (scaled) JPEG decode may drift a few bits


DATA = Path(__file__).resolve().parents[1] / "data" / "pdq"  # vendored: see its README.md


def _expected() -> dict[str, dict[str, str]]:
    """path → {source: hex} across the three CSVs."""
    table: dict[str, dict[str, str]] = {}
    for source in SOURCES:
        with (DATA / f"expected-{source}.csv").open(newline="") as handle:
            for row in csv.DictReader(handle):
                table.setdefault(row["path"], {})[source] = row["pdq_hex"]
    return table


EXPECTED = _expected()


@pytest.fixture(params=[True, False], ids=["fast", "full"])
def fast(request: pytest.FixtureRequest) -> bool:
    """Run each conformance check with and without draft JPEG decoding."""
    return bool(request.param)


@cache
def _hash(relative: str, fast: bool) -> PdqResult:
    """Hash a conformance image once per decode mode (several tests reuse them)."""
    return hash_image(DATA / "images" / relative, fast=fast)


@pytest.mark.parametrize("relative", sorted(EXPECTED))
def test_matches_reference_hashes(relative: str, fast: bool) -> None:
    """≤ 512 px: bit-identical to the WASM reference; larger: within 12 bits of every list."""
    result = _hash(relative, fast)
    expected = EXPECTED[relative]
    distances = {source: hamming(result.hash, from_hex(hex_)) for source, hex_ in expected.items()}
    if max(result.width, result.height) <= 512 and "wasm" in expected:
        assert distances["wasm"] == 0, f"{relative}: {distances}"
    assert max(distances.values()) <= LARGE_TOLERANCE_BITS, f"{relative}: {distances}"


REFERENCE_PHOTO = "reg-test-input/dih/bridge-1-original.jpg"
# How each EXIF orientation is stored: the pixels a camera writes, which a
# viewer turns back (orientation 6 = "rotate 90° clockwise to display").
STORED_AS = {
    1: None,
    3: Image.Transpose.ROTATE_180,
    6: Image.Transpose.ROTATE_90,
    8: Image.Transpose.ROTATE_270,
}
# Pillow modes a seized picture may come in, with a format that stores each.
MODES = {
    "1": "PNG",
    "L": "PNG",
    "LA": "PNG",
    "P": "PNG",
    "RGB": "PNG",
    "RGBA": "PNG",
    "I": "TIFF",
    "F": "TIFF",
    "CMYK": "TIFF",
    "YCbCr": "TIFF",
    "LAB": "TIFF",
    "PA": "WEBP",
    "HSV": "WEBP",
}


@pytest.fixture(scope="module")
def derived(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """EXIF-oriented and per-mode copies of the reference photo, written once."""
    folder = tmp_path_factory.mktemp("pdq-derived")
    with Image.open(DATA / "images" / REFERENCE_PHOTO) as original:
        photo = original.convert("RGB")
    for orientation, transpose in STORED_AS.items():
        stored = photo if transpose is None else photo.transpose(transpose)
        exif = Image.Exif()
        exif[0x0112] = orientation
        stored.save(folder / f"exif-rotn-{orientation}.jpg", quality=95, exif=exif)
    for mode, format_ in MODES.items():
        photo.convert(mode).save(folder / f"{mode}.{format_.lower()}", format_)
    return folder


@pytest.mark.parametrize("orientation", EXIF_ORIENTATIONS)
def test_exif_orientation_applied_and_recorded(orientation: int, fast: bool, derived: Path) -> None:
    """The hash is of the image as displayed, and the orientation used is reported."""
    path = derived / f"exif-rotn-{orientation}.jpg"
    result = hash_image(path, fast=fast)
    with Image.open(path) as im:
        stored = im.size
        displayed = ImageOps.exif_transpose(im).convert("RGB")
        raw = im.convert("RGB")
    assert result.orientation == orientation
    expected_size = stored[::-1] if orientation in (6, 8) else stored
    assert (result.width, result.height) == expected_size == displayed.size

    # Same pixels, turned by Pillow as a viewer would and stored without EXIF.
    assert hamming(result.hash, _bmp_hash(displayed)) <= (FAST_DRIFT_BITS if fast else 0)
    # Turned back, it is the reference photo again.
    assert hamming(result.hash, _hash(REFERENCE_PHOTO, fast).hash) <= MATCH_THRESHOLD
    if orientation != 1:
        # And turning mattered: the stored pixels hash far away.
        assert hamming(result.hash, _bmp_hash(raw)) > MATCH_THRESHOLD


def _bmp_hash(image: Image.Image) -> bytes:
    """Full-decode hash of pixels saved losslessly (BMP is quick)."""
    buffer = io.BytesIO()
    image.save(buffer, "BMP")
    return hash_image(buffer.getvalue(), fast=False).hash


@pytest.mark.parametrize("mode", sorted(MODES))
def test_pixel_modes_hash_like_the_original(mode: str, fast: bool, derived: Path) -> None:
    """The same photo saved in each Pillow mode hashes within 16 bits of the original."""
    path = derived / f"{mode}.{MODES[mode].lower()}"
    with Image.open(path) as stored:
        assert stored.mode == mode or MODES[mode] == "WEBP"  # WebP stores PA/HSV as RGB(A)
    original = _hash(REFERENCE_PHOTO, fast)
    result = hash_image(path, fast=fast)
    assert hamming(result.hash, original.hash) <= MODE_TOLERANCE_BITS
    assert result.quality >= LOW_QUALITY


def test_small_jpeg_is_low_quality_not_an_error(fast: bool) -> None:
    """small.jpg has too little detail: reported as low quality, never an exception."""
    result = _hash("misc-images/small.jpg", fast)
    assert result.quality < LOW_QUALITY
    assert result.low_quality


def _dihedral_files() -> list[str]:
    folder = DATA / "images" / "reg-test-input" / "dih"
    return sorted(f"reg-test-input/dih/{p.name}" for p in folder.glob("bridge-*.jpg"))


def test_dihedral_variants_find_every_rotation_and_flip(fast: bool) -> None:
    """Each of the 8 rotated/flipped files finds all the others through its 8 variants."""
    files = _dihedral_files()
    assert len(files) == 8
    results = [_hash(f, fast) for f in files]
    original = results[0]
    for k, other in enumerate(results):
        # Files are numbered in pdqhash's dihedral order: variant k is file k.
        assert hamming(original.dihedral[k], other.hash) <= MATCH_THRESHOLD, files[k]
    for query, query_name in zip(results, files, strict=True):
        for target, target_name in zip(results, files, strict=True):
            best = min(hamming(variant, target.hash) for variant in query.dihedral)
            assert best <= MATCH_THRESHOLD, f"{query_name} does not find {target_name}"
