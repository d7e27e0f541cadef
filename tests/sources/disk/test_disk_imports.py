"""Any module may be imported first: the disk readers always end up registered."""

from __future__ import annotations

import subprocess
import sys

import pytest

FIRST = [
    "vigil.sources.disk.reader",
    "vigil.sources.disk.parts",
    "vigil.sources.disk.reopen",
    "vigil.sources.disk.info",
    "vigil.sources.identify",
    "vigil.sources.reopen",
    "vigil.sources.archives.registry",
    "vigil.scan.pipeline",
]


@pytest.mark.parametrize("module", FIRST)
def test_import_order_does_not_matter(module: str) -> None:
    code = (
        f"import {module}\n"
        "from vigil.sources.archives.registry import CONTAINER_TYPES\n"
        "from vigil.sources.reopen import OPENERS\n"
        "assert {'ewf', 'disk-image', 'fs-image'} <= set(CONTAINER_TYPES)\n"
        "assert {'ewf', 'partition', 'ntfs', 'carved'} <= set(OPENERS)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
