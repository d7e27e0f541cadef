"""Vigil: triage of seized media for indecent-image investigations."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("vigil")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"
