"""A built demo (sets imported into the store) for scan tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from vigil.demo.evidence import DemoLayout, build_demo
from vigil.hashsets import library
from vigil.store.engine import Store


@pytest.fixture
def demo(tmp_path: Path) -> DemoLayout:
    """The demo files, freshly generated."""
    return build_demo(tmp_path / "demo")


@pytest.fixture
def demo_store(store: Store, demo: DemoLayout) -> Store:
    """A store holding the demo's graded and known-good sets."""
    library.import_file(store, demo.vics, "demo-vics")
    library.import_file(store, demo.known_good, "demo-known-good", known_good=True)
    return store
