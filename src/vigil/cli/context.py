"""State shared by the commands of one invocation (the store, opened lazily)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the store pulls in SQLAlchemy: imported when first used, not at start-up
    from vigil.store.engine import Store


class AppContext:
    """Holds the database URL and opens the store on first use."""

    def __init__(self, db_url: str | None) -> None:
        self.db_url = db_url
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        """The migrated store (opened on first access)."""
        if self._store is None:
            from vigil.store.engine import open_store

            self._store = open_store(self.db_url)
        return self._store

    def close(self) -> None:
        """Dispose of the store's connections."""
        if self._store is not None:
            self._store.close()
