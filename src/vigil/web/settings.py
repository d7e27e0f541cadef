"""Settings of the review app: session lifetimes, lockout, hosts and proxies, thumbnails, breaks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from vigil.accounts.brake import BrakePolicy
from vigil.accounts.login import LockoutPolicy

LOCAL_HOSTS: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")
"""The host names a browser on this machine uses: always allowed."""


@dataclass(frozen=True, slots=True)
class WebSettings:
    """What ``vigil serve`` can change; defaults suit a CSAE unit's review room."""

    session_idle: timedelta = timedelta(minutes=30)
    """A session unused this long ends (the officer must log in again)."""
    session_max: timedelta = timedelta(hours=10)
    """No session lasts longer than one shift, however busy."""
    lockout: LockoutPolicy = field(default_factory=LockoutPolicy)
    brake: BrakePolicy = field(default_factory=BrakePolicy)
    """Failed logins per client address before further tries are refused for a while."""
    allowed_hosts: tuple[str, ...] = LOCAL_HOSTS
    """Names the ``Host`` header may carry (the port aside); any other is answered 400."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses or networks of reverse proxies whose ``X-Forwarded-For`` is believed.

    Empty: every proxy header is ignored and the client is the connection's peer."""
    thumb_px: int = 160
    """Longest side of a thumbnail, blurred or revealed."""
    blur_radius_px: float = 10.0
    """Gaussian blur radius applied at ``thumb_px`` (welfare default: shapes, no detail)."""
    sheet_frames: int = 6
    """Frames on a video's contact sheet."""
    break_every: int = 150
    """Remind the officer to take a break after every this many thumbnails (0: never)."""
    break_minutes: int = 45
    """…and after this many minutes on a grading page (0: never)."""
    graded_set: str = "local-graded"
    """The hash set that receives the force's own grades."""
    pdq_threshold: int = 31
    """Near-duplicate grouping distance, in bits (the PDQ match threshold)."""
    secure_cookies: bool = False
    """Mark cookies Secure (set when served over HTTPS, e.g. behind a proxy)."""
