"""Hypothesis profiles for the fuzz suite: a short fixed run in make test, a long one in make fuzz.

``VIGIL_FUZZ_PROFILE=long`` (set by ``make fuzz``) tries ``VIGIL_FUZZ_EXAMPLES``
inputs per target (default 2000) from a seed given with ``--hypothesis-seed``;
the default profile tries a fixed handful so the suite stays fast and repeatable.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile(
    "quick", max_examples=30, derandomize=True, deadline=None, database=None,
    suppress_health_check=_QUIET,
)  # fmt: skip
settings.register_profile(
    "long",
    max_examples=int(os.environ.get("VIGIL_FUZZ_EXAMPLES", "2000")),
    deadline=None,
    database=None,
    suppress_health_check=_QUIET,
)
settings.load_profile(os.environ.get("VIGIL_FUZZ_PROFILE", "quick"))
