"""The inventory as a hashdeep known-hashes file, for ``hashdeep -a -k FILE`` audits.

The layout is hashdeep's own (``%%%% HASHDEEP-1.0``, the column line, ``##``
comments, then ``size,md5,sha256,filename``). A file read straight from the
examiner's file system is named by its real path, so an audit over the
evidence finds it in place; an item inside a container is named by its
locator (``os:/ev/a.zip → zip:b.jpg``), which is also a relative path under
which an extracted copy can be audited with ``hashdeep -l``. Items without
content hashes (folders, unreadable items) are listed as comments, so that
every item of the inventory appears.
"""

from __future__ import annotations

from collections.abc import Iterable

from vigil.cases.inventory_model import InventoryHeader, InventoryItem, TextSink, iso_utc


def write_hashdeep(header: InventoryHeader, items: Iterable[InventoryItem], out: TextSink) -> int:
    """Write the known-hashes file to ``out``; returns the number of items (hashed or not)."""
    out.write("%%%% HASHDEEP-1.0\n")
    out.write("%%%% size,md5,sha256,filename\n")
    out.write(f"## Vigil {header.vigil_version} inventory of case {_one_line(header.case)}\n")
    out.write(
        f"## Made {iso_utc(header.generated_at)} by {_one_line(header.generated_by)} "
        f"on {_one_line(header.host)}\n"
    )
    for path in header.evidence:
        out.write(f"## Evidence: {_one_line(path)}\n")
    for key, value in header.filters.items():
        out.write(f"## Filter {key}: {_one_line(str(value))}\n")
    out.write("## \n")
    count = 0
    for i in items:
        count += 1
        if i.kind == "file" and i.size is not None and i.md5 and i.sha256:
            if i.status != "ok":  # hashed, but not read whole or not decoded: say why
                why = f"{i.status}: {i.reason}" if i.reason else i.status
                out.write(f"## {_one_line(why)}: {_one_line(i.path)}\n")
            out.write(f"{i.size},{i.md5},{i.sha256},{_one_line(i.path)}\n")
        else:
            why = f"{i.status}: {i.reason}" if i.reason else i.status
            out.write(f"## not hashed ({i.kind}, {_one_line(why)}): {_one_line(i.path)}\n")
    return count


def _one_line(text: str) -> str:
    # A line break would end the record early; locators are already escaped, reasons may not be.
    return text.replace("\r", "\\r").replace("\n", "\\n")
