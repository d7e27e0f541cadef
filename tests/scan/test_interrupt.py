"""Ctrl-C during a scan: what is finished is committed, and the resume command is printed."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from vigil.demo.imagegen import encode, make_picture
from vigil.scan import pipeline
from vigil.scan.analyse import Settings, analyse_task
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.scan.records import ItemRecord, Task
from vigil.scan.writer import committed_task_count
from vigil.store.engine import Store
from vigil.store.schema import scan_run, scan_task


def fill(root: Path, pictures: int) -> Path:
    """Distinct small pictures in folders of 50."""
    base = encode(make_picture(11, (160, 120)))
    for i in range(pictures):
        folder = root / f"d{i // 50:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{i:04d}.jpg").write_bytes(base + i.to_bytes(4, "big"))
    return root


def committed(store: Store) -> int:
    with store.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(scan_task)).scalar_one())


def test_ctrl_c_commits_every_finished_task(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    evidence = fill(tmp_path / "evidence", 120)
    # No commit by size or age before the interrupt: only the Ctrl-C path can save them.
    monkeypatch.setattr(pipeline, "COMMIT_TASKS", 10**6)
    monkeypatch.setattr(pipeline, "COMMIT_SECONDS", 10**6)
    seen: list[str] = []

    def analyse(task: Task, settings: Settings) -> list[ItemRecord]:
        if len(seen) == 80:
            raise KeyboardInterrupt
        seen.append(task.key)
        return analyse_task(task, settings)

    monkeypatch.setattr(pipeline, "analyse_task", analyse)
    with pytest.raises(KeyboardInterrupt):
        run_scan(store, [evidence], ScanOptions(case="cut", workers=1))
    assert committed(store) == 80
    with store.connect() as conn:
        run_id = int(conn.execute(sa.select(scan_run.c.id)).scalar_one())
        assert committed_task_count(conn, run_id) == 80
        kept = set(conn.execute(sa.select(scan_task.c.task_key)).scalars())
    assert kept == set(seen)

    monkeypatch.setattr(pipeline, "analyse_task", analyse_task)
    outcome = run_scan(store, [], ScanOptions(case="cut", workers=1, resume=True))
    assert (outcome.tasks_skipped, outcome.tasks_done) == (80, 124 - 80)


@pytest.mark.slow
def test_ctrl_c_prints_the_resume_command(store: Store, db_url: str, tmp_path: Path) -> None:
    evidence = fill(tmp_path / "evidence", 1500)
    argv = [
        sys.executable,
        "-X",
        "faulthandler",
        "-m",
        "vigil",
        "--db",
        db_url,
        "scan",
        str(evidence),
    ]
    argv += ["--case", "OP ctrl-c", "--workers", "2"]
    env = {k: v for k, v in os.environ.items() if k != "VIGIL_DATABASE_URL"}
    # Its own process group, like a terminal's foreground job: Ctrl-C reaches the workers too.
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    deadline = time.monotonic() + 240
    while committed(store) < 100:
        assert proc.poll() is None, "the scan ended before it could be interrupted"
        assert time.monotonic() < deadline, "the scan made no progress"
        time.sleep(0.05)
    at_signal = committed(store)
    os.killpg(proc.pid, signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired as hung:
        # Still running a minute after Ctrl-C: show where it is stuck (faulthandler's dump).
        os.kill(proc.pid, signal.SIGABRT)
        _, err = proc.communicate(timeout=20)
        raise AssertionError(err.decode()[-8000:]) from hung
    assert proc.returncode == 130, err
    saved = committed(store)
    assert at_signal <= saved < 1500 + 31
    assert err.decode().strip().splitlines()[-1] == (
        f"vigil: interrupted: {saved:,} top-level entries saved; finish the scan with: "
        f"vigil --db {shlex.quote(db_url)} scan --resume --case 'OP ctrl-c'"
    )
    assert "Traceback" not in err.decode()

    resumed = subprocess.run(
        [*argv[:7], "scan", "--resume", "--case", "OP ctrl-c", "--workers", "2"],
        env=env,
        capture_output=True,
        timeout=240,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert committed(store) == 1500 + 31  # the pictures, their 30 folders and the root
