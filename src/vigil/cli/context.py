"""State shared by the commands of one invocation (the store, opened lazily)."""

from __future__ import annotations

from vigil.store.engine import Store, open_store


class AppContext:
    """Holds the database URL and opens the store on first use."""

    def __init__(self, db_url: str | None) -> None:
        self.db_url = db_url
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        """The migrated store (opened on first access)."""
        if self._store is None:
            self._store = open_store(self.db_url)
        return self._store

    def close(self) -> None:
        """Dispose of the store's connections."""
        if self._store is not None:
            self._store.close()
