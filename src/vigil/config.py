"""Where Vigil keeps its state and which database it talks to."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_HOME = Path("~/.local/share/vigil")


def vigil_home() -> Path:
    """The folder for the hash library and cases: ``$VIGIL_HOME`` or ``~/.local/share/vigil``."""
    raw = os.environ.get("VIGIL_HOME")
    home = Path(raw) if raw else DEFAULT_HOME.expanduser()
    return home


def database_url() -> str:
    """The SQLAlchemy URL: ``$VIGIL_DATABASE_URL`` or SQLite ``vigil.db`` under the home."""
    url = os.environ.get("VIGIL_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{vigil_home() / 'vigil.db'}"


def current_user() -> str:
    """Who runs this command, for provenance: ``$VIGIL_USER`` or the login name."""
    for var in ("VIGIL_USER", "USER", "LOGNAME"):
        if os.environ.get(var):
            return os.environ[var]
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (KeyError, ImportError):
        return "unknown"
