"""Named content checks that rules call (``match: {check: NAME, …params}``).

A check reads the facts the scan worker stored for an item (see :mod:`.facts`)
and returns the detail of a finding, or None. Each declares its parameters with
their types and defaults, so that ``vigil rules check`` can validate a rule file,
and the index keys an item must carry to be worth asking.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vigil.indicators.linking import RunContext, link_artefact
from vigil.indicators.model import ItemView, Key
from vigil.sources.disk.layers import CRYPT_LAYERS
from vigil.sources.opaque import OPAQUE

CheckFn = Callable[[ItemView, dict[str, Any], RunContext], dict[str, Any] | None]


@dataclass(frozen=True, slots=True)
class Check:
    """A named check: parameters (name → default; the default's type is the type), keys, code."""

    name: str
    summary: str
    params: dict[str, Any]
    keys: tuple[Key, ...]
    fn: CheckFn


def _encrypted_container(item: ItemView, p: dict[str, Any], _: RunContext) -> dict[str, Any] | None:
    stats = item.facts.get("entropy")
    size = item.size or 0
    if not isinstance(stats, dict) or item.file_type not in (None, "unknown"):
        return None
    if item.review == "known":
        return None  # a known-good file (firmware, a packed resource): known, not a container
    if size < p["min_size"] or size % p["block_bytes"]:
        return None
    if stats["bits_per_byte"] < p["min_entropy"] or stats["chi_square"] > p["max_chi_square"]:
        return None
    return {
        "entropy_bits_per_byte": stats["bits_per_byte"],
        "chi_square": stats["chi_square"],
        "sampled_bytes": stats["sampled_bytes"],
        "size": size,
        "thresholds": dict(p),
    }


def _encrypted_volume(item: ItemView, p: dict[str, Any], _: RunContext) -> dict[str, Any] | None:
    volume = item.facts.get("volume")
    if not isinstance(volume, dict) or (p["kinds"] and volume.get("kind") not in p["kinds"]):
        return None
    return dict(volume)


def _encrypted_member(item: ItemView, _p: dict[str, Any], _: RunContext) -> dict[str, Any] | None:
    # An encrypted volume (BitLocker, LUKS) is no protected archive: its own rules name it.
    if item.status != "encrypted" or item.file_type in OPAQUE:
        return None
    if item.display.rsplit(" → ", 1)[-1] in CRYPT_LAYERS:
        return None  # the note of a volume left shut (disk/crypt.py), not an archive member
    return {"member": item.display, "reason": item.reason}


def _encrypted_document(item: ItemView, p: dict[str, Any], _: RunContext) -> dict[str, Any] | None:
    doc = item.facts.get("encrypted_document")
    if not isinstance(doc, dict) or (p["formats"] and doc.get("format") not in p["formats"]):
        return None
    return dict(doc)


def _appended_data(item: ItemView, p: dict[str, Any], _: RunContext) -> dict[str, Any] | None:
    tail = item.facts.get("appended")
    if not isinstance(tail, dict) or int(tail.get("bytes", 0)) < p["min_bytes"]:
        return None
    kind = tail.get("family", "unknown")
    if (p["families"] and kind not in p["families"]) or kind in p["exclude_families"]:
        return None
    if tail.get("camera_trailer") and not p["camera_trailers"]:
        return None  # a phone's own trailer (Samsung SEF, motion photo), not concealment
    return dict(tail)


def _ext_mismatch(item: ItemView, p: dict[str, Any], _: RunContext) -> dict[str, Any] | None:
    if not item.ext_mismatch or (p["families"] and item.family not in p["families"]):
        return None
    ext = item.name.rsplit(".", 1)[1] if "." in item.name else ""
    return {"extension": ext, "true_type": item.file_type, "true_family": item.family}


def _artefact(item: ItemView, p: dict[str, Any], ctx: RunContext) -> dict[str, Any] | None:
    artefact = item.facts.get("artefact")
    if not isinstance(artefact, dict) or artefact.get("kind") not in p["kinds"]:
        return None
    if not artefact.get("records") and not p["report_empty"]:
        return None
    return link_artefact(item, artefact, ctx)


CHECKS: dict[str, Check] = {
    c.name: c
    for c in (
        Check(
            "encrypted_container",
            "unidentified, size ≥ min_size and a multiple of block_bytes, entropy and "
            "chi-square of random data (VeraCrypt/TrueCrypt-style containers)",
            {"min_size": 1 << 20, "block_bytes": 512, "min_entropy": 7.99, "max_chi_square": 400.0},
            (("fact", "entropy"),),
            _encrypted_container,
        ),
        Check(
            "encrypted_volume",
            "a volume header of BitLocker (-FVE-FS-) or LUKS, at the start or in a partition",
            {"kinds": []},
            (("fact", "volume"),),
            _encrypted_volume,
        ),
        Check(
            "encrypted_member",
            "an archive member (or header) the scan found encrypted",
            {},
            (("status", "encrypted"),),
            _encrypted_member,
        ),
        Check(
            "encrypted_document",
            "an Office file with EncryptionInfo/EncryptedPackage streams or a PDF with /Encrypt",
            {"formats": []},
            (("fact", "encrypted_document"),),
            _encrypted_document,
        ),
        Check(
            "appended_data",
            "data after a JPEG's end marker or a PNG's IEND chunk",
            {"min_bytes": 16, "families": [], "exclude_families": [], "camera_trailers": False},
            (("fact", "appended"),),
            _appended_data,
        ),
        Check(
            "ext_mismatch",
            "the extension does not fit the true (signature) type",
            {"families": []},
            (("flag", "ext_mismatch"),),
            _ext_mismatch,
        ),
        Check(
            "artefact",
            "records parsed from a browser or P2P artefact, linked to scanned items",
            {"kinds": [], "report_empty": False},
            (("fact", "artefact"),),
            _artefact,
        ),
    )
}
"""Every check a rule can name."""
