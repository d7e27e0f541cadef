"""The priority rules: tiers from places.yaml, folders ranked, files ordered in a folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vigil.check.places import PlacesError, parse_places, shipped_places
from vigil.sources.folder import FsEntry
from vigil.sources.locator import Locator

TIERS = {
    "sdcard/DCIM/Camera": 0,
    "data/media/0/WhatsApp/Media/WhatsApp Images": 0,
    "private/var/mobile/Containers/Shared/AppGroup/ABC/Message/Media": 0,
    "data/media/0/Android/media/org.telegram.messenger/Telegram": 0,
    "Users/bob/Downloads": 1,
    "Users/bob/AppData/Local/Google/Chrome/User Data/Default/Cache": 1,
    "Users/bob/Music": 2,
    "srv/backup/old": 3,
    "Windows/System32": 4,
}


@pytest.mark.parametrize(("relative", "tier"), TIERS.items())
def test_places_are_tiered_as_the_rules_say(relative: str, tier: int) -> None:
    assert shipped_places().tier(relative) == tier


def test_a_folder_on_the_way_to_a_likely_place_is_listed_early_its_files_wait() -> None:
    places = shipped_places()
    rank = places.ranker(b"/ev")
    listed, files = rank(b"/ev/Users/bob/AppData/Local/Google/Chrome", 0.0)
    assert listed < rank(b"/ev/srv/backup/old/x", 0.0)[0]  # listed before an unlikely folder
    assert files[0] == 2.0  # but its own files wait with the user folders
    assert listed[0] < files[0]


def test_the_mount_point_never_makes_a_folder_likely() -> None:
    rank = shipped_places().ranker(b"/media/officer/Downloads")
    assert rank(b"/media/officer/Downloads/srv/x/y/z", 0.0)[1][0] == shipped_places().rest


def test_recently_changed_folders_come_first_within_a_tier() -> None:
    rank = shipped_places().ranker(b"/ev")
    assert rank(b"/ev/a/b/c/new", 2000.0)[1] < rank(b"/ev/a/b/c/old", 1000.0)[1]


def entry(name: str, mtime: float) -> FsEntry:
    path = os.fsencode(f"/ev/{name}")
    return FsEntry(Locator.for_path(path), path, "file", 1, mtime, mtime, mtime)


def test_pictures_and_videos_come_first_in_a_folder_newest_first() -> None:
    names = [entry("notes.txt", 9), entry("a.JPG", 1), entry("b.mp4", 5), entry("f_0001a", 3)]
    names.sort(key=shipped_places().file_rank)
    assert [os.path.basename(e.path) for e in names] == [
        b"b.mp4",
        b"a.JPG",
        b"f_0001a",
        b"notes.txt",
    ]


@pytest.mark.parametrize(
    "data",
    [None, {"tiers": "x"}, {"tiers": [{"paths": []}]}, {"tiers": [{"name": "t", "paths": ["[x"]}]}],
)
def test_a_broken_places_file_says_what_is_wrong(data: object) -> None:
    with pytest.raises(PlacesError, match=r"places\.yaml"):
        parse_places(data)


def test_the_shipped_file_is_packaged(tmp_path: Path) -> None:
    assert len(shipped_places().tier_names) == 5
