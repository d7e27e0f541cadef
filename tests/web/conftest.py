"""Fixtures of the review-app tests: the demo site on each database, clients per user."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_helpers import Site, built_sqlite_site, make_site

from vigil.store.engine import Store


@pytest.fixture
def site(store: Store, tmp_path: Path) -> Site:
    """The demo site on SQLite and on PostgreSQL."""
    return make_site(store, tmp_path)


@pytest.fixture(scope="module")
def sqlite_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The demo site on SQLite only, built once per module (for the wide access matrix)."""
    with built_sqlite_site(tmp_path_factory.mktemp("site")) as built:
        yield built


@pytest.fixture(scope="module")
def client_for(sqlite_site: Site) -> Callable[[str | None], TestClient]:
    """Logged-in clients of the SQLite site, one per name, made on first use."""
    made: dict[str | None, TestClient] = {}

    def get(name: str | None) -> TestClient:
        if name not in made:
            made[name] = sqlite_site.client(name)
        return made[name]

    return get
