"""EXIF of a picture, read once by the scan: taken date, camera, software, GPS.

Read with Pillow's EXIF reader (``Image.getexif``) rather than a second
library: Pillow is already how the scan identifies and hashes pictures, it
parses only the header (no pixels are decoded for EXIF), it covers every
format the scan hashes that carries EXIF (JPEG, MPO, TIFF, PNG ``eXIf``, WebP,
and HEIF through pillow-heif), and its TIFF/IFD parser is fuzzed upstream
(OSS-Fuzz). exifread would add a pure-Python parser covering fewer formats.

Everything here is hostile input: the EXIF block is refused past
:data:`MAX_EXIF_BYTES`, texts are cut to :data:`MAX_TEXT_CHARS`, dates that are
not dates are dropped, and any failure of the parser means "no EXIF", never a
failed item. The scan's per-item time budget covers the call.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass
from typing import Any, BinaryIO

from PIL import ExifTags, Image

from vigil.sources.limits import LimitExceeded

MAX_EXIF_BYTES = 1 << 20
"""An EXIF block larger than this is not read (a JPEG's is at most 64 KiB)."""

MAX_TEXT_CHARS = 120
"""Camera make, model and software are cut to this many characters."""

EXIF_FORMATS = ("JPEG", "MPO", "TIFF", "PNG", "WEBP", "HEIF")
"""Pillow formats that can carry EXIF; others are not opened for it."""

_MAKE, _MODEL, _SOFTWARE = 0x010F, 0x0110, 0x0131
_DATE_ORIGINAL, _DATE_DIGITIZED, _OFFSET_ORIGINAL = 0x9003, 0x9004, 0x9011
_LAT_REF, _LAT, _LON_REF, _LON = 1, 2, 3, 4

_EXIF_DATE = re.compile(r"(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET = re.compile(r"[+-]\d{2}:\d{2}")


@dataclass(frozen=True, slots=True)
class Exif:
    """What a picture's EXIF says about where it came from.

    ``taken`` is DateTimeOriginal (else DateTimeDigitized) as ISO 8601,
    ``YYYY-MM-DDTHH:MM:SS``: the camera's clock, which has no time zone unless
    the camera recorded its offset (then ``+HH:MM`` follows). ``gps_present``
    says the picture carries a GPS block; the coordinates are kept only when
    they are valid degrees.
    """

    taken: str | None = None
    make: str | None = None
    model: str | None = None
    software: str | None = None
    gps_present: bool = False
    latitude: float | None = None
    longitude: float | None = None

    @property
    def camera(self) -> str | None:
        """Make and model in one string ("Google Pixel 7"), without repeating the make."""
        if self.model and self.make and self.model.lower().startswith(self.make.lower()):
            return self.model
        joined = " ".join(p for p in (self.make, self.model) if p)
        return joined or None

    @property
    def empty(self) -> bool:
        """True when nothing was found."""
        return self == Exif()


def read_exif(stream: BinaryIO) -> Exif | None:
    """The EXIF of the picture in ``stream`` (seekable, at any position); None if it has none.

    Never raises for bad data: an unreadable or oversized block is simply no EXIF.
    The item's time budget (:class:`~vigil.sources.limits.ItemTimeout`) still applies.
    """
    stream.seek(0)
    try:
        with warnings.catch_warnings():
            # "Possibly corrupt EXIF data" and friends: hostile input is expected here.
            warnings.simplefilter("ignore")
            with Image.open(stream, formats=EXIF_FORMATS) as im:
                raw = im.info.get("exif")
                if isinstance(raw, bytes | bytearray) and len(raw) > MAX_EXIF_BYTES:
                    return None
                found = _parse(im.getexif())
    except LimitExceeded:
        raise  # the item's time ran out: the scan records that, not "no EXIF"
    except Exception:  # any parser failure on hostile bytes means "no EXIF"
        return None
    return None if found.empty else found


def _parse(exif: Image.Exif) -> Exif:
    sub = _ifd(exif, ExifTags.IFD.Exif)
    gps = _ifd(exif, ExifTags.IFD.GPSInfo)
    taken = _date(sub.get(_DATE_ORIGINAL)) or _date(sub.get(_DATE_DIGITIZED))
    offset = _text(sub.get(_OFFSET_ORIGINAL))
    if taken is not None and offset is not None and _OFFSET.fullmatch(offset):
        taken += offset
    latitude = _degrees(gps.get(_LAT), gps.get(_LAT_REF), 90.0, "S")
    longitude = _degrees(gps.get(_LON), gps.get(_LON_REF), 180.0, "W")
    both = latitude is not None and longitude is not None
    return Exif(
        taken=taken,
        make=_text(exif.get(_MAKE)),
        model=_text(exif.get(_MODEL)),
        software=_text(exif.get(_SOFTWARE)),
        gps_present=bool(gps),
        latitude=latitude if both else None,
        longitude=longitude if both else None,
    )


def _ifd(exif: Image.Exif, tag: int) -> dict[int, Any]:
    try:
        found = exif.get_ifd(tag)
    except LimitExceeded:
        raise
    except Exception:  # a broken sub-directory is an absent one
        return {}
    return dict(found) if isinstance(found, dict) else {}


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    text = value.replace("\x00", " ").strip()
    return text[:MAX_TEXT_CHARS] or None


def _date(value: Any) -> str | None:
    text = _text(value)
    found = _EXIF_DATE.fullmatch(text) if text else None
    if found is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in found.groups())
    if not (1900 <= year <= 2200 and 1 <= month <= 12 and 1 <= day <= 31):
        return None  # cameras write 0000:00:00 00:00:00 when the clock was never set
    if hour > 23 or minute > 59 or second > 60:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"


def _degrees(value: Any, ref: Any, bound: float, negative: str) -> float | None:
    """Degrees from EXIF's (degrees, minutes, seconds) rationals, or None if not sane."""
    if not isinstance(value, tuple | list) or len(value) != 3:
        return None
    try:
        d, m, s = (float(v) for v in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    degrees = d + m / 60.0 + s / 3600.0
    if not math.isfinite(degrees) or not 0.0 <= degrees <= bound:
        return None
    if (_text(ref) or "").upper().startswith(negative):
        degrees = -degrees
    return round(degrees, 7)
