"""Start-up: importing the CLI (and running ``--version``) loads no heavy library.

Structural, not timed: each heavy module named here costs tens to hundreds of
milliseconds, so a command that never needs it must not import it.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("numpy", "PIL", "sqlalchemy", "alembic", "pytsk3", "faiss", "fastapi", "argon2", "av")
"""Libraries no command needs before it runs (``--version`` and ``--help`` need none)."""

STORE_ONLY = ("numpy", "PIL", "alembic", "pytsk3", "faiss", "fastapi", "argon2", "av")
"""What ``vigil case list`` has no use for (it needs SQLAlchemy, nothing else heavy)."""


def loaded_after(code: str) -> list[str]:
    """The top-level packages of HEAVY that are in sys.modules after running ``code``."""
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def test_importing_the_cli_loads_nothing_heavy() -> None:
    assert loaded_after("import vigil.cli.main") == []


def test_version_loads_nothing_heavy() -> None:
    code = (
        "from vigil.cli.main import run\n"
        "import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert run(['--version']) == 0\n"
    )
    assert loaded_after(code) == []


def test_case_list_command_module_needs_only_the_store() -> None:
    loaded = loaded_after("import vigil.cli.case_cmd")
    assert [m for m in loaded if m in STORE_ONLY] == []


@pytest.mark.parametrize("name", ["scan", "lookup", "serve", "user", "hashset"])
def test_commands_load_on_demand(name: str) -> None:
    import click

    from vigil.cli.main import cli

    command = cli.get_command(click.Context(cli), name)
    assert isinstance(command, click.Command)
    assert command.name == name
