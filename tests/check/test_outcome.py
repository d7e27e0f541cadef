"""The three results of a check, in the words an officer is given."""

from __future__ import annotations

from pathlib import Path

from vigil.check import CheckOptions, CheckResult, run_check
from vigil.check.outcome import NotReached
from vigil.store.engine import Store

from .trees import Phone


def check(store: Store, root: Path, pools: object, case: str = "visit") -> CheckResult:
    options = CheckOptions(case=case, minutes=5, workers=1, executor=pools)  # type: ignore[arg-type]
    return run_check(store, [root], options)


def test_known_material_says_stop_and_refer(
    listed_store: Store, phone: Phone, thread_pools: object
) -> None:
    result = check(listed_store, phone.root, thread_pools)
    assert result.verdict == "known"
    assert result.headline == (
        "Known indecent material found — stop and refer to the digital forensics unit"
    )
    assert result.known_items == 2


def test_indicators_are_named_in_plain_words(
    store: Store, tmp_path: Path, thread_pools: object
) -> None:
    root = tmp_path / "laptop"
    tor = root / "Users/bob/Desktop/Tor Browser/Browser"
    tor.mkdir(parents=True)
    (tor / "firefox.exe").write_bytes(b"MZ not really")
    (root / "Users/bob/Pictures").mkdir(parents=True)
    (root / "Users/bob/Pictures/cat.txt").write_text("hello")
    result = check(store, root, thread_pools)
    assert result.verdict == "indicators"
    assert result.headline == "Indicators found"
    assert result.indicator_families == ["Tor Browser (anonymous web browsing)"]


def test_nothing_found_is_said_of_what_was_checked_only(
    store: Store, tmp_path: Path, thread_pools: object
) -> None:
    root = tmp_path / "tablet"
    (root / "DCIM").mkdir(parents=True)
    (root / "DCIM/holiday.txt").write_text("sun")
    result = check(store, root, thread_pools)
    assert result.verdict == "nothing"
    assert result.headline == "Nothing found in what was checked"
    assert result.checked_line == "1 of 1 files checked (total counted)"
    assert result.complete


def test_unreadable_parts_are_listed(store: Store, tmp_path: Path, thread_pools: object) -> None:
    root = tmp_path / "drive"
    root.mkdir()
    (root / "broken.zip").write_bytes(b"PK\x03\x04" + b"\xff" * 40)
    result = check(store, root, thread_pools)
    assert result.problem_count >= 1
    assert any("broken.zip" in where for _, where, _ in result.problems)


def test_folders_not_reached_are_shown_outermost_only() -> None:
    gap = NotReached()
    gap.add_folder(b"/ev/a")
    gap.add_folder(b"/ev/a/b")
    gap.add_file(b"/ev/a/b/c/1.jpg")
    gap.add_file(b"/ev/z/2.jpg")
    gap.add_folder(b"/ev/ab\x1b[31m")
    assert gap.places() == ["/ev/a", "/ev/ab\\x1b[31m", "/ev/z"]
