"""Who is acting, for the audit trail (kept apart from the store so the TUI can ask before SQLAlchemy is loaded)."""

from __future__ import annotations

import getpass
import os


def current_user() -> str:
    """Who is acting: the OS user unless the caller says otherwise."""
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return os.environ.get("USER", "unknown")
