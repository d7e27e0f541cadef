"""Fixtures of the device-check tests: a phone-like tree, its hash set, thread pools."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from pathlib import Path

import pytest

from vigil.hashsets import library
from vigil.store.engine import Store

from .trees import Phone, build_phone, threads


@pytest.fixture
def phone(tmp_path: Path) -> Phone:
    return build_phone(tmp_path / "phone")


@pytest.fixture
def listed_store(store: Store, phone: Phone) -> Store:
    """A store holding the set that lists the phone's two pictures."""
    library.import_file(store, phone.hashset, "force-set")
    return store


@pytest.fixture
def thread_pools() -> Iterator[Callable[[int], Executor]]:
    """Thread pools that are shut down when the test ends (a stopped check leaves them)."""
    made: list[Executor] = []

    def make(workers: int) -> Executor:
        pool = threads(workers)
        made.append(pool)
        return pool

    yield make
    for pool in made:
        pool.shutdown(wait=True, cancel_futures=True)
