"""Which reader opens which container type, keyed by :class:`FileType` name.

Zip-based documents and packages (docx, odt, epub, jar, apk …) are opened as
zips: images hidden inside documents are a known concealment method, and the
examiner can still filter by the outer type.
"""

from __future__ import annotations

from vigil.sources.archives.base import ContainerReader
from vigil.sources.archives.compressed import Bzip2Reader, GzipReader, XzReader
from vigil.sources.archives.rar import RarReader
from vigil.sources.archives.sevenzip import SevenZipReader
from vigil.sources.archives.tar import TarReader
from vigil.sources.archives.zip import ZipReader
from vigil.sources.identify import FileType

_ZIP = ZipReader()
ZIP_BASED = ("docx", "xlsx", "pptx", "ooxml", "odt", "ods", "odp", "odf", "epub", "jar", "apk")

CONTAINER_TYPES: dict[str, ContainerReader] = {
    "zip": _ZIP,
    **dict.fromkeys(ZIP_BASED, _ZIP),
    "tar": TarReader(),
    "gzip": GzipReader(),
    "bzip2": Bzip2Reader(),
    "xz": XzReader(),
    "7z": SevenZipReader(),
    "rar": RarReader(),
}
"""Container readers by the ``FileType.name`` that :func:`vigil.sources.identify.sniff` gives.

Disk images (``disk-image``, ``fs-image``, ``ewf``) are added by
:mod:`vigil.sources.disk.reader`, phone extractions (``ios-backup``,
``adb-backup``) by :mod:`vigil.sources.phones`; the package ``__init__`` imports both.
"""


def reader_for(ftype: FileType | str) -> ContainerReader | None:
    """The reader for a type (or type name), or None when it is not a container we open."""
    name = ftype if isinstance(ftype, str) else ftype.name
    return CONTAINER_TYPES.get(name)
