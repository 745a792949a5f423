"""Writing files people rely on (synthesis batches) so they are whole or absent.

A crash, a full disk or a failing rename must never leave half a batch file
that someone might weigh metal from.  The bytes go to a temporary file in the
same folder (same file system, so the rename is atomic), are flushed and
fsynced, and only then renamed over the final name; the folder is fsynced so
the rename itself survives a power cut.  On any failure the temporary file is
removed and the error propagates.

Files follow the user's umask (a lab group shares batch files and models):
the temporary file is created with mode 0666 and the umask applied by the
system, where ``tempfile.mkstemp`` would force 0600.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
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


def temp_name_pattern(path: Path) -> str:
    """The glob of the temporary files ``atomic_write_bytes`` makes for ``path`` (for clean-up)."""
    return f".{Path(path).name}.*.tmp"


def new_temp_file(path: Path) -> tuple[int, Path]:
    """Create a new, empty temporary file beside ``path`` (mode 0666 less the umask); (fd, its path)."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    for _ in range(100):
        tmp = folder / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:
            continue
        except OSError as exc:  # no such folder, no rights...: name the file asked for, not the temporary one
            raise type(exc)(exc.errno, exc.strerror, str(path)) from None
    raise FileExistsError(f"no free temporary name beside {path}")


def atomic_write_bytes(path: Path, data: bytes, *, overwrite: bool = False,
                       step: Callable[[str], None] | None = None) -> None:
    """Write ``data`` to ``path`` atomically; refuse an existing file unless ``overwrite``.

    ``step`` (if given) is called with "temp-written" and "renamed" as the
    write passes those points (the crash test kills the process there).
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not overwrite and path.exists():
        raise FileExistsError(f"{path} already exists; choose another name (batch files are never overwritten)")
    fd, tmp = new_temp_file(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if step:
            step("temp-written")
        if not overwrite and path.exists():  # someone else wrote it meanwhile
            raise FileExistsError(f"{path} already exists; choose another name (batch files are never overwritten)")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if step:
        step("renamed")
    fsync_dir(folder)


def write_failure(exc: OSError, path: str | os.PathLike) -> str:
    """Why writing ``path`` failed, in words, naming the place written to (not a file read from).

    A full disk names the folder whose disk is full; a file-size limit (``ulimit -f``) and a used-up
    quota are said as such; anything else gives the system's reason."""
    import errno

    if exc.errno == errno.EFBIG:
        return f"a file-size limit (ulimit -f) stopped writing {path} (file too large)"
    reason = write_reason(exc, path)
    return reason if reason.startswith("the disk") else f"could not write {path}: {reason}"


def write_reason(exc: OSError, path: str | os.PathLike) -> str:
    """``write_failure`` without the file's name where the reason does not need it."""
    import errno

    path = Path(path)
    if exc.errno == errno.ENOSPC:
        return f"the disk holding {path.parent} is full (no space left on the device)"
    if exc.errno == errno.EFBIG:
        return "a file-size limit (ulimit -f) stopped the write (file too large)"
    if exc.errno == errno.EDQUOT:
        return f"the disk quota for {path.parent} is used up"
    return str(exc.strerror or exc)
