"""Category schemes resolve codes, keys and labels, and reject what they don't define."""

from __future__ import annotations

from pathlib import Path

import pytest

from vigil.errors import ConfigError
from vigil.hashsets.schemes import CategoryLookupError, load_scheme


def test_uk_scheme_resolves_codes_keys_and_labels() -> None:
    uk = load_scheme("uk")
    assert uk.resolve(1) == "A"
    assert uk.resolve("2") == "B"
    assert uk.resolve("C") == "C"
    assert uk.resolve("category a") == "A"
    assert uk.resolve("Not indecent") == "not_indecent"
    assert uk.resolve(None) == "uncategorised"
    assert uk.resolve("") == "uncategorised"
    assert [c.key for c in uk.categories] == [
        "A", "B", "C", "not_indecent", "uncategorised", "prohibited", "extreme", "age_uncertain",
    ]  # fmt: skip


def test_us_scheme_has_project_vic_codes_and_null_uncategorised() -> None:
    us = load_scheme("us")
    assert [us.resolve(i) for i in range(5)] == [
        "non_pertinent", "cam", "exploitive", "cgi", "comparison",
    ]  # fmt: skip
    assert us.resolve(None) == "uncategorised"
    assert us.code_of("uncategorised") is None
    assert us.code_of("cam") == 1


def test_unknown_code_names_the_code_and_scheme() -> None:
    with pytest.raises(CategoryLookupError, match=r"category 9 is not defined in scheme 'uk'"):
        load_scheme("uk").resolve(9)
    with pytest.raises(CategoryLookupError, match="--scheme"):
        load_scheme("us").resolve("Z")


def test_booleans_are_not_codes() -> None:
    with pytest.raises(CategoryLookupError):
        load_scheme("uk").resolve(True)


def test_custom_scheme_file(tmp_path: Path) -> None:
    path = tmp_path / "force.yaml"
    path.write_text(
        "name: force\nnull_means: ungraded\ncategories:\n"
        "  - {key: A, code: 10, label: Cat A, indecent: true}\n"
        "  - {key: ungraded, code: 0, label: Ungraded}\n"
    )
    scheme = load_scheme(str(path))
    assert scheme.resolve(10) == "A"
    assert scheme.resolve(None) == "ungraded"
    assert scheme.label("A") == "Cat A"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\ncategories: []\n", "non-empty list"),
        ("categories:\n  - {key: A}\n", "'name'"),
        ("name: x\ncategories:\n  - {key: A, code: 1}\n  - {key: A, code: 2}\n", "unique"),
        ("name: x\ncategories:\n  - {key: A, code: 1}\n  - {key: B, code: 1}\n", "unique"),
        ("name: x\ncategories:\n  - {key: A, code: one}\n", "integer"),
        ("name: x\nnull_means: Q\ncategories:\n  - {key: A, code: 1}\n", "null_means"),
        ("name: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_scheme_files_are_config_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_scheme(str(path))


def test_unknown_scheme_name() -> None:
    with pytest.raises(ConfigError, match="unknown scheme 'nz'"):
        load_scheme("nz")
