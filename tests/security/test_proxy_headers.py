"""Proxy headers are believed only from ``--trusted-proxy``; the audit has the real address.

uvicorn on its own trusts ``X-Forwarded-For`` from 127.0.0.1, so a forged header
got past the brake and into the audit log. These tests go through a real
``vigil serve`` for that reason, and through the app for the hop rules.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from httpx2 import Client
from login_clients import (
    WRONG,
    add_people,
    app_client,
    login,
    login_audit,
    post_login,
    pre_login_token,
)

from vigil.accounts.brake import BrakePolicy
from vigil.cli.exit_codes import ExitCode
from vigil.cli.main import run
from vigil.store.engine import Store, open_store
from vigil.web.app import create_app
from vigil.web.settings import WebSettings

FORGED = {
    "X-Forwarded-For": "203.0.113.7",
    "Forwarded": "for=203.0.113.8",
    "X-Real-IP": "203.0.113.9",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(tmp_path: Path, *options: str) -> Iterator[tuple[Store, int]]:
    """A store with the test accounts, served by ``vigil serve`` with ``options``."""
    url = f"sqlite:///{tmp_path / 'served.db'}"
    store = open_store(url)
    add_people(store)
    port = _free_port()
    source = Path(__file__).parents[2] / "src"
    env = {
        **os.environ,
        "VIGIL_DATABASE_URL": url,
        "PYTHONPATH": os.pathsep.join([str(source), os.environ.get("PYTHONPATH", "")]),
    }
    argv = [sys.executable, "-m", "vigil", "serve", "--port", str(port), *options]
    server = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait_until_up(port, server)
        yield store, port
    finally:
        server.terminate()
        server.wait(timeout=20)
        if server.stdout is not None:
            server.stdout.close()
        store.close()


def _wait_until_up(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            output = server.stdout.read().decode() if server.stdout else ""
            raise AssertionError(f"vigil serve exited: {output}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("vigil serve did not start in 60 s")


def _clients_seen(store: Store) -> list[str | None]:
    return [detail.get("client") for action, _, detail in login_audit(store)]


def test_served_app_ignores_forged_proxy_headers(tmp_path: Path) -> None:
    with serving(tmp_path) as (store, port), Client(base_url=f"http://127.0.0.1:{port}") as web:
        assert login(web, "eve", WRONG).status_code == 401  # no proxy header: the peer

        response = post_login(web, "eve", WRONG, pre_login_token(web), FORGED)
        assert response.status_code == 401
        assert _clients_seen(store) == ["127.0.0.1", "127.0.0.1"]


def test_served_app_believes_its_trusted_proxy(tmp_path: Path) -> None:
    options = ("--trusted-proxy", "127.0.0.1")
    with (
        serving(tmp_path, *options) as (store, port),
        Client(base_url=f"http://127.0.0.1:{port}") as web,
    ):
        # The proxy appends the address it saw; what the client wrote before it proves nothing.
        for forwarded in ("198.51.100.9", "6.6.6.6, 198.51.100.9"):
            headers = {"X-Forwarded-For": forwarded}
            assert post_login(web, "eve", WRONG, pre_login_token(web), headers).status_code == 401
        assert post_login(web, "eve", WRONG, pre_login_token(web)).status_code == 401
        assert _clients_seen(store) == ["198.51.100.9", "198.51.100.9", "127.0.0.1"]


def test_forged_addresses_do_not_escape_the_brake(store: Store) -> None:
    add_people(store)
    app = create_app(store, WebSettings(brake=BrakePolicy(max_failures=2)))
    statuses = []
    for index in range(4):  # a new forged address every time
        client = app_client(app, peer="127.0.0.1")
        headers = {"X-Forwarded-For": f"203.0.113.{index}"}

        statuses.append(post_login(client, "rex", WRONG, pre_login_token(client), headers))
    assert [s.status_code for s in statuses] == [401, 401, 429, 429]
    assert set(_clients_seen(store)) == {"127.0.0.1"}


@pytest.mark.parametrize(
    ("peer", "forwarded", "seen"),
    [
        ("10.1.2.3", "192.0.2.1", "192.0.2.1"),  # from the proxy network
        ("10.1.2.3", "198.51.100.1, 192.0.2.1, 10.9.9.9", "192.0.2.1"),  # past a second proxy
        ("10.1.2.3", "[2001:db8::5]:4711", "2001:db8::5"),
        ("10.1.2.3", "192.0.2.1, not-an-address", "10.1.2.3"),  # a hop the proxy did not write
        ("192.0.2.77", "192.0.2.1", "192.0.2.77"),  # not from a trusted proxy
    ],
)
def test_the_client_is_the_last_hop_before_the_trusted_proxies(
    store: Store, peer: str, forwarded: str, seen: str
) -> None:
    add_people(store)
    app = create_app(store, WebSettings(trusted_proxies=("10.0.0.0/8",)))
    client = app_client(app, peer=peer)

    headers = {"X-Forwarded-For": forwarded}
    assert post_login(client, "eve", WRONG, pre_login_token(client), headers).status_code == 401
    assert _clients_seen(store) == [seen]


@pytest.mark.parametrize(
    "option",
    [
        ["--trusted-proxy", "proxy.example"],
        ["--trusted-proxy", "10.0.0.0/33"],
        ["--allowed-host", "evil example"],
        ["--allowed-host", "a/b"],
    ],
)
def test_serve_refuses_bad_proxy_and_host_options(
    option: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["serve", *option]) == ExitCode.USAGE
    err = capsys.readouterr().err.strip()
    assert option[0] in err and len(err.splitlines()) == 1
