"""What an evidence image says about itself, for ``evidence.info``.

Format, segment files, E01 acquisition metadata (case number, examiner,
description, notes, acquiry date …) and stored hashes, and the partition
layout. Cheap: headers and tables only, never the whole media (see
:func:`vigil.sources.disk.ewf.verify` for that).
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from typing import Any, BinaryIO

from vigil.errors import SourceError
from vigil.sources.archives.streams import as_binary, describe
from vigil.sources.disk.ewf import EwfStream, compare, verify
from vigil.sources.disk.segments import (
    ConcatStream,
    ewf_missing_segments,
    ewf_segments,
    raw_segments,
    raw_segments_missing,
)
from vigil.sources.disk.signatures import HEADER_BYTES, disk_type
from vigil.sources.disk.vdisk import KINDS, VirtualDisk
from vigil.sources.disk.volumes import StreamImage, fs_type_name, open_fs, volumes
from vigil.sources.folder import open_readonly
from vigil.sources.opaque import opaque_type

DISK_TYPES = frozenset({"ewf", "disk-image", "fs-image"})
"""The file types (:mod:`vigil.sources.identify` names) of disk images."""


def image_attrs(path: bytes, file_type: str, verify_media: bool) -> dict[str, Any]:
    """Item attributes of an image file: E01 acquisition metadata, and verification if asked.

    Never raises: a failure is recorded as ``image_error``.
    """
    if file_type != "ewf":
        return _raw_media_hash(path) if verify_media else {}
    attrs: dict[str, Any] = {}
    try:
        with EwfStream.from_paths(ewf_segments(path)) as ewf:
            attrs["acquisition"] = ewf.metadata()["headers"]
            if verify_media:
                attrs["verification"] = verify(ewf).to_json()
    except (SourceError, OSError) as exc:
        attrs["image_error"] = describe(exc)
    return attrs


def _raw_media_hash(path: bytes) -> dict[str, Any]:
    """MD5/SHA-1 of a split raw image's joined segments (what an acquisition log records).

    A single raw file needs nothing more: its item hashes are the media hashes.
    """
    paths = raw_segments(path)
    missing = raw_segments_missing(paths)
    if len(paths) < 2:
        return {} if missing is None else {"image_error": missing}
    try:
        with ConcatStream(paths) as joined:
            result = compare(as_binary(joined), {})
    except (SourceError, OSError) as exc:
        return {"image_error": describe(exc)}
    check = result.to_json()
    check["reason"] = f"MD5/SHA-1 of the {len(paths)} joined segments; raw images store none"
    if missing is not None:
        check["reason"] += f"; {missing}"
        return {"verification": check, "image_error": missing}
    return {"verification": check}


def image_format(path: bytes) -> str | None:
    """``ewf``, ``disk-image``, ``fs-image`` or a VM disk type (``vhd`` …), else None."""
    try:
        with open_readonly(path) as handle:
            head = handle.read(HEADER_BYTES)
    except SourceError:
        return None
    virtual = opaque_type(head)
    return virtual if virtual in KINDS else disk_type(head)


def describe_image(path: bytes) -> dict[str, Any] | None:
    """Format, segments, acquisition metadata and partitions of an image file (None: not one)."""
    kind = image_format(path)
    if kind is None:
        return None
    info: dict[str, Any] = {"format": kind}
    if kind in KINDS:
        return _describe_virtual(path, kind, info)
    paths = ewf_segments(path) if kind == "ewf" else raw_segments(path)
    info["segments"] = [
        {"name": os.fsdecode(os.path.basename(p)), "size": os.path.getsize(p)} for p in paths
    ]
    missing = ewf_missing_segments(paths) if kind == "ewf" else raw_segments_missing(paths)
    if missing is not None:
        info["segments_missing"] = missing
    try:
        with ExitStack() as stack:
            media, size = _open(kind, paths, stack, info)
            info["media_size"] = size
            info["volumes"] = _layout(StreamImage(media, size))
    except (SourceError, OSError) as exc:
        info["error"] = describe(exc)
    return info


def _describe_virtual(path: bytes, kind: str, info: dict[str, Any]) -> dict[str, Any]:
    """A VM disk: the files it is read from (itself, extents, parents), media size, layout."""
    names = [os.fsdecode(os.path.basename(path))]
    try:
        with VirtualDisk.from_path(kind, path) as disk:
            names += disk.extents + disk.parents
            info["parents"] = disk.parents
            info["media_size"] = disk.size
            info["volumes"] = _layout(StreamImage(as_binary(disk), disk.size))
    except (SourceError, OSError) as exc:
        info["error"] = describe(exc)
    folder = os.path.dirname(path)
    info["segments"] = [
        {"name": name, "size": os.path.getsize(os.path.join(folder, os.fsencode(name)))}
        for name in dict.fromkeys(names)
        if os.path.isfile(os.path.join(folder, os.fsencode(name)))
    ]
    return info


def _open(
    kind: str, paths: list[bytes], stack: ExitStack, info: dict[str, Any]
) -> tuple[BinaryIO, int]:
    if kind == "ewf":
        ewf = stack.enter_context(EwfStream.from_paths(paths))
        metadata = ewf.metadata()
        info["acquisition"] = metadata["headers"]
        info["bytes_per_sector"] = metadata["bytes_per_sector"]
        info["stored_hashes"] = metadata["stored_hashes"]
        return as_binary(ewf), ewf.size
    joined = stack.enter_context(ConcatStream(paths))
    return as_binary(joined), joined.size


def _layout(image: StreamImage) -> list[dict[str, Any]]:
    found, scheme = volumes(image)
    layout = []
    for volume in found:
        entry: dict[str, Any] = {
            "slot": volume.slot,
            "offset": volume.offset,
            "length": volume.length,
            "description": volume.description,
            "scheme": scheme,
        }
        if volume.allocated:
            opened = open_fs(image, volume)
            names = [fs_type_name(fs) for fs, _ in opened]
            entry["file_system"] = " + ".join(names) if names else None
        layout.append(entry)
    return layout
