"""Container formats: one small module per format, a registry, a nested walker.

Public API::

    CONTAINER_TYPES, reader_for        registry.py
    Member, ContainerReader            base.py
    iter_nested                        nested.py
    MemberReadError                    streams.py
"""

from vigil.sources.archives.base import ContainerReader, Member
from vigil.sources.archives.nested import iter_nested
from vigil.sources.archives.registry import CONTAINER_TYPES, reader_for
from vigil.sources.archives.streams import MemberReadError

__all__ = [
    "CONTAINER_TYPES",
    "ContainerReader",
    "Member",
    "MemberReadError",
    "iter_nested",
    "reader_for",
]

# Disk-image and phone readers register themselves in CONTAINER_TYPES; imported last, and as
# a plain import, because they build on this package (an import cycle otherwise).
import vigil.sources.disk.reader
import vigil.sources.phones.adb
import vigil.sources.phones.ios_backup  # noqa: F401
