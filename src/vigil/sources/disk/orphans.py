"""Where an NTFS orphan lived: its path rebuilt from the parent references its MFT record keeps.

The Sleuth Kit lists deleted records it cannot place under ``$OrphanFiles``.
A file deleted together with its folder is one of them: the folder's index no
longer names it, but the file's own ``$FILE_NAME`` attribute still holds its
name and its parent's record number and sequence number. Following those
references upwards, as long as each parent record is still a folder of the
same generation, gives back the path the file had (``/Pics/sub/c.txt``).

The climb is bounded (``max_depth`` hops, each record once): a parent whose
record was reused, or a chain that loops, leaves the orphan where TSK put it.
"""

from __future__ import annotations

import struct

import pytsk3

_FILE_NAME = int(pytsk3.TSK_FS_ATTR_TYPE_NTFS_FNAME)
_DOS_NAMESPACE = 2  # 8.3 short names: a second $FILE_NAME beside the long one
_RECORD_BITS = 48
_DIR_TYPES = {pytsk3.TSK_FS_META_TYPE_DIR, pytsk3.TSK_FS_META_TYPE_VIRT_DIR}


def file_name(tsk_file: pytsk3.File) -> tuple[str, int, int] | None:
    """(long name, parent record, parent sequence) from a record's ``$FILE_NAME``, if any."""
    found: tuple[str, int, int] | None = None
    try:
        attributes = list(tsk_file)
    except (OSError, RuntimeError):
        return None
    for attr in attributes:
        info = attr.info
        if int(info.type) != _FILE_NAME or not 66 <= int(info.size) <= 66 + 2 * 255:
            continue
        try:
            raw = tsk_file.read_random(0, int(info.size), _FILE_NAME, int(info.id))
        except (OSError, RuntimeError):
            continue
        if len(raw) < 66 or len(raw) < 66 + 2 * raw[64]:
            continue
        (reference,) = struct.unpack_from("<Q", raw, 0)
        name = raw[66 : 66 + 2 * raw[64]].decode("utf-16-le", "replace")
        entry = (name, reference & ((1 << _RECORD_BITS) - 1), reference >> _RECORD_BITS)
        if raw[65] != _DOS_NAMESPACE:
            return entry
        found = found or entry
    return found


def home(
    fs: pytsk3.FS_Info, tsk_file: pytsk3.File, known: dict[int, str], max_depth: int
) -> str | None:
    """The path an orphan had, reached through its parents up to a folder in ``known``.

    ``known`` maps folder record numbers to the paths the walk gave them (the
    root is ``""``). None when the chain breaks, loops or runs deeper than
    ``max_depth``.
    """
    first = file_name(tsk_file)
    if first is None:
        return None
    names = [first[0]]
    parent, sequence = first[1], first[2]
    visited = {int(tsk_file.info.meta.addr)}
    while parent not in known:
        if parent in visited or len(names) > max_depth:
            return None
        visited.add(parent)
        record = _folder(fs, parent, sequence)
        if record is None:
            return None
        step = file_name(record)
        if step is None:
            return None
        names.append(step[0])
        parent, sequence = step[1], step[2]
    if _folder(fs, parent, sequence) is None:
        return None
    return "/".join([known[parent], *reversed(names)])


def _folder(fs: pytsk3.FS_Info, inode: int, sequence: int) -> pytsk3.File | None:
    """The record ``inode`` when it is still the folder the reference meant."""
    try:
        record = fs.open_meta(inode=inode)
    except (OSError, RuntimeError):
        return None
    meta = record.info.meta
    if meta is None or meta.type not in _DIR_TYPES:
        return None
    current = int(meta.seq)
    if int(meta.flags) & pytsk3.TSK_FS_META_FLAG_UNALLOC:
        # Windows adds one to the sequence number when it frees a record.
        return record if sequence in (current, current - 1) else None
    return record if sequence == current else None
