"""Fixtures of the adversarial suite: the review app's test helpers are shared with tests/web."""

from __future__ import annotations

import sys
from pathlib import Path

# The web helpers (a scanned demo site, logged-in clients) live beside the web tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))
