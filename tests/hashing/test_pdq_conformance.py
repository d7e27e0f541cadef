"""PDQ conformance against Meta's reference images and expected hashes.

"Conforms" is defined in ../shared/conformance/pdq/README.md; each test below
checks one clause of it, once with the fast (draft JPEG) decode and once with
the full decode.
"""

from __future__ import annotations

import csv
import io
import os
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
FAST_DRIFT_BITS = 6  # the 12 MP exif-rotn photos decode at 1/2 scale when fast


def _locate() -> Path | None:
    """The conformance folder: ../shared beside the repository, else $VIGIL_CONFORMANCE_DIR."""
    candidates = [Path(__file__).resolve().parents[2].parent / "shared" / "conformance" / "pdq"]
    if os.environ.get("VIGIL_CONFORMANCE_DIR"):
        candidates.append(Path(os.environ["VIGIL_CONFORMANCE_DIR"]))
    for candidate in candidates:
        if (candidate / "expected-wasm.csv").is_file() and (candidate / "images").is_dir():
            return candidate
    return None


DATA = _locate()
pytestmark = pytest.mark.skipif(
    DATA is None,
    reason="PDQ conformance data not found at ../shared/conformance/pdq "
    "(set VIGIL_CONFORMANCE_DIR to its folder)",
)


def _expected() -> dict[str, dict[str, str]]:
    """path → {source: hex} across the three CSVs (empty when the data is absent)."""
    table: dict[str, dict[str, str]] = {}
    if DATA is None:
        return table
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
    """Hash a conformance image once per decode mode (several tests reuse the 12 MP ones)."""
    assert DATA is not None
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


@pytest.mark.parametrize("orientation", EXIF_ORIENTATIONS)
def test_exif_orientation_applied_and_recorded(orientation: int, fast: bool) -> None:
    """The hash is of the image as displayed, and the orientation used is reported."""
    assert DATA is not None
    path = DATA / "images" / "reg-test-input" / "exif-rotn" / f"exif-rotn-{orientation}.jpg"
    result = _hash(str(path.relative_to(DATA / "images")), fast)
    with Image.open(path) as im:
        stored = im.size
        displayed = ImageOps.exif_transpose(im).convert("RGB")
        raw = im.convert("RGB")
    assert result.orientation == orientation
    expected_size = stored[::-1] if orientation in (6, 8) else stored
    assert (result.width, result.height) == expected_size == displayed.size

    # Same pixels, turned by Pillow as a viewer would and stored without EXIF.
    assert hamming(result.hash, _bmp_hash(displayed)) <= (FAST_DRIFT_BITS if fast else 0)
    if orientation != 1:
        # And turning mattered: the stored pixels hash far away.
        assert hamming(result.hash, _bmp_hash(raw)) > MATCH_THRESHOLD


def _bmp_hash(image: Image.Image) -> bytes:
    """Full-decode hash of pixels saved losslessly (BMP is quick at 12 MP)."""
    buffer = io.BytesIO()
    image.save(buffer, "BMP")
    return hash_image(buffer.getvalue(), fast=False).hash


def _mode_files() -> list[str]:
    if DATA is None:
        return []
    folder = DATA / "images" / "misc-images" / "modes"
    return sorted(p.name for p in folder.iterdir() if p.name != "original.jpg")


@pytest.mark.parametrize("name", _mode_files())
def test_pixel_modes_hash_like_the_original(name: str, fast: bool) -> None:
    """The same photo saved in each Pillow mode hashes within 16 bits of the original."""
    original = _hash("misc-images/modes/original.jpg", fast)
    result = _hash(f"misc-images/modes/{name}", fast)
    assert hamming(result.hash, original.hash) <= MODE_TOLERANCE_BITS
    assert result.quality >= LOW_QUALITY


def test_small_jpeg_is_low_quality_not_an_error(fast: bool) -> None:
    """small.jpg has too little detail: reported as low quality, never an exception."""
    result = _hash("misc-images/small.jpg", fast)
    assert result.quality < LOW_QUALITY
    assert result.low_quality


def _dihedral_files() -> list[str]:
    if DATA is None:
        return []
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
