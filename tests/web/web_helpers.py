"""Helpers of the review-app tests: a scanned demo case with users, logged-in clients."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from vigil.accounts import assignments, users
from vigil.demo.evidence import DemoLayout, build_demo
from vigil.demo.imagegen import make_picture
from vigil.hashsets import library
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.store.engine import Store, open_store
from vigil.web.app import create_app
from vigil.web.settings import WebSettings

PASSWORD = "correct horse battery"
CASE = "op-demo"
PEOPLE = {
    "ada": "admin",
    "eve": "examiner",
    "rex": "reviewer",
    "ed": "examiner",
    "rita": "reviewer",
    "val": "examiner",
}
"""eve and rex work on the case; ed and rita are not assigned to it; admins act on val."""

BASE_URL = "http://localhost"
"""What test clients call: a name on the app's default Host allow-list."""


def app_client(app: FastAPI, **options: Any) -> TestClient:
    """A test client of ``app`` that sends an allowed Host (``testserver`` is refused)."""
    return TestClient(app, base_url=BASE_URL, **options)


@dataclass
class Site:
    """A store with a scanned case and accounts, and a way to get clients."""

    store: Store
    demo: DemoLayout
    case_id: int
    settings: WebSettings

    def client(self, name: str | None = None) -> TestClient:
        """A client of a fresh app, logged in as ``name`` (anonymous for None)."""
        client = app_client(create_app(self.store, self.settings), follow_redirects=False)
        if name is not None:
            response = login(client, name, PASSWORD)
            assert response.status_code == 303, response.text
        return client


def pre_login_token(client: TestClient) -> str:
    """The login form's CSRF token (and its cookie, now in the client)."""
    page = client.get("/login")
    # The login form's token is the last on the page (a logged-in header has a logout form).
    found = re.findall(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    return str(found[-1])


def login(client: TestClient, name: str, password: str) -> object:
    """Post the login form as a browser would."""
    token = pre_login_token(client)
    return client.post(
        "/login", data={"name": name, "password": password, "csrf_token": token, "next": "/cases"}
    )


def csrf_of(client: TestClient) -> str:
    """The session's CSRF token, read from a page's meta tag."""
    page = client.get("/me")
    found = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def make_site(store: Store, tmp_path: Path, settings: WebSettings | None = None) -> Site:
    """Scan the demo evidence into case op-demo and add the people of :data:`PEOPLE`."""
    demo = build_demo(tmp_path / "demo")
    library.import_file(store, demo.vics, "demo-vics")
    library.import_file(store, demo.known_good, "demo-known-good", known_good=True)
    run_scan(store, [demo.evidence], ScanOptions(case=CASE, workers=1))
    for name, role in PEOPLE.items():
        users.add_user(store, name, role, PASSWORD, "test-setup")
    assignments.assign(store, "eve", CASE, "test-setup")
    assignments.assign(store, "rex", CASE, "test-setup")
    from sqlalchemy import select

    from vigil.store.schema import case

    with store.connect() as conn:
        case_id = int(conn.execute(select(case.c.id).where(case.c.name == CASE)).scalar_one())
    return Site(store, demo, case_id, settings or WebSettings())


def make_video(path: Path, seconds: int = 3, fps: int = 10, with_audio: bool = True) -> None:
    """A short MP4 of generated pictures (and a tone track) written with PyAV."""
    with av.open(str(path), mode="w") as container:
        video = container.add_stream("mpeg4", rate=fps)
        video.width, video.height, video.pix_fmt = 320, 240, "yuv420p"
        audio = container.add_stream("aac", rate=16000) if with_audio else None
        for index in range(seconds * fps):
            picture = make_picture(700 + index // fps, (320, 240))
            frame = av.VideoFrame.from_image(picture)
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        if audio is not None:
            samples = np.sin(np.linspace(0, 440 * 2 * np.pi * seconds, 16000 * seconds))
            block = (samples[None, :] * 0.2).astype(np.float32)
            tone = av.AudioFrame.from_ndarray(block, format="fltp", layout="mono")
            tone.sample_rate = 16000
            container.mux(audio.encode(tone))
            container.mux(audio.encode(None))


def free_port() -> int:
    """A TCP port on localhost that nothing listens on (just now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def vigil_serve(db_url: str, vigil_home: Path, *options: str) -> Iterator[str]:
    """`vigil serve` in a subprocess on a free port; yields its base URL once it answers."""
    port = free_port()
    env = {**os.environ, "VIGIL_DATABASE_URL": db_url, "VIGIL_HOME": str(vigil_home)}
    argv = [sys.executable, "-m", "vigil", "serve", "--port", str(port), *options]
    server = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _answers(f"{base}/login"):
            if server.poll() is not None:
                output = server.stdout.read().decode() if server.stdout else ""
                raise AssertionError(f"vigil serve exited: {output}")
            assert time.monotonic() < deadline, "vigil serve did not start in 30 s"
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)
        if server.stdout is not None:
            server.stdout.close()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@contextmanager
def built_sqlite_site(root: Path) -> Iterator[Site]:
    """The demo site on SQLite under ``root`` (for fixtures built once per module)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VIGIL_HOME", str(root / "home"))
        patch.delenv("VIGIL_DATABASE_URL", raising=False)
        store = open_store(f"sqlite:///{root / 'vigil.db'}")
        try:
            yield make_site(store, root)
        finally:
            store.close()
