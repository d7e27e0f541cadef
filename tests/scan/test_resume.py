"""Kill -9 a real scan at several points; --resume must give the uninterrupted result."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from vigil.demo.evidence import DemoLayout
from vigil.demo.imagegen import encode, make_picture
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.store.engine import Store, open_store
from vigil.store.schema import case, item, match, scan_run, scan_task


def grow_evidence(root: Path, files: int) -> None:
    """Add many small pictures and an archive per folder, so a scan takes a few seconds."""
    picture = encode(make_picture(7, (96, 72)))
    for folder in range(files // 50):
        target = root / f"bulk/{folder:03d}"
        target.mkdir(parents=True)
        for i in range(50):
            (target / f"{i:03d}.jpg").write_bytes(picture + f"{folder}-{i}".encode())
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            for i in range(20):
                z.writestr(f"z/{i}.jpg", picture + f"zip-{folder}-{i}".encode())
        (target / "pack.zip").write_bytes(buffer.getvalue())


def snapshot(store: Store, case_name: str) -> list[tuple[object, ...]]:
    """Everything a result consists of, independent of row ids and run ids."""
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(
                item.c.locator,
                item.c.status,
                item.c.reason,
                item.c.md5,
                item.c.pdq,
                item.c.review,
                item.c.file_type,
                match.c.hashset_name,
                match.c.algorithm,
                match.c.distance,
                match.c.category,
            )
            .select_from(
                item.join(scan_run, scan_run.c.id == item.c.run_id)
                .join(case, case.c.id == scan_run.c.case_id)
                .outerjoin(match, match.c.item_id == item.c.id)
            )
            .where(case.c.name == case_name)
        ).all()
    return sorted((tuple(r) for r in rows), key=repr)


def committed_tasks(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(scan_task)).scalar_one())
    except sa.exc.OperationalError:
        return 0
    finally:
        engine.dispose()


def start_scan(url: str, evidence: Path, case_name: str, *extra: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, VIGIL_DATABASE_URL=url)
    argv = [sys.executable, "-m", "vigil", "scan", "--case", case_name, "--workers", "2", *extra]
    if "--resume" not in extra:
        argv.insert(4, str(evidence))
    return subprocess.Popen(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )


@pytest.mark.slow
# Start-up, the first commit, and half way (the scan has about 640 top-level tasks):
# a kill at 900 of 1,200 files once ran too, at the cost of 15 s a database, and
# tested nothing the half-way kill does not.
@pytest.mark.parametrize("kill_after_tasks", [0, 1, 320])
def test_kill_9_then_resume_equals_uninterrupted(
    demo_store: Store, demo: DemoLayout, db_url: str, kill_after_tasks: int
) -> None:
    grow_evidence(demo.evidence, 600)
    run_scan(demo_store, [demo.evidence], ScanOptions(case="reference", workers=2))
    expected = snapshot(demo_store, "reference")
    before = committed_tasks(db_url)

    proc = start_scan(db_url, demo.evidence, "killed")
    deadline = time.monotonic() + 120
    while committed_tasks(db_url) - before < kill_after_tasks and proc.poll() is None:
        assert time.monotonic() < deadline, "scan made no progress"
        time.sleep(0.02)
    if kill_after_tasks == 0:
        time.sleep(1.0)  # inside start-up: run created, workers spawning
    # Kill the whole process group: the scan and its workers, as a crash or power cut would.
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()  # reaps it and closes its pipe
    assert proc.returncode == -signal.SIGKILL, "the scan finished before it could be killed"

    resumed = start_scan(db_url, demo.evidence, "killed", "--resume")
    _, err = resumed.communicate(timeout=300)
    if kill_after_tasks == 0 and b"no unfinished scan" in err:
        # Killed before the run was committed: nothing to resume, scan afresh.
        fresh = start_scan(db_url, demo.evidence, "killed")
        _, err = fresh.communicate(timeout=300)
        assert fresh.returncode == 0, err.decode()
    else:
        assert resumed.returncode == 0, err.decode()
    store = open_store(db_url)
    try:
        assert snapshot(store, "killed") == expected
        with store.connect() as conn:
            status = (
                conn.execute(
                    sa.select(scan_run.c.status)
                    .join(case, case.c.id == scan_run.c.case_id)
                    .where(case.c.name == "killed")
                )
                .scalars()
                .all()
            )
        assert status == ["complete"]
    finally:
        store.close()
