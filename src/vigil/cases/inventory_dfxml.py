"""The inventory as DFXML (Digital Forensics XML), the interchange format of fiwalk and friends.

The layout follows the published DFXML schema (``dfxml.xsd`` of the DFXML
working group): a ``dfxml`` root with ``metadata`` (Dublin Core), ``creator``
and ``source``, then one ``fileobject`` per item with its children in the
order the schema's sequence requires: ``filename``, ``id``, ``name_type``,
``filesize``, ``unalloc``/``alloc``, ``inode``, ``mtime``, ``link_target``,
``byte_runs`` (where the scan knows them: carved items) and ``hashdigest``.

DFXML has no element for a read error or a safety limit, so an item's Vigil
status and reason go in an XML comment inside its ``fileobject``: every item
appears, and schema-checking readers still accept the file.

Each ``fileobject`` is built with ``xml.etree`` and written as soon as it is
made, so a large case is streamed; its children are unprefixed and so belong
to the DFXML default namespace declared on the root.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable

from vigil.cases.inventory_model import InventoryHeader, InventoryItem, TextSink, iso_utc

DFXML_NS = "http://www.forensicswiki.org/wiki/Category:Digital_Forensics_XML"
"""The DFXML namespace (default namespace of the document)."""

DC_NS = "http://purl.org/dc/elements/1.1/"
"""Dublin Core, which the schema's ``metadata`` element holds."""

DFXML_VERSION = "1.2.0"
"""The DFXML schema version the file declares."""

_NAME_TYPES = {"file": "r", "dir": "d", "symlink": "l"}
"""Vigil item kinds as DFXML ``name_type`` letters; anything else is ``-`` (unknown)."""


def write_dfxml(header: InventoryHeader, items: Iterable[InventoryItem], out: TextSink) -> int:
    """Write the DFXML document to ``out``; returns the number of ``fileobject`` elements."""
    out.write("<?xml version='1.0' encoding='UTF-8'?>\n")
    out.write(f'<dfxml xmlns="{DFXML_NS}" xmlns:dc="{DC_NS}" version="{DFXML_VERSION}">\n')
    for part in (_metadata(header), _creator(header), _source(header)):
        ET.indent(part, space="  ", level=1)
        out.write("  " + ET.tostring(part, encoding="unicode") + "\n")
    count = 0
    for i in items:
        element = fileobject(i)
        ET.indent(element, space="  ", level=1)
        out.write("  " + ET.tostring(element, encoding="unicode") + "\n")
        count += 1
    out.write("</dfxml>\n")
    return count


def fileobject(i: InventoryItem) -> ET.Element:
    """The ``fileobject`` element of one item (unprefixed: in the document's DFXML namespace)."""
    element = ET.Element("fileobject")
    _text(element, "filename", _xml_safe(i.path))
    _text(element, "id", str(i.id))
    _text(element, "name_type", _NAME_TYPES.get(i.kind, "-"))
    if i.size is not None:
        _text(element, "filesize", str(i.size))
    if i.location in ("deleted", "carved"):
        _text(element, "unalloc", "1")
    elif i.inode is not None:  # listed by a file system read from a disk image, allocated
        _text(element, "alloc", "1")
    if i.inode is not None:
        _text(element, "inode", str(i.inode))
    mtime = iso_utc(i.mtime)
    if mtime is not None:
        _text(element, "mtime", mtime)
    if i.byte_runs:
        runs = ET.SubElement(element, "byte_runs")
        for r in i.byte_runs:
            ET.SubElement(
                runs,
                "byte_run",
                file_offset=str(r.file_offset),
                img_offset=str(r.img_offset),
                len=str(r.length),
            )
    for kind, value in (("md5", i.md5), ("sha1", i.sha1), ("sha256", i.sha256)):
        if value is not None:
            _text(element, "hashdigest", value, type=kind)
    element.append(ET.Comment(_comment(i)))
    return element


def _metadata(header: InventoryHeader) -> ET.Element:
    # Prefixed names: the root declares ``dc``, and ElementTree writes tag names as given.
    metadata = ET.Element("metadata")
    _text(metadata, "dc:type", "File inventory")
    _text(metadata, "dc:title", _xml_safe(f"Vigil inventory of case {header.case}"))
    _text(metadata, "dc:date", iso_utc(header.generated_at) or "")
    _text(metadata, "dc:creator", _xml_safe(header.generated_by))
    return metadata


def _creator(header: InventoryHeader) -> ET.Element:
    creator = ET.Element("creator", version="1.0")
    _text(creator, "program", "Vigil")
    _text(creator, "version", header.vigil_version)
    environment = ET.SubElement(creator, "execution_environment")
    _text(environment, "host", _xml_safe(header.host))
    _text(environment, "username", _xml_safe(header.generated_by))
    _text(environment, "start_time", iso_utc(header.generated_at) or "")
    return creator


def _source(header: InventoryHeader) -> ET.Element:
    source = ET.Element("source")
    for path in header.evidence:
        _text(source, "image_filename", _xml_safe(path))
    return source


def _comment(i: InventoryItem) -> str:
    text = f" vigil: exhibit {i.exhibit}; status {i.status}"
    if i.reason:
        text += f"; reason {i.reason}"
    text += f"; location {i.location}"
    if i.family:
        text += f"; family {i.family}"
    # "--" may not appear inside an XML comment.
    return _xml_safe(text).replace("--", "- -") + " "


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    child = ET.SubElement(parent, tag, attrs)
    child.text = text
    return child


def _xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot hold (control bytes, lone surrogates)."""
    return "".join(
        ch if ch in "\t\n\r" or (" " <= ch <= "\ud7ff") or ("\ue000" <= ch <= "\ufffd")
        or ("\U00010000" <= ch <= "\U0010ffff") else f"\\x{ord(ch):02x}"
        for ch in text
    )  # fmt: skip
