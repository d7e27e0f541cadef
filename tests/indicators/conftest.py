"""An exhibit folder full of benign indicator artefacts, built in code (vigil.demo.traces)."""

from __future__ import annotations

from pathlib import Path

import pytest

from vigil.demo.traces import STEGO_TOOL, Exhibit, build_exhibit, write_nsrl
from vigil.hashsets import library
from vigil.store.engine import Store


@pytest.fixture
def exhibit(tmp_path: Path) -> Exhibit:
    """The indicator exhibit, freshly built."""
    return build_exhibit(tmp_path)


@pytest.fixture
def nsrl_store(store: Store, tmp_path: Path) -> Store:
    """A store with a known-good NSRL set listing the exhibit's 'steganography tool'."""
    path = write_nsrl(tmp_path / "rds.db", STEGO_TOOL, "Steganography")
    library.import_file(store, path, "nsrl", known_good=True)
    return store
