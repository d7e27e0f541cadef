"""Vigil: triage of seized media for indecent-image investigations."""

from __future__ import annotations

from functools import cache


@cache
def _installed_version() -> str:
    # importlib.metadata scans site-packages (tens of ms): only when the version is asked for.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("vigil")
    except PackageNotFoundError:  # running from a source tree without install
        return "0.0.0+unknown"


def __getattr__(name: str) -> str:
    if name == "__version__":
        return _installed_version()
    raise AttributeError(f"module 'vigil' has no attribute {name!r}")
