"""Exit codes of the ``vigil`` command, in one place.

| code | meaning |
|------|---------|
| 0    | success, nothing notable found |
| 1    | failure: the command could not do its job |
| 2    | usage: wrong arguments, unknown option, bad input file named by the user |
| 3    | findings: hits found (``lookup``, ``scan --fail-on-hits``, ``check``) |
| 4    | tampered: ``audit verify`` found an edited, inserted or deleted audit entry |
| 130  | interrupted by Ctrl-C |
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit status of every ``vigil`` command."""

    OK = 0
    FAILURE = 1
    USAGE = 2
    FINDINGS = 3
    TAMPERED = 4
    INTERRUPTED = 130
