"""A consistent copy of a SQLite store while it is in use.

Copying the file with ``cp`` while the TUI, a CLI or a training worker writes
can capture half a transaction, or miss what still sits in the WAL file.
SQLite's online backup API copies the pages of one committed snapshot: the
copy is taken inside a read transaction, so a writer holding an open write
transaction neither blocks it nor leaks uncommitted rows into it (WAL mode).

The copy is written to a temporary file beside the target, switched to a
rollback journal (one self-contained file, no -wal/-shm), checked with
``PRAGMA integrity_check``, its row counts compared with the source's counts
taken in the same snapshot, fsynced, and only then linked to the target
name, which must not exist (a backup never overwrites anything).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from .engine import BUSY_TIMEOUT_MS, is_sqlite


class BackupError(RuntimeError):
    """The backup could not be made or did not check out; no file was left behind.

    A copy that could not be written (a full disk, a file-size limit) raises ``OSError`` naming the
    destination instead, so that the caller says the destination, not the store, is at fault."""


@dataclass
class BackupReport:
    path: Path
    integrity: str
    counts: dict[str, int] = field(default_factory=dict)  # table -> rows in the copy
    size_bytes: int = 0


def _tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    return [r[0] for r in rows]


def table_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Rows per table (sqlite3 connection)."""
    return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in _tables(conn)}


_SQLITE_FULL = 13  # "database or disk is full": the only file SQLite writes here is the copy
_SQLITE_IOERR_WRITE = 778  # SQLITE_IOERR | 3 << 8: a write that failed (EFBIG and EIO alike)

LOG_SUFFIXES = ("-wal", "-shm", "-journal")


def refuse_leftover_logs(dest: Path) -> None:
    """Refuse to put a store at ``dest`` while SQLite log files of another store lie there: SQLite
    replays such a -wal (or -journal) onto whatever file takes that name, so a restored copy would get
    that store's later changes back, or be corrupted."""
    logs = [p for p in (Path(f"{dest}{s}") for s in LOG_SUFFIXES) if p.exists()]
    if logs:
        raise FileExistsError(
            f"{logs[0]} is there, a log file of the store that was at {dest} (moved away without it, or still "
            f"in use) that SQLite would replay onto the copy; close every program using that store and move "
            f"{' and '.join(p.name for p in logs)} away with it, or choose another name")


def _link_no_clobber(src: Path, dest: Path) -> None:
    try:
        os.link(src, dest)
    except FileExistsError:
        raise
    except OSError:  # file systems without hard links
        if dest.exists():
            raise FileExistsError(dest) from None
        os.replace(src, dest)


def _new_temp(dest: Path) -> Path:
    """A new empty file beside ``dest``, mode 0666 less the umask (mkstemp forces 0600): the
    backup follows the user's umask like every file the tool writes."""
    for _ in range(100):
        tmp = dest.with_name(f".{dest.name}.{secrets.token_hex(6)}.tmp")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return tmp
        except FileExistsError:
            continue
    raise BackupError(f"no free temporary name beside {dest}")


def backup_sqlite(engine: Engine, dest: str | os.PathLike) -> BackupReport:
    """Copy the store behind ``engine`` to ``dest`` (which must not exist) and verify the copy."""
    if not is_sqlite(engine):
        raise BackupError(f"{engine.url.get_backend_name()} is not SQLite; use the database server's own backup tool")
    dest = Path(dest)
    if dest.exists():
        raise FileExistsError(f"{dest} already exists; a backup never overwrites a file")
    refuse_leftover_logs(dest)
    folder = dest.parent
    if not folder.is_dir():
        raise BackupError(f"the folder {folder} does not exist")
    tmp = _new_temp(dest)
    try:
        try:
            raw = engine.raw_connection()
        except (DBAPIError, sqlite3.DatabaseError) as exc:  # a damaged or truncated file, not a database
            raise BackupError(f"the store could not be read ({getattr(exc, 'orig', None) or exc})") from None
        try:
            src: sqlite3.Connection = raw.driver_connection
            dst = sqlite3.connect(tmp, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
            try:
                src.execute("BEGIN")  # one read snapshot for the counts and the copy
                try:
                    source_counts = table_counts(src)
                    src.backup(dst)
                finally:
                    src.execute("ROLLBACK")
                dst.execute("PRAGMA journal_mode=DELETE")
                integrity = "; ".join(r[0] for r in dst.execute("PRAGMA integrity_check"))
                counts = table_counts(dst)
            finally:
                dst.close()
        except sqlite3.DatabaseError as exc:  # a damaged page met while copying, a full disk, ...
            if (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF == _SQLITE_FULL:  # writing the copy, not the store
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dest)) from None
            if (getattr(exc, "sqlite_errorcode", 0) or 0) == _SQLITE_IOERR_WRITE:
                raise OSError(errno.EIO, "the write failed (disk I/O error or a file-size limit)", str(dest)) from None
            raise BackupError(f"the store could not be read or copied ({exc})") from None
        finally:
            raw.close()
        if integrity != "ok":
            raise BackupError(f"the copy failed its integrity check: {integrity[:500]}")
        if counts != source_counts:
            diff = {t: (source_counts.get(t), counts.get(t)) for t in set(counts) | set(source_counts)
                    if source_counts.get(t) != counts.get(t)}  # fmt: skip
            raise BackupError(f"the copy's row counts differ from the store's: {diff}")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        _link_no_clobber(tmp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        for suffix in ("-journal", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(str(tmp) + suffix).unlink()
    with contextlib.suppress(OSError):
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    return BackupReport(path=dest, integrity=integrity, counts=counts, size_bytes=dest.stat().st_size)
