"""The terminal summary of a case, shared by ``scan`` and ``case show``."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from vigil.cases.counting import CaseSummary, CategoryCount
from vigil.cli.output import Piece, line, plain, print_table, stdout, when


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{n} B"


def _exhibit(ev: dict[str, Any]) -> str:
    """``exhibit JS/1``; a default reference reads as before references existed (``exhibit 2``)."""
    reference = str(ev.get("exhibit") or f"Exhibit {ev['ordinal']}")
    default = reference.removeprefix("Exhibit ")
    return f"exhibit {default}" if default.isdigit() else f"exhibit {reference}"


def print_summary(s: CaseSummary) -> None:
    """Print the examiner's summary of a case."""
    stdout.print(
        line((f"Case {s.case}", "bold"), f" — scheme {s.scheme}, {len(s.runs)} scan run(s)")
    )
    if s.latest_revision > 1 or s.revision != s.latest_revision:
        stdout.print(line(f"  results: revision {s.revision} of {s.latest_revision}"))
    for run in s.runs:
        state: Piece = "complete" if run.status == "complete" else ("unfinished", "red")
        resumed = f", resumed {run.resumed_count}×" if run.resumed_count else ""
        stdout.print(
            line(
                f"  run {run.id}: ",
                state,
                f", examiner {run.examiner} on {run.host}, "
                f"started {when(run.started_at)}, {_duration(run.elapsed_s)}{resumed}",
            )
        )
        for ev in run.evidence:
            digest = f" sha256 {ev['sha256']}" if ev["sha256"] else ""
            superseded = ("  (superseded: not counted)", "yellow")
            stdout.print(
                line(
                    f"    {_exhibit(ev)}: {ev['kind']} {ev['path']}{digest}",
                    *([] if ev.get("counted", True) else [superseded]),
                )
            )
            for text in _image_lines(ev.get("info")):
                stdout.print(line(f"      {text}"))
    _problems_table(s)  # first: what was not read qualifies every count below
    overview = Table(title="Found", show_header=False)
    overview.add_column("What")
    overview.add_column("Count", justify="right")
    for label, value in (
        ("Items", f"{s.items:,}"),
        ("Files", f"{s.files:,} ({_size(s.bytes)})"),
        ("  inside archives", f"{s.archives_members:,}"),
        *_recovered_rows(s),
        ("Images", f"{s.images:,}"),
        ("Videos", f"{s.videos:,}"),
        ("Known (known-good sets)", f"{s.known:,}"),
        ("Exact hits", f"{s.exact_total:,}"),
        ("Perceptual hits (PDQ only)", f"{s.perceptual_total:,}"),
        ("Category conflicts", f"{s.conflicts:,}"),
        ("Unknown images to grade", f"{s.unknown_images:,}"),
        ("Unknown videos to grade", f"{s.unknown_videos:,}"),
        ("  distinct (MD5) to grade", f"{s.unknown_unique:,}"),
        *_graded_rows(s),
        ("Low-quality images (not PDQ-matched)", f"{s.low_quality:,}"),
        ("Extension/signature mismatches", f"{s.ext_mismatch:,}"),
        ("Elapsed", _duration(s.elapsed_s)),
    ):
        overview.add_row(plain(label), plain(value))
    print_table(overview)
    _hits_table("Exact hits by category", s.exact)
    _hits_table("Perceptual hits by category", s.perceptual)


def _problems_table(s: CaseSummary) -> None:
    """Items not read whole: errors, limits, and containers not opened (unsupported, encrypted)."""
    if not s.problems:
        return
    problems = Table(title="Errors and limits")
    problems.add_column("Status")
    problems.add_column("Items", justify="right")
    for status, count in sorted(s.problems.items()):
        problems.add_row(plain(status), plain(f"{count:,}"))
    print_table(problems)


def _graded_rows(s: CaseSummary) -> list[tuple[str, str]]:
    """Items graded in review (uncategorised included), and how each grade was settled."""
    total = sum(s.graded.values())
    if not total:
        return []
    states = ", ".join(f"{state} {n:,}" for state, n in s.graded.items() if n)
    return [("Graded in review", f"{total:,}"), ("  how settled", states)]


def _hits_table(title: str, counts: dict[str, CategoryCount]) -> None:
    if not counts:
        return
    table = Table(title=title)
    table.add_column("Category")
    table.add_column("Instances", justify="right")
    table.add_column("Unique (MD5)", justify="right")
    for label, count in sorted(counts.items()):
        table.add_row(plain(label), plain(f"{count.instances:,}"), plain(f"{count.unique:,}"))
    print_table(table)


def _recovered_rows(s: CaseSummary) -> list[tuple[str, str]]:
    """Deleted and carved items (disk images), shown only when a scan found any."""
    labels = (("deleted", "  deleted (recovered)"), ("carved", "  carved from free space"))
    return [(label, f"{s.locations[key]:,}") for key, label in labels if s.locations.get(key)]


def _image_lines(info: dict[str, Any] | None) -> list[str]:
    """A disk image's own account of itself: format, acquisition, verification."""
    if not info or "format" not in info:
        return []
    segments = len(info.get("segments", []))
    lines = [f"disk image ({info['format']}, {segments} segment file(s), "
             f"{info.get('media_size', 0):,} bytes of media)"]  # fmt: skip
    acquired = info.get("acquisition") or {}
    if acquired:
        fields = ("case_number", "evidence_number", "examiner_name", "acquiry_date")
        told = [f"{k} {acquired[k]}" for k in fields if k in acquired]
        lines.append("acquired: " + ", ".join(told))
    if info.get("parents"):
        lines.append("read through parent disk(s): " + ", ".join(info["parents"]))
    check = info.get("verification")
    if check:
        reason = f" ({check['reason']})" if check.get("reason") else ""
        lines.append(f"verification: {check['status']}{reason}")
    if info.get("segments_missing"):
        lines.append(info["segments_missing"])
    if info.get("error"):
        lines.append(f"image error: {info['error']}")
    return lines
