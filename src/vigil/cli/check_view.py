"""The terminal form of a device check's result (rich, every evidence name literal)."""

from __future__ import annotations

from rich.panel import Panel

from vigil.check.outcome import SHOWN, CheckResult
from vigil.cli.output import line, plain, stdout

STYLES = {
    "known": "bold white on red",
    "indicators": "bold black on yellow",
    "nothing": "bold green",
}


def print_check(result: CheckResult) -> None:
    """The result, what was checked and what was not, and the next step."""
    stdout.print(Panel(plain(result.headline, STYLES[result.verdict]), expand=False))
    if result.verdict == "known":
        stdout.print(
            line(
                f"{result.known_items:,} file(s) match known material. Do not look at the "
                "device's pictures; keep it as it is and refer to the digital forensics unit."
            )
        )
    if result.indicator_families:
        stdout.print(line(("Indicators found:", "bold")))
        for words in result.indicator_families:
            stdout.print(line("  • ", words))
    stdout.print(line(("What was checked: ", "bold"), result.checked_line))
    for path in result.paths:
        stdout.print(line("  evidence: ", path))
    if not result.complete:
        why = "the time given ran out" if result.stopped_by_time else "the end of the evidence"
        stdout.print(
            line(
                ("Not checked: ", "bold"),
                f"{result.files_not_checked:,} file(s) ({why}); "
                '"nothing found" says nothing about them.',
            )
        )
        if result.folders_not_reached:
            stdout.print(line("Folders not reached (or not finished):"))
            for folder in result.folders_not_reached[:SHOWN]:
                stdout.print(line("  ", folder))
            more = len(result.folders_not_reached) - SHOWN
            if more > 0:
                stdout.print(line(f"  … and {more:,} more"))
    if result.problem_count:
        encrypted = f", {result.encrypted_count:,} encrypted" if result.encrypted_count else ""
        stdout.print(
            line(("Encrypted or unreadable: ", "bold"), f"{result.problem_count:,}{encrypted}")
        )
        for status, where, why in result.problems:
            stdout.print(line("  ", where, f" — {status}", f": {why}" if why else ""))
    stdout.print(
        line(
            "Saved as case ",
            (result.case, "bold"),
            "; the unit continues it with: ",
            result.resume_command,
        )
    )
