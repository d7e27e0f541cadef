"""Globs over evidence paths: any depth, any case, either separator."""

from __future__ import annotations

import pytest

from vigil.indicators.globs import (
    GlobError,
    compile_name_glob,
    compile_path_glob,
    literal_components,
    name_key,
    normalise,
)


def _matches(glob: str, path: str) -> bool:
    return compile_path_glob(glob).fullmatch(normalise(path)) is not None


def test_a_relative_glob_matches_at_any_depth_in_any_case() -> None:
    glob = "AppData/Roaming/uTorrent/resume.dat"
    assert _matches(glob, "/mnt/ex1/Users/bob/AppData/Roaming/uTorrent/resume.dat")
    assert _matches(glob, r"C:\Users\bob\APPDATA\roaming\UTORRENT\Resume.dat")
    assert not _matches(glob, "/mnt/ex1/Users/bob/AppData/Roaming/uTorrent/resume.dat.bak")
    assert not _matches(glob, "/x/NotAppData/Roaming/uTorrent/resume.dat")


def test_star_stays_in_one_folder_and_double_star_crosses_folders() -> None:
    assert _matches(
        "**/tor-browser*/Browser/start-tor-browser",
        "/h/tor-browser_en-US/Browser/start-tor-browser",
    )
    assert not _matches("**/Tor*/tor.exe", "/a/Tor/b/tor.exe")
    assert _matches("**/Tor/**/tor.exe", "/a/Tor/b/c/tor.exe")
    assert _matches("**/Tor/**/tor.exe", "/a/Tor/tor.exe")


def test_a_trailing_double_star_covers_the_folder_and_everything_below() -> None:
    glob = "**/eMule/Incoming/**"
    assert _matches(glob, "/e/Users/x/Downloads/eMule/Incoming")
    assert _matches(glob, "/e/Users/x/Downloads/eMule/Incoming/a/b.jpg")
    assert not _matches(glob, "/e/Users/x/Downloads/eMule/IncomingOld/b.jpg")


def test_an_absolute_glob_is_anchored() -> None:
    assert _matches("/etc/wireguard/*.conf", "/etc/wireguard/wg0.conf")
    assert not _matches("/etc/wireguard/*.conf", "/mnt/etc/wireguard/wg0.conf")


def test_character_classes_and_question_marks() -> None:
    name = compile_name_glob("signal-????-??-??-??-??-??.backup")
    assert name.fullmatch("signal-2024-01-02-03-04-05.backup")
    assert not name.fullmatch("signal-2024-01-02.backup")
    assert compile_name_glob("file[0-9].txt").fullmatch("file7.txt")
    assert compile_name_glob("file[!0-9].txt").fullmatch("filex.txt")
    assert not compile_name_glob("file[!0-9].txt").fullmatch("file7.txt")


@pytest.mark.parametrize("bad", ["", "   ", "abc[", "a/b"])
def test_bad_name_globs_are_refused(bad: str) -> None:
    with pytest.raises(GlobError):
        compile_name_glob(bad)


def test_index_keys_of_globs() -> None:
    assert name_key("Known.met") == ("name", "known.met")
    assert name_key("*.fastresume") == ("ext", "fastresume")
    assert name_key("tor.exe-*.pf") == ("ext", "pf")
    assert name_key("msgstore*") is None
    assert literal_components("**/Tor Browser/Browser/*/tor.exe") == [
        "tor browser",
        "browser",
        "tor.exe",
    ]
