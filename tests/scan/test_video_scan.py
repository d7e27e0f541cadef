"""Videos in a scan: frames hashed and stored, a listed still found with its time, bad input.

The clips are made here with PyAV: a fixture still (the picture of a PDQ set)
shown for some seconds between other scenes, re-encoded small; the same clip
inside a ZIP; truncated, corrupt and empty copies.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image
from sqlalchemy import func, select

from vigil.cases.counting import case_summary
from vigil.hashing.pdq import hash_image
from vigil.hashsets import library
from vigil.scan.analyse import Settings, _file_record
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.sources.locator import Locator
from vigil.store.engine import Store
from vigil.store.schema import item, match, video_frame

FPS = 10
STILL_FROM_S, STILL_TO_S = 3, 6
"""The listed still is on screen from 3 s to 6 s of an 9 s clip."""


def _pattern(seed: int, width: int = 320, height: int = 240) -> npt.NDArray[np.uint8]:
    """A picture with structure at every scale (PDQ needs more than noise)."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (9, 12, 3), dtype=np.uint8)
    smooth = Image.fromarray(coarse).resize((width, height), Image.Resampling.BICUBIC)
    return np.asarray(smooth, np.uint8)


STILL = _pattern(7)


def _frame_at(second: float) -> npt.NDArray[np.uint8]:
    if STILL_FROM_S <= second < STILL_TO_S:
        return STILL
    # Other scenes: a slow pan over pictures unlike the still.
    scene = _pattern(100 + int(second // 3) * 3)
    shift = int(second * 6)
    return np.roll(scene, shift, axis=1)


def make_clip(seconds: int = 9, size: tuple[int, int] = (160, 120)) -> bytes:
    """An MPEG-4 clip of ``seconds`` at FPS, frames scaled to ``size``."""
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=FPS)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = 400_000
        for n in range(seconds * FPS):
            picture = Image.fromarray(_frame_at(n / FPS)).resize(size, Image.Resampling.BILINEAR)
            frame = av.VideoFrame.from_ndarray(np.asarray(picture), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


@pytest.fixture(scope="module")
def clip() -> bytes:
    return make_clip()


@pytest.fixture(scope="module")
def still_png() -> bytes:
    out = io.BytesIO()
    Image.fromarray(STILL).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def evidence(tmp_path: Path, clip: bytes) -> Path:
    root = tmp_path / "ev"
    root.mkdir()
    (root / "clip.mp4").write_bytes(clip)
    with zipfile.ZipFile(root / "pack.zip", "w") as archive:
        archive.writestr("inner/holiday.mp4", clip)
    (root / "truncated.mp4").write_bytes(clip[: len(clip) // 3])
    # An MP4 header, then garbage: identified as a video by content, undecodable.
    (root / "corrupt.mp4").write_bytes(clip[:32] + bytes(range(256)) * 40)
    (root / "empty.mp4").write_bytes(b"")
    return root


@pytest.fixture
def still_store(store: Store, tmp_path: Path, still_png: bytes) -> Store:
    digest = hash_image(still_png)
    listed = tmp_path / "stills.csv"
    listed.write_text(f"pdq,category,name\n{digest.hash.hex()},A,still.png\n")
    library.import_file(store, listed, "stills")
    return store


def _items(store: Store) -> dict[str, object]:
    with store.connect() as conn:
        return {r.name: r for r in conn.execute(select(item))}


def test_frames_are_stored_and_a_listed_still_is_found_at_its_time(
    still_store: Store, evidence: Path
) -> None:
    # Two workers: the frames travel back from a worker process like any record.
    run_scan(still_store, [evidence], ScanOptions(case="op-video", workers=2))
    with still_store.connect() as conn:
        rows = {r.name: r for r in conn.execute(select(item))}
        frames = {
            name: conn.execute(
                select(func.count())
                .select_from(video_frame)
                .where(video_frame.c.item_id == rows[name].id)
            ).scalar_one()
            for name in ("clip.mp4", "holiday.mp4")
        }
        hits = conn.execute(select(match)).all()
    for name in ("clip.mp4", "holiday.mp4"):
        row = rows[name]
        assert row.family == "video" and row.status == "ok", row.reason
        assert frames[name] == row.attrs["video"]["frames_kept"] > 2
    assert {h.item_id for h in hits} == {rows["clip.mp4"].id, rows["holiday.mp4"].id}
    for hit in hits:
        assert hit.algorithm == "pdq" and hit.category == "A"
        assert hit.frame_s is not None and STILL_FROM_S <= hit.frame_s < STILL_TO_S
        (start, stop), *more = hit.detail["segments"]
        assert not more and start >= STILL_FROM_S and stop <= STILL_TO_S + 1
    assert rows["holiday.mp4"].location == "archive"


def test_a_video_scan_counts_reports_and_records_its_bad_videos(
    still_store: Store, evidence: Path
) -> None:
    import csv

    from vigil.reports.csv_report import write_csv_report
    from vigil.reports.gather import build_report

    run_scan(still_store, [evidence], ScanOptions(case="op-video", workers=1))
    summary = case_summary(still_store, "op-video")
    row = summary.categories["Category A"]
    assert (row.videos.instances, row.videos.unique) == (2, 1)  # the clip, and its copy zipped
    assert (row.images.instances, row.other.instances) == (0, 0)
    assert row.perceptual == 2 and row.exact == 0
    assert row.by_location == {"live": 1, "archive": 1}

    rows = _items(still_store)
    for name in ("truncated.mp4", "corrupt.mp4"):
        bad = rows[name]
        assert bad.family == "video"  # by content: a damaged video is still a video
        assert bad.status == "error" and "video" in bad.reason
    empty = rows["empty.mp4"]
    assert empty.family != "video" and empty.size == 0  # nothing to identify, nothing decoded
    assert summary.problems["error"] >= 2

    with still_store.connect() as conn:
        report = build_report(conn, "op-video", "dc-1")
    out = io.StringIO(newline="")
    write_csv_report(report, out)
    hits = [r for r in csv.DictReader(io.StringIO(out.getvalue())) if r["kind"] == "hit"]
    assert {r["family"] for r in hits} == {"video"} and len(hits) == 2
    for r in hits:
        assert STILL_FROM_S <= float(r["video_at_s"]) < STILL_TO_S
        start, stop = map(float, r["video_segments"].split("-"))
        assert start < stop


def test_an_empty_or_damaged_stream_reaching_the_hook_is_an_error(clip: bytes) -> None:
    from vigil.scan.analyse import _hash_video
    from vigil.scan.records import ItemRecord

    for data in (b"", clip[: len(clip) // 3], clip[:32] + b"\x00" * 4096):
        record = ItemRecord(Locator.for_path("/ev/x.mp4"), "file", family="video")
        _hash_video(record, io.BytesIO(data), Settings())
        assert record.status == "error" and record.reason and "video" in record.reason
        assert "\n" not in record.reason


def test_the_video_time_budget_is_a_limit_with_its_reason(clip: bytes) -> None:
    from vigil.hashing.crypto import hash_bytes

    record = _file_record(
        Locator.for_path("/ev/clip.mp4"),
        io.BytesIO(clip),
        hash_bytes(clip),
        None,
        Settings(video_timeout=1e-9),
    )
    assert record.family == "video"
    assert record.status == "limit"
    assert record.reason is not None and "time budget" in record.reason


class _StopAfter:
    """A progress sink that presses Ctrl-C once some entries are done."""

    def __init__(self, after: int) -> None:
        self.after = after
        self.seen = 0

    def total(self, items: int, size_bytes: int) -> None:
        pass

    def advance(self, items: int, size_bytes: int) -> None:
        self.seen += items
        if self.seen == self.after:
            raise KeyboardInterrupt


def _frame_rows(store: Store, case: str) -> list[tuple[object, ...]]:
    from vigil.store.schema import case as case_
    from vigil.store.schema import scan_run

    with store.connect() as conn:
        query = (
            select(item.c.locator, video_frame.c.frame_number, video_frame.c.pdq)
            .join(video_frame, video_frame.c.item_id == item.c.id)
            .join(scan_run, scan_run.c.id == item.c.run_id)
            .join(case_, case_.c.id == scan_run.c.case_id)
            .where(case_.c.name == case)
            .order_by(item.c.locator, video_frame.c.frame_number)
        )
        return [tuple(r) for r in conn.execute(query)]


def test_resume_neither_loses_nor_duplicates_frames(still_store: Store, evidence: Path) -> None:
    run_scan(still_store, [evidence], ScanOptions(case="whole", workers=1))
    with pytest.raises(KeyboardInterrupt):
        run_scan(still_store, [evidence], ScanOptions(case="cut", workers=1), _StopAfter(2))
    partial = _frame_rows(still_store, "cut")
    run_scan(still_store, [], ScanOptions(case="cut", workers=1, resume=True))
    whole, resumed = _frame_rows(still_store, "whole"), _frame_rows(still_store, "cut")
    assert whole and resumed == whole
    assert len(partial) < len(whole)


@pytest.fixture(scope="module")
def reencoded(clip: bytes) -> Iterator[bytes]:
    yield make_clip(size=(96, 72))


def test_a_smaller_reencode_still_finds_the_still(
    still_store: Store, tmp_path: Path, reencoded: bytes
) -> None:
    root = tmp_path / "small"
    root.mkdir()
    (root / "small.mp4").write_bytes(reencoded)
    run_scan(still_store, [root], ScanOptions(case="op-small", workers=1))
    with still_store.connect() as conn:
        hits = conn.execute(select(match)).all()
    assert len(hits) == 1 and STILL_FROM_S <= (hits[0].frame_s or -1) < STILL_TO_S


VPDQ = Path(__file__).resolve().parents[1] / "data" / "vpdq"


@pytest.fixture
def video_set_store(store: Store) -> Store:
    library.import_file(
        store, VPDQ / "hashes" / "pattern-sd-grey-bar.txt", "pattern-videos", category="B"
    )
    library.import_file(store, VPDQ / "hashes" / "chair-orig-22-sd-bar.txt", "chair-videos")
    return store


def test_a_scanned_video_matches_a_listed_video_by_the_vpdq_rule_and_again_on_rematch(
    video_set_store: Store, tmp_path: Path
) -> None:
    from vigil.cases import rematch

    root = tmp_path / "ev"
    root.mkdir()
    (root / "copy.mp4").write_bytes((VPDQ / "videos" / "pattern-sd-grey-bar.mp4").read_bytes())
    other = VPDQ / "videos" / "test-padded-dimensions.mp4"
    (root / "other.mp4").write_bytes(other.read_bytes())
    run_scan(video_set_store, [root], ScanOptions(case="op-vpdq", workers=1))
    rows = _items(video_set_store)
    with video_set_store.connect() as conn:
        hits = conn.execute(select(match)).all()
    (hit,) = hits
    assert hit.item_id == rows["copy.mp4"].id
    assert (hit.algorithm, hit.hashset_name) == ("vpdq", "pattern-videos")
    assert hit.detail["query_share"] >= 80 and hit.detail["listed_share"] >= 80
    assert hit.frame_s is not None and hit.frame_s < 2 and hit.distance <= 31
    summary = case_summary(video_set_store, "op-vpdq")
    assert list(summary.categories) == ["Category B"]  # the set's --category
    row = summary.categories["Category B"]
    assert (row.videos.instances, row.images.instances) == (1, 0)
    assert (row.perceptual, row.exact) == (1, 0)  # vPDQ is a near match, as PDQ

    done = rematch.apply(video_set_store, "op-vpdq", "dc-1")
    assert not done.changed  # the same stored frames against the same sets: the same figures
    with video_set_store.connect() as conn:
        algorithms = [r.algorithm for r in conn.execute(select(match).order_by(match.c.id))]
    assert algorithms == ["vpdq", "vpdq"]  # revision 1, and the re-match's revision 2


def test_a_video_inside_a_disk_image_is_hashed_and_matched(
    still_store: Store, tmp_path: Path, clip: bytes
) -> None:
    from vigil.demo.diskimage import write_fat12

    root = tmp_path / "disk"
    root.mkdir()
    write_fat12(root / "usb.img", {"CLIP.MP4": clip}, {}, [])
    run_scan(still_store, [root], ScanOptions(case="op-disk", workers=1))
    rows = {name.lower(): row for name, row in _items(still_store).items()}
    video = rows["clip.mp4"]
    assert video.family == "video" and video.status == "ok" and video.depth > 0
    with still_store.connect() as conn:
        frames = conn.execute(
            select(func.count()).select_from(video_frame).where(video_frame.c.item_id == video.id)
        ).scalar_one()
        (hit,) = conn.execute(select(match)).all()
    assert frames == video.attrs["video"]["frames_kept"]
    assert hit.item_id == video.id and STILL_FROM_S <= (hit.frame_s or -1) < STILL_TO_S
