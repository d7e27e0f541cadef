"""``vigil check``: a time-boxed, read-only device check for offender managers."""

from vigil.check.outcome import HEADLINES, INDICATORS, KNOWN, NOTHING, CheckResult
from vigil.check.run import CheckOptions, run_check

__all__ = [
    "HEADLINES",
    "INDICATORS",
    "KNOWN",
    "NOTHING",
    "CheckOptions",
    "CheckResult",
    "run_check",
]
