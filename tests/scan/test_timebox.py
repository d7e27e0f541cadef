"""TimeBox: when a time-boxed run (``vigil check``) stops taking and finishing work."""

from __future__ import annotations

from vigil.scan.pipeline import TimeBox


def test_the_time_is_up_at_the_stop() -> None:
    now = [9.0]
    box = TimeBox(stop_at=10.0, clock=lambda: now[0])
    assert not box.up()
    now[0] = 10.0
    assert box.up()


def test_a_growing_reserve_brings_the_stop_forward() -> None:
    done = [0]
    box = TimeBox(stop_at=10.0, clock=lambda: 8.0, reserve=lambda: 0.5 * done[0])
    assert not box.up()
    done[0] = 4  # the end will take 2 s for the work done so far
    assert box.up()
