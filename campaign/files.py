"""Writing files people rely on (synthesis batches) so they are whole or absent.

A crash, a full disk or a failing rename must never leave half a batch file
that someone might weigh metal from.  The bytes go to a temporary file in the
same folder (same file system, so the rename is atomic), are flushed and
fsynced, and only then renamed over the final name; the folder is fsynced so
the rename itself survives a power cut.  On any failure the temporary file is
removed and the error propagates.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (best effort where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on folders
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes, *, overwrite: bool = False) -> None:
    """Write ``data`` to ``path`` atomically; refuse an existing file unless ``overwrite``."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not overwrite and path.exists():
        raise FileExistsError(f"{path} already exists; choose another name (batch files are never overwritten)")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if not overwrite and path.exists():  # someone else wrote it meanwhile
            raise FileExistsError(f"{path} already exists; choose another name (batch files are never overwritten)")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(folder)
