"""Every file found in every fixture image reopens from its locator to the same bytes."""

from __future__ import annotations

import hashlib

import pytest

from vigil.sources.reopen import EvidenceChangedError, open_item, open_locator

from .conftest import DiskSet, list_image

IMAGES = ("fat", "ext4", "ntfs", "iso", "exfat", "mbr", "gpt", "e01")


@pytest.mark.parametrize("name", IMAGES)
def test_each_file_reopens(disks: DiskSet, name: str) -> None:
    found = [x for x in list_image(getattr(disks, name)) if x.sha256 is not None]
    assert found
    for item in found:
        with open_locator(item.locator) as stream:
            assert hashlib.sha256(stream.read()).hexdigest() == item.sha256, item.locator


def test_split_image_reopens_across_segments(disks: DiskSet) -> None:
    found = [x for x in list_image(disks.split[0]) if x.sha256 is not None]
    assert any(x.locator.flag("carved") for x in found)  # the carved PNG lies in segment 3
    for item in found:
        with open_locator(item.locator) as stream:
            assert hashlib.sha256(stream.read()).hexdigest() == item.sha256


def test_changed_content_is_refused(disks: DiskSet) -> None:
    item = next(x for x in list_image(disks.ntfs) if x.locator.leaf.get("ads") == "hidden")
    assert item.sha256 is not None
    with open_item(item.locator, bytes.fromhex(item.sha256)) as stream:
        assert stream.read()
    with pytest.raises(EvidenceChangedError):
        open_item(item.locator, bytes(32))
