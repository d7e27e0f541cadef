"""``vigil serve`` on a port already taken: one clear line and exit 1, before serving anything."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from vigil.cli.exit_codes import ExitCode
from vigil.cli.serve_cmd import ensure_port_free
from vigil.errors import ServeError


def test_port_in_use_is_one_line_and_exit_1(tmp_path: Path, vigil_home: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "VIGIL_HOME": str(vigil_home)}
        env.pop("VIGIL_DATABASE_URL", None)
        done = subprocess.run(
            [sys.executable, "-m", "vigil", "serve", "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == ExitCode.FAILURE == 1
    # Checked before the app is built: nothing else is printed, not even the no-accounts hint.
    assert done.stderr.splitlines() == [
        f"vigil: error: port {port} on 127.0.0.1 is already in use (another vigil serve?): "
        "stop it or choose another with --port"
    ], done.stderr


def test_a_free_port_passes_and_stays_free() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ensure_port_free("127.0.0.1", port)
    ensure_port_free("127.0.0.1", port)  # the probe let go of it


def test_unknown_host_is_named() -> None:
    with pytest.raises(ServeError, match=r"cannot listen on no-such-host\.invalid"):
        ensure_port_free("no-such-host.invalid", 8080)
