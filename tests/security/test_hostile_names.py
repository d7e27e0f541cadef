"""Hostile names through scan → store → every command that shows them, on both databases.

The suspect chooses every file, folder and archive member name. Here they hold
rich markup (``[link=…]``, ``[reverse]…[conceal]``, a lone ``[``), terminal
escape sequences and other control characters, NUL (tar PAX names), bidi
overrides, undecodable bytes, emoji codes, HTML and overlong text. Whatever
they hold, the scan must finish, and every command's output must show the
names literally: no markup obeyed, no raw control character, no NUL.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Connection

from vigil.cli.main import run
from vigil.demo.imagegen import encode, make_picture
from vigil.inert import MAX_CHARS
from vigil.scan import pipeline
from vigil.sources.locator import Locator
from vigil.store.engine import open_store
from vigil.store.schema import case, item, scan_run

CASE = "op [/x] [link=https:evil.example/c]case"
"""Case names are free text, typed or pasted by the examiner: markup too."""
SET = "[link=https://evil.example/set]set[/link]"

LINK = "[link=https:evil.example/x]click[/link]"
"""Rich's link markup (no double slash: a path would fold it into one)."""
CONCEAL = "[reverse]shown[conceal]hidden"
NAME_LINK = "[link=https:evil.example]click"
"""A file name cannot hold a slash; an unclosed link tag links the rest of the line."""
ROOT = f"{LINK} {CONCEAL} ["
"""The evidence folder itself (its slashes make folders): in the summary and the audit log."""

PICTURE_NAME = f"{CONCEAL}.txt"
"""A JPEG named .txt: a renamed-media finding shows this name."""

ESCAPES = "\x1b]8;;https:evil.example\x1b\\link\x1b]8;;\x1b\\\x1b[8mgone\x1b[2J\x07"
"""A terminal hyperlink, concealed text and a screen clear, written as raw escapes."""
BIDI = "invoice\u202efdp.exe"
HTML = "<img src=x onerror=alert(1)>"
OVERLONG = "[bold]" + "long" * 5000
"""Longer than any stored name may be (PAX lets a member name be any length)."""

BIDI_CHARS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f]")
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Hostile:
    """A scanned case of hostile evidence and the raw bytes behind its names."""

    db: str
    root: Path
    picture_md5: str
    scan_output: str


def _pax_member(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo("placeholder")
    info.pax_headers = {"path": name}  # PAX names are UTF-8 of any length, NUL included
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def _tar(path: Path, members: list[tuple[str, bytes]], cut: int | None = None) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members:
            _pax_member(tar, name, data)
    raw = buffer.getvalue()
    path.write_bytes(raw[:cut] if cut else raw)


def _bencode(value: object) -> bytes:
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode("utf-8")
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, list):
        return b"l" + b"".join(_bencode(v) for v in value) + b"e"
    assert isinstance(value, dict)
    pairs = sorted((k.encode("utf-8"), v) for k, v in value.items())
    return b"d" + b"".join(_bencode(k) + _bencode(v) for k, v in pairs) + b"e"


TORRENT = {
    "announce": f"http://tracker.example/{ESCAPES}",
    "comment": f"{LINK}\x00{BIDI}",
    "info": {
        "name": f"shared\x00{CONCEAL}",
        "length": 5,
        "piece length": 16384,
        "pieces": "p" * 20,
    },
}
"""A .torrent whose fields (stored as the item's artefact facts) are hostile."""


def build_evidence(base: Path) -> tuple[Path, bytes]:
    """Hostile evidence under ``base``; returns its root and the renamed picture's bytes."""
    # A folder named "[" before a plain one: "[/exhibit']" in the audit detail
    # reads as a closing tag, which made rich raise (``vigil audit show`` crashed).
    root = base / "[" / ROOT / "[" / "exhibit"
    root.mkdir(parents=True)
    picture = encode(make_picture(7))
    (root / PICTURE_NAME).write_bytes(picture)
    (root / f"{NAME_LINK}.txt").write_bytes(b"link")
    (root / "[").mkdir()
    (root / "[" / "]").write_bytes(b"bracket")
    (root / ":smile: :pile_of_poo:.txt").write_bytes(b"emoji")
    (root / f"{ESCAPES}.txt").write_bytes(b"escapes")
    (root / "new\nline\ttab\rreturn.txt").write_bytes(b"lines")
    (root / BIDI).write_bytes(b"MZ bidi")
    (root / f"{HTML}.jpg").write_bytes(picture)
    with open(os.path.join(os.fsencode(root), b"caf\xe9\xff[red].bin"), "wb") as handle:
        handle.write(b"undecodable")
    _tar(
        root / "members.tar",
        [
            (f"nul\x00{NAME_LINK}.txt", b"nul"),
            (f"dir\x00/{CONCEAL}\x00.jpg", picture),
            (OVERLONG, b"overlong"),
            (f"{ESCAPES}{BIDI}", b"escapes"),
        ],
    )
    # The member's data ends early: its error reason quotes the NUL name.
    _tar(root / "truncated.tar", [(f"cut\x00{NAME_LINK}\x1b.bin", b"A" * 5000)], cut=3000)
    (root / "share.torrent").write_bytes(_bencode(TORRENT))
    with zipfile.ZipFile(root / "members.zip", "w") as archive:
        archive.writestr(f"{CONCEAL}\x1b[5m.txt", b"zip member")
        archive.writestr(f"{HTML}{BIDI}", b"zip html")
    return root, picture


def _strings(value: object) -> list[str]:
    """Every string in a JSON value, keys included."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [*value, *(t for v in value.values() for t in _strings(v))]
    if isinstance(value, list):
        return [t for v in value for t in _strings(v)]
    return []


def assert_inert(text: str, where: str) -> None:
    """No NUL, no raw control character, no bidi override, no terminal escape."""
    assert "\x00" not in text, where
    assert not RAW_CONTROL.search(text), (where, RAW_CONTROL.findall(text)[:5])
    assert not BIDI_CHARS.search(text), where
    assert "\x1b" not in text, where


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = run(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.fixture
def hostile(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Hostile:
    """The hostile evidence scanned into CASE, with a hash set naming the picture."""
    monkeypatch.setenv("COLUMNS", "3000")  # tables wide enough that no cell is cut or folded
    root, picture = build_evidence(tmp_path / "evidence")
    md5 = hashlib.md5(picture).hexdigest()
    listing = tmp_path / "set.csv"
    listing.write_text(f"md5,category,name\n{md5},C,{CONCEAL} {LINK} {BIDI}\n", encoding="utf-8")
    code, out = _run(capsys, "--db", db_url, "hashset", "import", str(listing), "--name", SET)
    assert code == 0, out
    code, out = _run(capsys, "--db", db_url, "scan", str(root), "--case", CASE, "--workers", "1")
    assert code == 0, out
    return Hostile(db_url, root, md5, out)


def test_scan_finishes_and_stores_names_inert(hostile: Hostile) -> None:
    store = open_store(hostile.db)
    try:
        with store.connect() as conn:
            rows = list(conn.execute(sa.select(item)))
    finally:
        store.close()
    names = {r.name for r in rows}
    assert "nul\\x00" + NAME_LINK + ".txt" in names
    assert any(n.startswith("[bold]longlong") and n.endswith("more characters)") for n in names)
    for row in rows:
        for text in (row.name, row.display, row.reason or ""):
            assert_inert(text, row.display)
            assert len(text) <= MAX_CHARS
    [torrent] = [r for r in rows if r.name == "share.torrent"]
    facts = json.dumps(torrent.attrs, ensure_ascii=False)
    assert "shared\\\\x00" + CONCEAL in facts  # the torrent's name, NUL escaped
    for text in _strings(torrent.attrs):
        assert_inert(text, "torrent facts")
    [truncated] = [r for r in rows if r.name.startswith("cut\\x00")]
    assert truncated.status == "error" and "cut\\x00" in truncated.reason
    # The locator keeps the exact name, NUL and all, and reads back exactly.
    exact = {Locator.from_json(r.locator).leaf.path for r in rows}
    assert f"nul\x00{NAME_LINK}.txt" in exact and OVERLONG in exact
    assert os.fsdecode(b"caf\xe9\xff[red].bin") in {Path(p).name for p in exact}


def test_scan_summary_and_case_show_print_names_literally(
    hostile: Hostile, capsys: pytest.CaptureFixture[str]
) -> None:
    code, shown = _run(capsys, "--db", hostile.db, "case", "show", CASE)
    assert code == 0
    for text, where in ((hostile.scan_output, "scan"), (shown, "case show")):
        assert_inert(text, where)
        assert f"exhibit 1: folder {hostile.root}\n" in text, where  # markup shown as written
        assert f"Case {CASE} — scheme uk" in text, where
        assert f"{CONCEAL}.txt" in text, where  # the renamed picture's finding
    code, listed = _run(capsys, "--db", hostile.db, "case", "list")
    assert code == 0 and CASE in listed
    assert_inert(listed, "case list")


def test_audit_show_prints_names_literally(
    hostile: Hostile, capsys: pytest.CaptureFixture[str]
) -> None:
    code, shown = _run(capsys, "--db", hostile.db, "audit", "show", CASE)
    assert code == 0, shown
    assert_inert(shown, "audit show")
    flat = re.sub(r"\s*│\s*", "", shown)  # the detail column folds long paths
    assert ROOT.replace(" ", "") in flat.replace(" ", "")
    code, as_json = _run(capsys, "--db", hostile.db, "audit", "show", CASE, "--json")
    assert code == 0
    assert_inert(as_json, "audit show --json")
    start = next(e for e in json.loads(as_json) if e["action"] == "scan.start")
    assert start["detail"]["params"]["sources"] == [str(hostile.root)]
    code, verified = _run(capsys, "--db", hostile.db, "audit", "verify", CASE)
    assert code == 0, verified


def test_lookup_and_hashset_commands_print_names_literally(
    hostile: Hostile, capsys: pytest.CaptureFixture[str]
) -> None:
    code, shown = _run(capsys, "--db", hostile.db, "lookup", hostile.picture_md5)
    assert code == 3, shown
    assert_inert(shown, "lookup")
    flat = re.sub(r"\s*│\s*", "", shown).replace("\n", "")
    assert "[link=https://evil.example/set]" in flat
    assert "\\u202e" in flat  # the bidi override in the set's name, escaped
    for args in (("hashset", "list"), ("hashset", "show", SET), ("case", "show", CASE, "--json")):
        code, out = _run(capsys, "--db", hostile.db, *args)
        assert code == 0, (args, out)
        assert_inert(out, " ".join(args))
    assert SET in _run(capsys, "--db", hostile.db, "hashset", "show", SET)[1]


def test_reports_show_names_inert(
    hostile: Hostile, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for fmt in ("html", "json", "csv"):
        target = tmp_path / f"report.{fmt}"
        code, out = _run(
            capsys, "--db", hostile.db, "report", CASE, "--format", fmt, "-o", str(target)
        )
        assert code == 0, out
        assert_inert(out, f"report {fmt} messages")
        text = target.read_text(encoding="utf-8")
        assert_inert(text.replace("\r\n", "\n"), f"report.{fmt}")
        if fmt == "html":
            assert HTML not in text and "<img src=x" not in text
            assert "&lt;img src=x onerror=alert(1)&gt;" in text
            assert '<a href="https://evil.example' not in text
        if fmt == "json":
            json.loads(text)


def test_on_a_colour_terminal_no_link_or_conceal_is_emitted(hostile: Hostile) -> None:
    """Run as a real terminal would see it: colours on, and still no link or hidden text."""
    env = {
        **os.environ,
        "TTY_COMPATIBLE": "1",
        "FORCE_COLOR": "1",
        "COLORTERM": "truecolor",
        "COLUMNS": "400",
    }
    for args in (("audit", "show", CASE), ("case", "show", CASE), ("lookup", hostile.picture_md5)):
        done = subprocess.run(
            [sys.executable, "-m", "vigil", "--db", hostile.db, *args],
            capture_output=True,
            env=env,
            timeout=120,
            check=False,
        )
        out = done.stdout.decode("utf-8")
        assert done.returncode in (0, 3), done.stderr
        assert "\x1b[" in out, args  # it did style: a terminal run, not plain text
        assert "\x1b]8;" not in out, args  # no hyperlink
        assert not re.search(r"\x1b\[(?:[0-9]+;)*[78]m", out), args  # no reverse or conceal
        without_styles = re.sub(r"\x1b\[[0-9;]*m", "", out)
        assert_inert(without_styles, " ".join(args))


def _result(db: str, case_name: str) -> list[tuple[object, ...]]:
    """A case's items as a resumed and an uninterrupted scan must both leave them."""
    store = open_store(db)
    try:
        with store.connect() as conn:
            rows = conn.execute(
                sa.select(item.c.locator, item.c.name, item.c.status, item.c.reason, item.c.md5)
                .join(scan_run, scan_run.c.id == item.c.run_id)
                .join(case, case.c.id == scan_run.c.case_id)
                .where(case.c.name == case_name)
            ).all()
    finally:
        store.close()
    return sorted((tuple(r) for r in rows), key=repr)


def test_resume_after_an_interruption_at_the_nul_archive(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = build_evidence(tmp_path / "evidence")
    code, out = _run(capsys, "--db", db_url, "scan", str(root), "--case", "whole", "--workers", "1")
    assert code == 0, out
    monkeypatch.setattr(pipeline, "COMMIT_TASKS", 1)  # one commit per top-level entry
    real_write = pipeline.write_tasks

    def interrupted_at_the_tar(conn: Connection, run_id: int, *rest: Any) -> None:
        finished = rest[1]
        if any(task.path.endswith(b"members.tar") for task, _ in finished):
            raise KeyboardInterrupt  # as Ctrl-C would, before the tar's items are stored
        real_write(conn, run_id, *rest)

    monkeypatch.setattr(pipeline, "write_tasks", interrupted_at_the_tar)
    store = open_store(db_url)
    try:
        with pytest.raises(KeyboardInterrupt):
            pipeline.run_scan(store, [root], pipeline.ScanOptions(case="resumed", workers=1))
    finally:
        store.close()
    monkeypatch.setattr(pipeline, "write_tasks", real_write)
    code, out = _run(
        capsys, "--db", db_url, "scan", "--resume", "--case", "resumed", "--workers", "1"
    )
    assert code == 0, out
    assert_inert(out, "scan --resume")
    resumed = _result(db_url, "resumed")
    assert any(str(r[1]).startswith("nul\\x00") for r in resumed)
    assert resumed == _result(db_url, "whole")
