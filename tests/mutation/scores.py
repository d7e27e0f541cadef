"""Mutation score per module and per function from mutmut's results (``make mutation``).

mutmut 3 leaves one ``mutants/<source>.meta`` file per mutated module with the exit
code of the test run against each mutant; this prints, per module and per function,
how many mutants the tests killed out of those they reach, and lists the survivors.
Mutants that no selected test reaches ("no tests") are counted apart: they are code
outside the court-critical functions this run is about, not a gap in the score.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

KILLED = {1, 3, 37}  # test failure, pytest internal error (a kill), caught by type check
NO_TESTS = {5, 33}
TIMEOUT = {24, -24, 36, 152, 255}


def verdict(exit_code: int | None) -> str:
    """mutmut's verdict for one mutant, from the exit code of its test run."""
    if exit_code is None:
        return "not checked"
    if exit_code in KILLED:
        return "killed"
    if exit_code in NO_TESTS:
        return "no tests"
    if exit_code in TIMEOUT:
        return "timeout"  # the mutant hung the tests: detected, counted as killed
    if exit_code == 0:
        return "survived"
    return "suspicious"


def function_of(key: str) -> str:
    """``x_func`` or ``xǁClassǁmethod`` of a mutant key, readable: ``func``, ``Class.method``."""
    mangled = key.rsplit("__mutmut_", 1)[0].rsplit(".", 1)[1]
    if mangled.startswith("xǁ"):
        return mangled.removeprefix("xǁ").replace("ǁ", ".")
    return mangled.removeprefix("x_")


def main(root: Path) -> int:
    """Print the tables; exit 1 when there is no mutmut result to read."""
    metas = sorted(root.glob("**/*.py.meta"))
    if not metas:
        print(f"no mutmut results under {root}; run `make mutation` first", file=sys.stderr)
        return 1
    survivors: list[str] = []
    print(f"{'module / function':58} {'killed':>7} {'reached':>8} {'score':>7} {'no tests':>9}")
    for meta in metas:
        module = str(meta.relative_to(root)).removesuffix(".meta")
        codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
        per_function: dict[str, Counter[str]] = defaultdict(Counter)
        for key, code in codes.items():
            status = verdict(code)
            per_function[function_of(key)][status] += 1
            if status in ("survived", "suspicious", "not checked"):
                survivors.append(f"{key}  [{status}]")
        total: Counter[str] = sum(per_function.values(), Counter())
        print(_row(module, total))
        for name, counts in sorted(per_function.items()):
            if counts["no tests"] < sum(counts.values()):
                print(_row(f"  {name}", counts))
    print(f"\n{len(survivors)} surviving mutants (see them with `mutmut show NAME`):")
    for name in survivors:
        print(f"  {name}")
    return 0


def _row(label: str, counts: Counter[str]) -> str:
    killed = counts["killed"] + counts["timeout"]
    reached = sum(counts.values()) - counts["no tests"]
    score = f"{100 * killed / reached:6.1f}%" if reached else "     -"
    return f"{label:58} {killed:>7} {reached:>8} {score:>7} {counts['no tests']:>9}"


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("mutants")))
