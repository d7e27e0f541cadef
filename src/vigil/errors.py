"""Vigil's exception tree.

Every error a user can cause or meet derives from :class:`VigilError`; the CLI
turns each into one line and an exit code (see ``vigil.cli.exit_codes``).

    VigilError
    ├── UsageError                  bad arguments or options
    │   └── AlreadyAnExhibitError   the evidence already is an exhibit (cases/exhibits.py)
    ├── ConfigError                 bad configuration, unknown scheme file
    │   └── RuleFileError           an indicator rule file is invalid (indicators/loader.py)
    ├── StoreError                  database unreachable, schema too new/old
    ├── NotFoundError               a named hash set, case or item does not exist
    ├── ImportFormatError           a hash-set file is malformed (says where)
    │   └── UnknownCategoryError    a category code the scheme does not define
    ├── ExportError                 an export could not be written
    │   └── ReportError             a case report could not be made (reports/)
    ├── ScanError                   a scan cannot start or resume
    │   └── SourceError             an evidence source cannot be opened or read
    │       ├── LimitExceeded       an archive-safety limit stopped a read (sources/limits.py)
    │       ├── MemberReadError     an archive member's data is unreadable (archives/streams.py)
    │       └── ReopenError         a stored item cannot be reopened (sources/reopen.py)
    │           └── EvidenceChangedError  its bytes no longer match the scan's SHA-256
    ├── ImageDecodeError            a picture cannot be decoded (hashing/pdq.py)
    ├── ThumbnailError              a review thumbnail cannot be made (web/thumbnails.py)
    ├── GradeError                  a grade cannot be made as asked (web/grading.py)
    ├── LoginRefused                wrong name or password, or locked (accounts/login.py)
    │   └── LoginBraked             too many failed logins from one address lately
    ├── ServeError                  the review app cannot listen (port in use; cli/serve_cmd.py)
    └── MatchIndexError             an index on disk is missing or damaged (matching/_store.py)
        └── GpuUnavailableError     the GPU path was asked for without a GPU (matching/pdq_gpu.py)

Errors that belong to one item (a corrupt picture, a bomb) become that item's
status and reason in a scan; they reach the user as errors only outside a scan.
"""

from __future__ import annotations


class VigilError(Exception):
    """Base of every error Vigil reports to a user."""


class UsageError(VigilError):
    """The command was called wrongly."""


class AlreadyAnExhibitError(UsageError):
    """Scanning evidence that already is an exhibit of the case, without ``--rescan``."""


class ConfigError(VigilError):
    """Configuration (a scheme, a rule file, a setting) is invalid."""


class RuleFileError(ConfigError):
    """An indicator rule file is invalid; ``problems`` lists each as ``file: rule: field: what``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        more = len(problems) - 1
        tail = f" (and {more} more; `vigil rules check FILE` lists them)" if more else ""
        super().__init__(f"{problems[0]}{tail}")


class StoreError(VigilError):
    """The database cannot be opened or used."""


class SchemaError(StoreError):
    """The store's schema is not the one this Vigil uses (older: upgrade it; newer: refused)."""


class NotFoundError(VigilError):
    """A named object (hash set, case, item) does not exist."""


class ImportFormatError(VigilError):
    """A hash-set file is malformed; the message says where (line, record or byte offset)."""

    def __init__(self, source: str, where: str, reason: str) -> None:
        self.source = source
        self.where = where
        self.reason = reason
        super().__init__(f"{source}: {where}: {reason}; nothing was imported")


class UnknownCategoryError(ImportFormatError):
    """A category code that the active scheme does not define."""


class ExportError(VigilError):
    """An export could not be written."""


class ReportError(ExportError):
    """A case report could not be rendered or written (e.g. no Chromium for a PDF)."""


class ScanError(VigilError):
    """A scan cannot start, continue or resume."""


class ServeError(VigilError):
    """``vigil serve`` cannot listen where it was asked to (the port is taken, say)."""


class SourceError(ScanError):
    """An evidence source cannot be opened or read."""
