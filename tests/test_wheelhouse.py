"""An offline install: a fresh venv installs Vigil from the wheelhouse with no index.

Needs a built wheelhouse (``make wheelhouse-test`` builds one and points
VIGIL_WHEELHOUSE at it); a plain ``make test`` skips it, as building pdqhash and
every dependency takes minutes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

WHEELHOUSE = os.environ.get("VIGIL_WHEELHOUSE")


@pytest.mark.skipif(not WHEELHOUSE, reason="no VIGIL_WHEELHOUSE: run `make wheelhouse-test`")
@pytest.mark.timeout(900)
def test_install_from_wheelhouse_without_an_index(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip"]
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull, "PIP_INDEX_URL": "http://0.0.0.0:9/"}
    env.pop("PYTHONPATH", None)
    subprocess.run(
        [*pip, "install", "-q", "--no-index", "--find-links", str(WHEELHOUSE), "vigil[rar]"],
        check=True,
        env=env,
        cwd=tmp_path,
    )
    home = tmp_path / "home"
    run_env = {**env, "VIGIL_HOME": str(home)}
    run_env.pop("VIGIL_DATABASE_URL", None)
    vigil = str(venv / "bin" / "vigil")
    version = subprocess.run([vigil, "--version"], capture_output=True, text=True, env=run_env)
    assert version.returncode == 0
    assert version.stdout.startswith("vigil, version ")
    check = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import pdqhash, vigil.hashing; print('ok')"],
        capture_output=True,
        text=True,
        env=run_env,
        cwd=tmp_path,
    )
    assert check.stdout.strip() == "ok", check.stderr
    listed = subprocess.run([vigil, "case", "list"], capture_output=True, text=True, env=run_env)
    assert listed.returncode == 0, listed.stderr
    assert "No cases yet" in listed.stdout
