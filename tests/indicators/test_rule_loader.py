"""Rule files: the shipped sets are valid and complete; bad files say file, rule and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from vigil.errors import RuleFileError
from vigil.indicators.loader import builtin_rule_files, load_ruleset, parse_rule_file

FAMILIES = {
    "tor", "p2p", "messaging", "cloud", "vpn", "wiping", "steganography",
    "virtual-machine", "encryption", "concealment", "download", "vault", "phone",
}  # fmt: skip

PRODUCTS = [
    "Tor Browser", "eMule", "µTorrent", "qBittorrent", "Shareaza", "Ares", "FrostWire",
    "Telegram", "WhatsApp", "Signal", "Kik", "Wickr", "Session", "Dropbox", "OneDrive",
    "Google Drive", "MEGA", "iCloud", "pCloud", "NordVPN", "WireGuard", "CCleaner", "Eraser",
    "BleachBit", "SDelete", "PrivaZer", "OpenStego", "Steghide", "VeraCrypt", "TrueCrypt",
    "BitLocker To Go", "7-Zip", "WinRAR", "LUKS", "VirtualBox", "Snapchat", "Discord",
    "Threema", "packages.xml",
]  # fmt: skip


def _write(tmp_path: Path, text: str, name: str = "rules.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_rules_are_valid_and_cover_every_family_and_product() -> None:
    ruleset = load_ruleset()
    assert {r.family for r in ruleset.rules} == FAMILIES
    assert len(builtin_rule_files()) == len(ruleset.sources) >= 11
    text = " ".join(r.description for r in ruleset.rules)
    missing = [p for p in PRODUCTS if p not in text]
    assert not missing
    assert len({r.id for r in ruleset.rules}) == len(ruleset.rules)


def test_every_shipped_rule_has_index_keys_narrower_than_all_items() -> None:
    # A rule keyed on ("all", "*") would be evaluated against every item of every scan.
    broad = [r.id for r in load_ruleset().rules if ("all", "*") in r.keys]
    assert broad == []


def test_a_valid_user_file(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "family: local\nrules:\n"
        "  - id: local-1\n    description: d\n    severity: low\n    scope: run\n"
        "    match: {path: ['**/x/**'], min_size: 10, item_family: [image]}\n",
    )
    rules, disabled, problems = parse_rule_file(path)
    assert problems == [] and disabled == []
    assert rules[0].keys == frozenset({("comp", "x")}) and rules[0].match.min_size == 10


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("  - id: a\n    description: d\n    match: {name: [x]}\n    colour: red\n",
         "rule 'a' (#1): colour: unknown key"),
        ("  - id: a\n    description: d\n    severity: urgent\n    match: {name: [x]}\n",
         "rule 'a' (#1): severity: 'urgent' is not one of info, low, medium, high"),
        ("  - id: a\n    description: d\n    match: {check: entropy9}\n",
         "rule 'a' (#1): match.check: no check 'entropy9'"),
        ("  - id: a\n    description: d\n"
         "    match: {check: {name: encrypted_container, min_entropy: high}}\n",
         "rule 'a' (#1): match.check.min_entropy: must be float"),
        ("  - id: a\n    description: d\n    match: {check: {name: ext_mismatch, colour: 1}}\n",
         "rule 'a' (#1): match.check.colour: unknown parameter (known: families)"),
        ("  - id: a\n    description: d\n    match: {path: ['**/[abc']}\n",
         "rule 'a' (#1): match.path: '**/[abc': unbalanced"),
        ("  - id: a\n    description: d\n    match: {hash: [abc]}\n",
         "rule 'a' (#1): match.hash: 'abc' is not MD5, SHA-1 or SHA-256 hex"),
        ("  - id: a\n    match: {name: [x]}\n",
         "rule 'a' (#1): description: required text"),
        ("  - id: a\n    description: d\n",
         "rule 'a' (#1): match: required mapping"),
        ("  - id: a\n    description: d\n    match: {name: []}\n",
         "rule 'a' (#1): match.name: must be a non-empty list of text"),
        ("  - id: a\n    description: d\n    match: {min_size: -1}\n",
         "rule 'a' (#1): match.min_size: must be a whole number of bytes"),
        ("  - id: Bad Id\n    description: d\n    match: {name: [x]}\n",
         "rule #1: id: required"),
        ("  - id: a\n    description: d\n    match: {name: [x]}\n"
         "  - id: a\n    description: d\n    match: {name: [y]}\n",
         "rule 'a' (#2): id: duplicate id in this file"),
    ],
)  # fmt: skip
def test_each_problem_names_file_rule_and_field(tmp_path: Path, body: str, expected: str) -> None:
    path = _write(tmp_path, "family: f\nrules:\n" + body)
    _, _, problems = parse_rule_file(path)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}: ")
    assert expected in problems[0]


def test_broken_yaml_gives_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "family: f\nrules:\n  - id: a\n   bad: [\n")
    (problem,) = parse_rule_file(path)[2]
    assert problem.startswith(f"{path}: line ") and "not valid YAML" in problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [("- a\n- b\n", "file: must be a mapping"), ("family: f\n", "file: rules: must be a list"),
     ("family: f\nrules: []\nextra: 1\n", "file: extra: unknown key")],
)  # fmt: skip
def test_file_level_problems(tmp_path: Path, text: str, expected: str) -> None:
    problems = parse_rule_file(_write(tmp_path, text))[2]
    assert any(expected in p for p in problems), problems


def test_user_rules_override_and_disable_shipped_ones(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    _write(
        tmp_path / "rules",
        "family: tor\nrules:\n  - id: tor-installer\n    enabled: false\n"
        "  - id: tor-browser-windows\n    description: mine\n    severity: low\n"
        "    match: {name: [tor.exe]}\n",
        "local.yaml",
    )
    ruleset = load_ruleset(home=tmp_path)
    by_id = {r.id: r for r in ruleset.rules}
    assert "tor-installer" not in by_id and ruleset.disabled == ["tor-installer"]
    assert by_id["tor-browser-windows"].description == "mine"
    assert str(tmp_path / "rules" / "local.yaml") in ruleset.sources


def test_load_ruleset_raises_with_the_first_problem_and_a_count(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    _write(tmp_path / "rules", "rules:\n  - id: a\n  - id: b\n", "bad.yaml")
    with pytest.raises(RuleFileError, match=r"bad.yaml: rule 'a' \(#1\): family: .*and \d+ more"):
        load_ruleset(home=tmp_path)
