"""PDF from the HTML report, printed by headless Chromium (Debian package ``chromium``).

The same HTML, so the PDF can never say something the HTML does not. Chromium
runs with a throw-away profile, no network use beyond the local file, and a
timeout; as root in a container it needs ``--no-sandbox``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from vigil.errors import ReportError

TIMEOUT_S = 120.0
"""Longest a PDF rendering may take before it is abandoned."""

BROWSERS = ("chromium", "chromium-browser")


def find_chromium() -> str:
    """The Chromium executable; ReportError (one line, with the fix) if none is installed."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise ReportError(
        "PDF needs Chromium, which is not installed: apt-get install chromium "
        "(or write --format html and print it)"
    )


def write_pdf(html: str, target: Path, timeout_s: float = TIMEOUT_S) -> None:
    """Render ``html`` to a PDF at ``target`` with headless Chromium."""
    browser = find_chromium()
    with tempfile.TemporaryDirectory(prefix="vigil-pdf-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html, encoding="utf-8")
        out = Path(tmp) / "report.pdf"
        command = [
            browser,
            "--headless",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-sync",
            "--no-pdf-header-footer",
            f"--user-data-dir={Path(tmp) / 'profile'}",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        if _is_root():
            command.insert(1, "--no-sandbox")  # Chromium refuses to run as root with it
        try:
            done = subprocess.run(
                command, capture_output=True, timeout=timeout_s, check=False, cwd=tmp
            )
        except subprocess.TimeoutExpired:
            raise ReportError(f"Chromium did not print the PDF within {timeout_s:.0f} s") from None
        except OSError as exc:
            raise ReportError(f"cannot run Chromium ({browser}): {exc.strerror or exc}") from exc
        if done.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
            raise ReportError(
                f"Chromium failed to print the PDF (exit {done.returncode}): {_last_line(done)}"
            )
        shutil.move(out, target)


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _last_line(done: subprocess.CompletedProcess[bytes]) -> str:
    lines = [x for x in done.stderr.decode("utf-8", "replace").splitlines() if x.strip()]
    return lines[-1][:200] if lines else "no message"
