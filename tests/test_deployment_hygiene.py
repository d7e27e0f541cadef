"""Rules for every module in src/: they hold on FIPS-mode hosts and under ``python -O``.

Police IT often runs FIPS-mode Python, where MD5 and SHA-1 refuse to work unless
the call says it is not for security; and ``python -O`` strips ``assert``, so an
assert must never be what stops bad state going further.
"""

from __future__ import annotations

import ast
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src" / "vigil"
MODULES = sorted(SOURCE.rglob("*.py"))
EVIDENCE_DIGESTS = {"md5", "sha1"}


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _digest_calls_without_flag(tree: ast.Module) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        is_hashlib = isinstance(node.func.value, ast.Name) and node.func.value.id == "hashlib"
        if is_hashlib and node.func.attr in EVIDENCE_DIGESTS:
            flags = {k.arg: k.value for k in node.keywords}
            flag = flags.get("usedforsecurity")
            if not (isinstance(flag, ast.Constant) and flag.value is False):
                lines.append(node.lineno)
    return lines


def test_the_rules_see_the_source() -> None:
    assert len(MODULES) > 100  # the walk really found src/vigil


def test_md5_and_sha1_say_they_are_not_for_security() -> None:
    offenders = {
        str(path.relative_to(SOURCE)): lines
        for path in MODULES
        if (lines := _digest_calls_without_flag(_tree(path)))
    }
    assert offenders == {}


def test_no_assert_guards_state() -> None:
    offenders = {
        str(path.relative_to(SOURCE)): lines
        for path in MODULES
        if (lines := [n.lineno for n in ast.walk(_tree(path)) if isinstance(n, ast.Assert)])
    }
    assert offenders == {}


def test_the_checks_catch_what_they_describe() -> None:
    bad = ast.parse("import hashlib\nhashlib.md5(b'x')\nhashlib.sha1(usedforsecurity=True)\n")
    good = ast.parse("import hashlib\nhashlib.md5(b'x', usedforsecurity=False)\n")
    assert _digest_calls_without_flag(bad) == [2, 3]
    assert _digest_calls_without_flag(good) == []
