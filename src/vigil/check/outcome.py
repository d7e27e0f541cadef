"""What a device check found, in words for an officer who is not a forensic examiner.

One of three results, never a picture, a thumbnail or a category: known material
(stop and refer), indicators (families in plain words), or nothing found in
what was checked. Always with exactly what was checked and what was not.
Every name from the evidence is made inert here, once; printers and the HTML
report only escape their own markup.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, distinct, func, select

from vigil.cases.revisions import current_result_id
from vigil.inert import inert
from vigil.store.schema import finding, item, match

KNOWN = "known"
INDICATORS = "indicators"
NOTHING = "nothing"

HEADLINES = {
    KNOWN: "Known indecent material found — stop and refer to the digital forensics unit",
    INDICATORS: "Indicators found",
    NOTHING: "Nothing found in what was checked",
}

FAMILY_WORDS = {
    "tor": "Tor Browser (anonymous web browsing)",
    "wiping": "file-wiping tools (software that destroys deleted files)",
    "vault": "hidden vault apps (apps that hide pictures behind a disguise or PIN)",
    "encryption": "encrypted containers, volumes or password-protected files",
    "p2p": "peer-to-peer file sharing (e.g. BitTorrent, eMule)",
    "steganography": "tools that hide files inside other files",
    "concealment": "files disguised as something else (renamed or appended data)",
}
"""The indicator families a check reports, in the order shown. Others (messaging,
cloud, VPN…) are common on any device and are left to the full examination."""

PROBLEM_STATUSES = ("encrypted", "error", "unsupported", "limit")

SHOWN = 20
"""Folders and unreadable items listed by name; the rest are counted."""


@dataclass(slots=True)
class NotReached:
    """Files the check met or started but did not finish, and folders it never listed."""

    files: list[bytes] = field(default_factory=list)
    folders: list[bytes] = field(default_factory=list)

    def add_file(self, path: bytes) -> None:
        self.files.append(path)

    def add_folder(self, path: bytes) -> None:
        self.folders.append(path)

    def places(self) -> list[str]:
        """The folders with something not checked, outermost only, as inert text."""
        found = {p.rstrip(b"/") for p in self.folders} | {os.path.dirname(p) for p in self.files}
        outer: list[bytes] = []
        # By components, a folder's descendants follow it at once ("a-b" sorts after "a/…").
        for path in sorted(found, key=lambda p: p.split(b"/")):
            if not outer or not path.startswith(outer[-1] + b"/"):
                outer.append(path)
        return [inert(os.fsdecode(p)) for p in outer]


@dataclass(slots=True)
class CheckResult:
    """The outcome of one check: what the officer is told and the audit log keeps."""

    case: str
    run_id: int
    officer: str
    paths: list[str]
    minutes: float
    started_at: datetime
    elapsed_s: float
    stopped_by_time: bool
    verdict: str
    known_items: int
    indicator_families: list[str]
    files_checked: int
    files_total: int
    total_counted: bool
    files_not_checked: int
    folders_not_reached: list[str]
    problems: list[tuple[str, str, str]]
    """Encrypted or unreadable parts: (status, where, why), inert, at most SHOWN."""
    problem_count: int
    encrypted_count: int

    @property
    def headline(self) -> str:
        """The result in one line."""
        return HEADLINES[self.verdict]

    @property
    def total_words(self) -> str:
        """ "counted" or "estimated": how the number of files in the evidence is known."""
        return "counted" if self.total_counted else "estimated"

    @property
    def checked_line(self) -> str:
        """N of M files, and how M is known."""
        about = "" if self.total_counted else "about "
        return (
            f"{self.files_checked:,} of {about}{self.files_total:,} files checked "
            f"(total {self.total_words})"
        )

    @property
    def complete(self) -> bool:
        """True when every file and folder was checked."""
        return not self.files_not_checked and not self.folders_not_reached

    @property
    def resume_command(self) -> str:
        """What the unit runs to continue the check into a full scan."""
        return f"vigil scan --resume --case {shlex.quote(self.case)}"

    def audit_detail(self) -> dict[str, Any]:
        """Who checked what and when, and the outcome, for the case's audit log."""
        return {
            "run": self.run_id,
            "officer": self.officer,
            "paths": self.paths,
            "minutes": self.minutes,
            "started_at": self.started_at.isoformat(),
            "elapsed_s": round(self.elapsed_s, 3),
            "stopped_by_time": self.stopped_by_time,
            "outcome": self.verdict,
            "indicators": self.indicator_families,
            "files_checked": self.files_checked,
            "files_total": self.files_total,
            "total": self.total_words,
            "files_not_checked": self.files_not_checked,
            "folders_not_reached": len(self.folders_not_reached),
            "unreadable": self.problem_count,
        }


def summarise_check(
    conn: Connection,
    run_id: int,
    *,
    case: str,
    officer: str,
    paths: list[str],
    minutes: float,
    started_at: datetime,
    elapsed_s: float,
    stopped_by_time: bool,
    files_total: int,
    total_counted: bool,
    not_reached: NotReached,
) -> CheckResult:
    """Read the check's run back from the store and say what it found."""
    known = _known_items(conn, run_id)
    families = _families(conn, run_id)
    checked = int(
        conn.execute(
            select(func.count())
            .select_from(item)
            .where(item.c.run_id == run_id, item.c.depth == 0, item.c.kind != "dir")
        ).scalar_one()
    )
    unlisted_share = 0
    if not total_counted:
        # Estimated: what was met, plus the folders never listed at the average seen so far.
        met = checked + len(not_reached.files)
        listed = max(_folders_listed(conn, run_id), 1)
        unlisted_share = round(met / listed * len(not_reached.folders))
        files_total = max(files_total, met + unlisted_share)
    problems, problem_count, encrypted = _problems(conn, run_id)
    verdict = KNOWN if known else INDICATORS if families else NOTHING
    return CheckResult(
        case=case,
        run_id=run_id,
        officer=officer,
        paths=[inert(p) for p in paths],
        minutes=minutes,
        started_at=started_at,
        elapsed_s=elapsed_s,
        stopped_by_time=stopped_by_time,
        verdict=verdict,
        known_items=known,
        indicator_families=families,
        files_checked=checked,
        files_total=max(files_total, checked),
        total_counted=total_counted,
        files_not_checked=max(files_total - checked, len(not_reached.files)),
        folders_not_reached=not_reached.places(),
        problems=problems,
        problem_count=problem_count,
        encrypted_count=encrypted,
    )


def _known_items(conn: Connection, run_id: int) -> int:
    """Items of the check with a hit in a set that is not known-good (exact or PDQ)."""
    result_id = current_result_id(conn, run_id)
    query = (
        select(func.count(distinct(match.c.item_id)))
        .join(item, item.c.id == match.c.item_id)
        .where(
            item.c.run_id == run_id,
            match.c.result_id == result_id,
            match.c.known_good.is_(False),
        )
    )
    return int(conn.execute(query).scalar_one())


def _families(conn: Connection, run_id: int) -> list[str]:
    found = {
        str(r.family)
        for r in conn.execute(select(finding.c.family).where(finding.c.run_id == run_id).distinct())
    }
    return [words for family, words in FAMILY_WORDS.items() if family in found]


def _folders_listed(conn: Connection, run_id: int) -> int:
    query = select(func.count()).select_from(item)
    query = query.where(item.c.run_id == run_id, item.c.depth == 0, item.c.kind == "dir")
    return int(conn.execute(query).scalar_one())


def _problems(conn: Connection, run_id: int) -> tuple[list[tuple[str, str, str]], int, int]:
    where = (item.c.run_id == run_id, item.c.status.in_(PROBLEM_STATUSES))
    counts: dict[str, int] = {
        str(status): int(n)
        for status, n in conn.execute(
            select(item.c.status, func.count()).where(*where).group_by(item.c.status)
        )
    }
    rows = conn.execute(
        select(item.c.status, item.c.display, item.c.reason)
        .where(*where)
        .order_by(item.c.id)
        .limit(SHOWN)
    ).all()
    shown = [(str(r.status), inert(str(r.display)), inert(str(r.reason or ""))) for r in rows]
    return shown, int(sum(counts.values())), int(counts.get("encrypted", 0))
