"""The registry: keyed by identify's type names, one reader per container format."""

from __future__ import annotations

from vigil.sources.archives import CONTAINER_TYPES, reader_for
from vigil.sources.archives.zip import ZipReader
from vigil.sources.identify import TYPES, by_name


def test_every_key_is_a_file_type_name() -> None:
    assert set(CONTAINER_TYPES) <= set(TYPES)
    assert {"zip", "tar", "gzip", "bzip2", "xz", "7z", "rar"} <= set(CONTAINER_TYPES)


def test_zip_based_documents_use_the_zip_reader() -> None:
    for name in ("docx", "xlsx", "pptx", "odt", "epub", "jar", "apk"):
        assert isinstance(CONTAINER_TYPES[name], ZipReader)


def test_reader_for_accepts_names_and_types() -> None:
    assert reader_for("7z") is CONTAINER_TYPES["7z"]
    assert reader_for(by_name("zip")) is CONTAINER_TYPES["zip"]
    assert reader_for("jpeg") is None
    assert reader_for("unknown") is None


def test_layers_are_stable_names() -> None:
    layers = {name: reader.layer for name, reader in CONTAINER_TYPES.items()}
    assert layers["zip"] == layers["docx"] == "zip"
    assert layers["7z"] == "7z"
    assert layers["gzip"] == "gzip"
