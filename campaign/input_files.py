"""Files a user names for the tool to read: refused in one line when they are no regular file.

A named pipe would make an import wait forever for a writer, and a device
such as /dev/null reads as an empty file, which the messages then blame on
its content; both are said for what they are before anything is read.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import CampaignError


def input_file(path: str | os.PathLike, what: str, error: type[CampaignError] = CampaignError) -> Path:
    """``path`` if it is a regular file; else ``error`` saying what it is instead (``what``: 'the CSV')."""
    p = Path(path)
    if p.is_dir():
        raise error(f"{p}: is a folder, not a file; name {what} in it")
    if not p.exists():
        raise error(f"no such file: {p}")
    if not p.is_file():
        raise error(f"{p} is not a regular file (a pipe or a device?): save {what} to a file and name that")
    return p
