"""PDQ perceptual hashes of images, decoded for the hash and not for display.

The pipeline follows Meta's C++ reference tool (``pdq/cpp/io/pdqio.cpp``) so
that our hashes agree with the hash lists an authority hands us:

1. open with Pillow (plus pillow-heif for HEIC/HEIF), first frame only;
2. apply the EXIF orientation, so the hash is of the image as a viewer shows it;
3. convert the pixel mode to 8-bit RGB, dropping any alpha channel (as the
   reference tools do: CImg keeps channels 0–2, pytx calls ``convert("RGB")``);
4. when either side is over 512 px, squash to 512×512 by nearest-neighbour
   sampling at ``floor(i·size/512)`` — exactly what CImg's default resize does,
   which makes us bit-identical to the WASM reference on its test data;
5. ``pdqhash.compute_dihedral`` (the reference C++ compiled by Cython).

With ``fast=True`` a JPEG is decoded at 1/2, 1/4 or 1/8 scale inside libjpeg
(Pillow's ``Image.draft``), but only so far that every side stays at least
:data:`FAST_DECODE_MIN_SIDE` px, twice the hashing size. Images whose hash
hangs on which pixels the nearest-neighbour squash picks (fine stripes, see
:data:`FAST_DECODE_MAX_PHASE_BITS`) are decoded again in full, since no reduced
decode reproduces their reference hash. ``bench/pdq_drift.py`` measures the
drift from a full decode (median 2, p99 6 bits at quality ≥ 80 on its set).
"""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TypeVar, cast

import numpy as np
import numpy.typing as npt
import pdqhash
import PIL
import pillow_heif
from PIL import Image, UnidentifiedImageError, features

from vigil.errors import VigilError

LOW_QUALITY = 50
"""A hash whose quality is below this is low quality: report it, never match on it."""

MATCH_THRESHOLD = 31
"""Largest Hamming distance (bits) that counts as a match (Meta's recommendation)."""

HASH_SIDE = 512
"""The reference pre-resizes any image with a side over this to HASH_SIDE×HASH_SIDE."""

FAST_DECODE_MIN_SIDE = 2 * HASH_SIDE
"""A draft (reduced) JPEG decode must keep every side at least this many pixels.

Twice the hashing size: the nearest-neighbour squash then still picks among
real pixels rather than upsampling, which keeps drift small (see bench/pdq_drift.py).
"""

FAST_DECODE_MAX_PHASE_BITS = 20
"""A draft decode is dropped for a full one when a half-cell shift of the squash's
sampling grid moves the draft hash by more than this many bits.

Photos move 0–12 bits; images of fine periodic texture move 70–100 and drift as
far from the full decode (bench/pdq_drift.py), so they get the full decode.
"""

MAX_PIXELS = 256_000_000
"""Largest declared image (width × height) we decode.

Phones shoot 108 and 200 MP; JPEGs that large are decoded at a reduced scale,
others cost up to ~770 MB of RGB in one worker. Pillow's own bomb check is set
to the same figure and its warning made an error, so Pillow and we refuse the
same images whatever the process's warnings filter says.
"""

_ROW_SAMPLING_MIN_PIXELS = 8_000_000
"""From this size up, a full decode is squashed by copying out only the rows the
squash reads: turning 12 MP into one array costs ~45 ms, 512 row copies ~17 ms,
and the two cross near 8 MP (measured on this project's 2-core machines)."""

_EXIF_ORIENTATION_TAG = 0x0112
_EXCLUDED_FORMATS = frozenset({"EPS"})  # Pillow would run Ghostscript on evidence to load EPS.


class ImageDecodeError(VigilError):
    """An image could not be decoded or hashed; ``reason`` is one line saying why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True, slots=True)
class PdqResult:
    """The PDQ hash of one image and how it was obtained (for the audit trail)."""

    hash: bytes
    """32 bytes, big-endian: bit 0 of pdqhash's vector is the top bit of byte 0."""
    quality: int
    """0–100; below :data:`LOW_QUALITY` the hash is not fit for matching."""
    dihedral: tuple[bytes, ...]
    """8 hashes, pdqhash's order: original, rot90, rot180, rot270, flipx, flipy, flip+1, flip-1."""
    orientation: int
    """EXIF orientation (1–8) that was applied; 1 when none."""
    width: int
    """Width as displayed (after orientation), at the stored size, not the decoded one."""
    height: int
    """Height as displayed (after orientation), at the stored size."""
    decode_scale: int
    """JPEG draft reduction the decoder used: 1 (full), 2, 4 or 8."""
    frame_count: int
    """Frames (pages) in the file; only the first is hashed."""

    @property
    def hex(self) -> str:
        """The hash as 64 lower-case hex digits."""
        return to_hex(self.hash)

    @property
    def low_quality(self) -> bool:
        """True when the quality is too low to match on."""
        return self.quality < LOW_QUALITY


def to_hex(digest: bytes) -> str:
    """A 32-byte PDQ hash as 64 lower-case hex digits (one big-endian number)."""
    if len(digest) != 32:
        raise ValueError(f"a PDQ hash is 32 bytes, not {len(digest)}")
    return digest.hex()


def from_hex(text: str) -> bytes:
    """Parse 64 hex digits (either case, surrounding space ignored) into a 32-byte hash."""
    cleaned = text.strip()
    if len(cleaned) != 64:
        raise ValueError(f"a PDQ hash is 64 hex digits, not {len(cleaned)}")
    return bytes.fromhex(cleaned)


def hamming(a: bytes, b: bytes) -> int:
    """Number of bits that differ between two hashes of equal length."""
    if len(a) != len(b):
        raise ValueError(f"hashes of different lengths: {len(a)} and {len(b)} bytes")
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).bit_count()


def hash_image(
    source: bytes | BinaryIO | str | os.PathLike[str],
    *,
    fast: bool = True,
    max_pixels: int = MAX_PIXELS,
) -> PdqResult:
    """Decode an image (bytes, a binary file object, or a path) and PDQ-hash its first frame.

    A file object is read from its start and left open. ``fast`` lets libjpeg
    decode large JPEGs at a reduced scale; ``max_pixels`` caps the declared
    width × height. Any failure raises :class:`ImageDecodeError`.
    """
    _register_plugins()
    try:
        if isinstance(source, bytes | bytearray | memoryview):
            return _hash_stream(io.BytesIO(source), fast, max_pixels)
        if isinstance(source, str | os.PathLike):
            with _open_readonly(Path(source)) as handle:
                return _hash_stream(handle, fast, max_pixels)
        return _hash_stream(_seekable(source), fast, max_pixels)
    except ImageDecodeError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageDecodeError(f"image too large (possible decompression bomb): {exc}") from exc
    except Image.DecompressionBombWarning as exc:
        # Only reaches here where the warnings filter turns it into an exception.
        raise ImageDecodeError(f"image too large (possible decompression bomb): {exc}") from exc
    except MemoryError as exc:
        raise ImageDecodeError("out of memory while decoding") from exc
    except Exception as exc:
        # Pillow's plugins raise OSError, SyntaxError, ValueError, struct.error,
        # EOFError… on damaged files; the caller needs one type and a reason.
        raise ImageDecodeError(_one_line(f"cannot decode image: {exc}")) from exc


def decoder_versions() -> dict[str, str]:
    """Versions of every library that turns bytes into the hashed pixels, for provenance."""
    versions = {
        "pillow": PIL.__version__,
        "pillow-heif": pillow_heif.__version__,
        "libheif": str(pillow_heif.libheif_version()),
        "pdqhash": str(pdqhash.__version__),
        "numpy": np.__version__,
    }
    for name, feature in (
        ("libjpeg-turbo", "libjpeg_turbo"),
        ("zlib", "zlib"),
        ("libwebp", "webp"),
        ("libtiff", "libtiff"),
        ("openjpeg", "jpg_2000"),
        ("libavif", "avif"),
    ):
        version = features.version(feature)
        if version is not None:
            versions[name] = version
    return versions


# ---------------------------------------------------------------- decoding


_plugins_registered = False


def _register_plugins() -> None:
    """Add pillow-heif's HEIF opener to Pillow once (idempotent, cheap after the first call)."""
    global _plugins_registered
    if not _plugins_registered:
        pillow_heif.register_heif_opener()
        Image.init()
        Image.MAX_IMAGE_PIXELS = MAX_PIXELS
        _plugins_registered = True


def _open_readonly(path: Path) -> BinaryIO:
    """Open evidence read-only, without updating its access time where the OS allows."""
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0)
    noatime = getattr(os, "O_NOATIME", 0)
    try:
        try:
            fd = os.open(path, flags | noatime)
        except PermissionError:
            # O_NOATIME needs file ownership (or CAP_FOWNER); plain read-only is still safe.
            if not noatime:
                raise
            fd = os.open(path, flags)
    except OSError as exc:
        raise ImageDecodeError(_one_line(f"cannot read {path.name}: {exc.strerror}")) from exc
    return os.fdopen(fd, "rb")


def _seekable(stream: BinaryIO) -> BinaryIO:
    """Pillow seeks; a pipe or an archive member stream is copied into memory first."""
    try:
        if stream.seekable():
            return stream
    except (AttributeError, ValueError):
        pass
    return io.BytesIO(stream.read())


@dataclass(frozen=True, slots=True)
class _Decoded:
    """The first frame squashed for PDQ (as displayed) and facts about the decode."""

    squashed: npt.NDArray[np.uint8]
    """At most 512×512, 8-bit RGB (or grey), as the reference would hash it."""
    shifted: npt.NDArray[np.uint8] | None
    """For draft decodes only: the squash sampled half a cell further (phase probe)."""
    orientation: int
    width: int
    height: int
    scale: int
    frame_count: int


def _hash_stream(stream: BinaryIO, fast: bool, max_pixels: int) -> PdqResult:
    """Decode (fast where safe) and hash from a seekable binary stream."""
    decoded = _decode(stream, fast, max_pixels)
    digests, quality = _pdq(decoded.squashed)
    if decoded.shifted is not None and _phase_sensitive(decoded.shifted, digests[0]):
        # Fine periodic texture: the reference hash depends on exactly which
        # full-size pixels the nearest-neighbour squash picks, which no reduced
        # decode can reproduce. Pay for the full decode to stay faithful.
        stream.seek(0)
        decoded = _decode(stream, False, max_pixels)
        digests, quality = _pdq(decoded.squashed)
    return PdqResult(
        hash=digests[0],
        quality=quality,
        dihedral=digests,
        orientation=decoded.orientation,
        width=decoded.width,
        height=decoded.height,
        decode_scale=decoded.scale,
        frame_count=decoded.frame_count,
    )


def _decode(stream: BinaryIO, fast: bool, max_pixels: int) -> _Decoded:
    """Open, check the size, decode the first frame and orient it as a viewer would."""
    formats = [f for f in Image.OPEN if f not in _EXCLUDED_FORMATS]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(stream, formats=formats)
    except UnidentifiedImageError as exc:
        raise ImageDecodeError("not an image (format not recognised)") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise  # hash_image words these
    except Exception as exc:
        # Some plugins decode while opening (WebP) or read past a cut-off header.
        raise ImageDecodeError(_failure("image", exc)) from exc
    with im:
        fmt = im.format or "image"
        width, height = im.size
        if width * height > max_pixels:
            raise ImageDecodeError(
                f"image too large: {width}×{height} = {width * height} pixels "
                f"exceeds {max_pixels} (possible decompression bomb)"
            )
        scale = _draft(im) if fast else 1
        try:
            im.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise
        except Exception as exc:
            raise ImageDecodeError(_failure(fmt, exc)) from exc
        orientation, pending = _orientation(im)
        turn = orientation if pending else 1
        shifted = None
        if turn == 1 and im.mode in ("RGB", "L") and max(im.size) > HASH_SIDE:
            # Pillow samples the same pixels in C, without copying the image out.
            squashed = _squash_in_pillow(im)
            if scale > 1:
                shifted = _squash_in_pillow(im, half_cell=True)
        elif scale == 1 and width * height > _ROW_SAMPLING_MIN_PIXELS and im.mode not in ("I", "F"):
            squashed = _sample_rows(im, turn)
        else:
            pixels = _orient(_to_rgb(im), turn)
            squashed = _squash(pixels)
            if scale > 1:
                shifted = _squash(pixels, half_cell=True)
        frame_count = _frame_count(im)
    if pending and orientation in (5, 6, 7, 8):
        width, height = height, width  # pillow-heif's size is already as displayed
    return _Decoded(squashed, shifted, orientation, width, height, scale, frame_count)


def _phase_sensitive(shifted: npt.NDArray[np.uint8], digest: bytes) -> bool:
    """Does moving the squash's sampling grid by half a cell move the hash a lot?

    That is the signature of images (stripes, fabric, grilles) whose reference
    hash a reduced decode cannot reproduce; ordinary photos move a few bits.
    """
    vector, _ = pdqhash.compute(shifted)
    moved = np.packbits(np.asarray(vector, dtype=np.uint8)).tobytes()
    return hamming(digest, moved) > FAST_DECODE_MAX_PHASE_BITS


def _draft(im: Image.Image) -> int:
    """Ask libjpeg for the largest 1/2, 1/4, 1/8 reduction that keeps both sides ≥ the minimum.

    Returns the scale the decoder will use (1 when no reduction applies).
    """
    if im.format not in ("JPEG", "MPO"):
        return 1  # only libjpeg can scale inside the decoder
    width = im.size[0]
    side = FAST_DECODE_MIN_SIDE
    if im.draft("RGB", (side, side)) is None:
        return 1
    return max(1, round(width / im.size[0]))


def _failure(what: str, exc: Exception) -> str:
    """One-line reason for a decoder failure, naming truncation when that is the cause."""
    message = _one_line(str(exc))
    if "truncated" in message.lower() or isinstance(exc, EOFError):
        return f"truncated {what}"
    if "broken data stream" in message:
        return f"corrupt {what} data"
    return f"corrupt {what}: {message}" if message else f"corrupt {what}"


def _frame_count(im: Image.Image) -> int:
    """Frames (pages) Pillow finds; 1 when the file is too damaged to count past the first."""
    try:
        return max(1, int(getattr(im, "n_frames", 1)))
    except Exception:
        # A truncated animation: its first frame is already decoded and hashable.
        return 1


def _orientation(im: Image.Image) -> tuple[int, bool]:
    """The image's orientation (1–8) and whether we still have to apply it.

    pillow-heif already rotates HEIF images while decoding (and resets the EXIF
    tag), keeping the original value in ``info["original_orientation"]``.
    """
    heif_orientation = im.info.get("original_orientation")
    if isinstance(heif_orientation, int) and 1 <= heif_orientation <= 8:
        return heif_orientation, False
    try:
        value = im.getexif().get(_EXIF_ORIENTATION_TAG, 1)
    except Exception:
        # Damaged EXIF must not cost the hash: the pixels are still good.
        return 1, False
    if isinstance(value, int) and 1 <= value <= 8:
        return value, value != 1
    return 1, False


_Array = TypeVar("_Array", bound=np.ndarray[Any, Any])


def _orient(pixels: _Array, orientation: int) -> _Array:
    """Apply an EXIF orientation as numpy views (free, unlike rotating the full image).

    Same result as ``PIL.ImageOps.exif_transpose``; the tests check each value.
    """
    turned: np.ndarray[Any, Any] = pixels
    if orientation == 2:
        turned = pixels[:, ::-1]
    elif orientation == 3:
        turned = pixels[::-1, ::-1]
    elif orientation == 4:
        turned = pixels[::-1, :]
    elif orientation == 5:
        turned = pixels.swapaxes(0, 1)
    elif orientation == 6:
        turned = np.rot90(pixels, k=-1)
    elif orientation == 7:
        turned = pixels[::-1, ::-1].swapaxes(0, 1)
    elif orientation == 8:
        turned = np.rot90(pixels, k=1)
    return cast(_Array, turned)


def _grid(size: int, half_cell: bool = False) -> npt.NDArray[np.int64]:
    """Source indices of the reference's nearest-neighbour squash of ``size`` to 512.

    CImg samples ``floor(i·size/512)``; integer arithmetic keeps it exact.
    ``half_cell`` samples at ``floor((i + ½)·size/512)`` instead (the phase probe).
    """
    step = np.arange(HASH_SIDE, dtype=np.int64) * 2 + (1 if half_cell else 0)
    return step * size // (2 * HASH_SIDE)


def _squash(pixels: npt.NDArray[np.uint8], *, half_cell: bool = False) -> npt.NDArray[np.uint8]:
    """Squash to 512×512 when a side is over 512 (as CImg's default resize), as RGB."""
    rows, cols = pixels.shape[:2]
    if rows > HASH_SIDE or cols > HASH_SIDE:
        ys, xs = _grid(rows, half_cell), _grid(cols, half_cell)
        pixels = pixels[ys[:, None], xs[None, :]]
    return _rgb(pixels)


def _squash_in_pillow(im: Image.Image, *, half_cell: bool = False) -> npt.NDArray[np.uint8]:
    """``_squash(_to_rgb(im))`` for RGB and L images, computed by Pillow.

    Pillow's nearest-neighbour affine transform samples at ``floor(a·(i + ½) + c)``;
    with ``a = size/512`` and ``c = -a/2`` that is the reference grid
    ``floor(i·size/512)`` (``c = 0``: the half-cell grid of the phase probe). Both
    are dyadic fractions, exact in floating point, so the pixels are identical
    (tests compare the two).
    """
    sx, sy = im.size[0] / HASH_SIDE, im.size[1] / HASH_SIDE
    cx, cy = (0.0, 0.0) if half_cell else (-sx / 2, -sy / 2)
    squashed = im.transform(
        (HASH_SIDE, HASH_SIDE),
        Image.Transform.AFFINE,
        (sx, 0.0, cx, 0.0, sy, cy),
        resample=Image.Resampling.NEAREST,
    )
    return _rgb(np.asarray(squashed, dtype=np.uint8))


def _sample_rows(im: Image.Image, orientation: int) -> npt.NDArray[np.uint8]:
    """The same squash as ``_squash(_orient(_to_rgb(im)))``, copying out only the rows used.

    Turning a full 12 MP decode into one numpy array costs ~50 ms, most of a
    full decode's time again; the squash only ever reads ≤ 512 stored rows.
    The stored-pixel coordinates of each displayed sample come from turning
    index grids (views, no memory) the way the pixels would be turned.
    """
    width, height = im.size
    stored_rows = _orient(np.broadcast_to(np.arange(height)[:, None], (height, width)), orientation)
    stored_cols = _orient(np.broadcast_to(np.arange(width)[None, :], (height, width)), orientation)
    ys, xs = _grid(stored_rows.shape[0]), _grid(stored_rows.shape[1])
    rows = stored_rows[ys[:, None], xs[None, :]]
    cols = stored_cols[ys[:, None], xs[None, :]]
    # A stored row depends on the displayed row or, once turned, the displayed
    # column only: the first row and column of samples name every row needed.
    needed = np.unique(np.concatenate([rows[:, 0], rows[0, :]]))
    strip = np.concatenate(
        [_to_rgb(im.crop((0, int(y), width, int(y) + 1))) for y in needed], axis=0
    )
    position = np.zeros(height, dtype=np.int64)
    position[needed] = np.arange(needed.size)
    return _rgb(strip[position[rows], cols])


def _rgb(pixels: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Contiguous H×W×3 for pdqhash; grey as R = G = B (same luma: 0.299 + 0.587 + 0.114 = 1)."""
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[:, :, None], 3, axis=2)
    return np.ascontiguousarray(pixels)


def _pdq(rgb: npt.NDArray[np.uint8]) -> tuple[tuple[bytes, ...], int]:
    """The 8 dihedral hashes (index 0 = as given) packed big-endian, and the quality."""
    vectors, quality = pdqhash.compute_dihedral(rgb)
    digests = tuple(np.packbits(np.asarray(v, dtype=np.uint8)).tobytes() for v in vectors)
    return digests, int(quality)


# ---------------------------------------------------------------- pixel modes


def _to_rgb(im: Image.Image) -> npt.NDArray[np.uint8]:
    """8-bit pixels: H×W×3 for colour, H×W for grey; alpha dropped as the reference tools do."""
    mode = im.mode
    if mode in ("RGB", "L"):
        return np.asarray(im, dtype=np.uint8)
    if mode == "1":
        return np.asarray(im.convert("L"), dtype=np.uint8)
    if mode in ("LA", "La"):
        return np.asarray(im.getchannel("L"), dtype=np.uint8)
    if mode in ("P", "PA"):
        # Via RGBA: Pillow warns when a palette with transparency goes straight to RGB.
        return np.asarray(im.convert("RGBA"), dtype=np.uint8)[:, :, :3]
    if mode.startswith("I;16"):
        wide = np.asarray(im).astype(np.uint32)
        return ((wide + 128) // 257).astype(np.uint8)
    if mode in ("I", "F"):
        return _scale_to_bytes(np.asarray(im), mode)
    try:
        return np.asarray(im.convert("RGB"), dtype=np.uint8)
    except ValueError as exc:
        raise ImageDecodeError(f"unsupported pixel mode {mode}") from exc


def _scale_to_bytes(values: npt.NDArray[np.generic], mode: str) -> npt.NDArray[np.uint8]:
    """32-bit integer or float grey to 8 bits, guessing the range the values were meant in.

    Integers up to 255 are 8-bit data, up to 65535 16-bit data (widened by older
    Pillow); floats in [0, 1] are normalised. Anything else is stretched min–max,
    which PDQ's median threshold does not mind (only the quality score moves).
    """
    data = np.nan_to_num(values.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    low = float(data.min()) if data.size else 0.0
    high = float(data.max()) if data.size else 0.0
    if mode == "F" and low >= 0.0 and high <= 1.0:
        data = data * 255.0
    elif low >= 0.0 and high <= 255.0:
        pass
    elif mode == "I" and low >= 0.0 and high <= 65535.0:
        data = data / 257.0
    elif high > low:
        data = (data - low) * (255.0 / (high - low))
    else:
        data = np.zeros_like(data)
    return np.clip(np.rint(data), 0, 255).astype(np.uint8)


def _one_line(text: str) -> str:
    """Collapse a library message onto one line, as the CLI prints reasons one per line."""
    return " ".join(text.split())
