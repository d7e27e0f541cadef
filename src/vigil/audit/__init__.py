"""The tamper-evident audit log: who did what, when, chained by SHA-256."""

from vigil.audit.log import (
    GLOBAL_SCOPE,
    AuditEntry,
    ChainProblem,
    append,
    case_scope,
    entries,
    head,
    verify,
)

__all__ = [
    "GLOBAL_SCOPE",
    "AuditEntry",
    "ChainProblem",
    "append",
    "case_scope",
    "entries",
    "head",
    "verify",
]
