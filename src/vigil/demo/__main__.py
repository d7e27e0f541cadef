"""``python -m vigil.demo``: build the benign demo, import it, scan it, show the summary."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from vigil.cli.main import run
from vigil.demo.evidence import build_demo
from vigil.demo.traces import STEGO_TOOL, build_exhibit, write_nsrl


def main() -> int:
    """Run the demo end to end in ``./demo-output`` (its own VIGIL_HOME)."""
    root = Path(os.environ.get("VIGIL_DEMO_DIR", "demo-output")).resolve()
    if root.exists():
        shutil.rmtree(root)
    os.environ["VIGIL_HOME"] = str(root / "home")
    os.environ.pop("VIGIL_DATABASE_URL", None)
    layout = build_demo(root)
    traces = build_exhibit(root / "traces")
    nsrl = write_nsrl(root / "traces" / "nsrl-rds.db", STEGO_TOOL, "Steganography")
    steps = [
        ["hashset", "import", str(layout.vics), "--name", "demo-vics", "--scheme", "uk"],
        ["hashset", "import", str(layout.known_good), "--name", "demo-known-good", "--known-good"],
        ["hashset", "list"],
        ["hashset", "show", "demo-vics"],
        ["scan", str(layout.evidence), "--case", "demo", "--examiner", "demo-examiner"],
        ["case", "list"],
        *_report_steps(root / "reports", "demo"),
        ["audit", "verify", "demo"],
        # A seized USB stick as a disk image: live, deleted and carved pictures.
        ["scan", str(layout.disk_image), "--case", "demo-disk", "--examiner", "demo-examiner"],
        *_report_steps(root / "reports", "demo-disk"),
        # A user profile with Tor, P2P, browser downloads, cloud and encryption traces:
        # the indicator rules at work (an NSRL-style set names the "steganography tool").
        ["hashset", "import", str(nsrl), "--name", "demo-nsrl", "--known-good"],
        ["scan", str(traces.root), "--case", "demo-traces", "--examiner", "demo-examiner"],
        *_report_steps(root / "reports", "demo-traces"),
    ]
    for argv in steps:
        print(f"\n$ vigil {' '.join(argv)}", flush=True)
        code = run(argv)
        if code not in (0, 3):
            print(f"demo step failed with exit code {code}", file=sys.stderr)
            return code
    print(f"\nDemo state is in {root} (VIGIL_HOME={root / 'home'}).")
    reports = sorted((root / "reports").glob("*-report.*"))
    print("Reports of the demo cases:\n" + "".join(f"  {path}\n" for path in reports), end="")
    if shutil.which("chromium") is None:
        print("  (no PDF: install chromium, or run `make demo`, which installs it)")
    return 0


def _report_steps(folder: Path, case: str) -> list[list[str]]:
    """HTML and JSON reports of a demo case, and a PDF where Chromium is installed."""
    folder.mkdir(parents=True, exist_ok=True)
    formats = ["html", "json"] + (["pdf"] if shutil.which("chromium") else [])
    return [
        ["report", case, "--format", fmt, "-o", str(folder / f"{case}-report.{fmt}")]
        for fmt in formats
    ]


if __name__ == "__main__":
    sys.exit(main())
