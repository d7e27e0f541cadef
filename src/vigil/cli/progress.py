"""A rich progress bar on stderr that implements the scan's ProgressSink."""

from __future__ import annotations

from types import TracebackType

from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from vigil.cli.output import stderr


class ScanProgress:
    """Items and bytes done, rate and ETA; invisible when stderr is not a terminal."""

    def __init__(self, label: str) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[items]:,} items"),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=stderr,
            transient=True,
            disable=not stderr.is_terminal,
        )
        # Progress is measured in bytes (what the ETA depends on); items ride along.
        self._task = self._progress.add_task(label, total=None, items=0)
        self._items = 0

    def __enter__(self) -> ScanProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def total(self, items: int, size_bytes: int) -> None:
        """Set the totals once the evidence has been counted."""
        self._progress.update(self._task, total=max(size_bytes, 1))

    def advance(self, items: int, size_bytes: int) -> None:
        """Count finished entries."""
        self._items += items
        self._progress.update(self._task, advance=size_bytes, items=self._items)
