"""Where the store lives and how connections to it behave.

The store is a SQLite file by default (``hea-campaign.db`` in the working
directory, or ``--db``, or ``HEA_CAMPAIGN_DB``) or any SQLAlchemy URL.  SQLite
connections get WAL, foreign keys, a busy timeout and ``BEGIN IMMEDIATE`` for
write transactions, so the TUI, a CLI in another terminal and a training
worker can all write without "database is locked" surprises mid-transaction.
WAL mode is set by the first write, not on connecting: a command that only
reads leaves the file's bytes as they were (a backup stays one self-contained
file in rollback-journal mode until something writes to it).

PostgreSQL (a shared lab server, ``postgresql+psycopg://...``) gets the same
guarantees by the same rule: a write unit takes one transaction-scoped
advisory lock when it begins, so writers to one store run one after another
and each sees everything committed before it (READ COMMITTED, a fresh snapshot
per statement after the lock).  Two people adding a result for the same new
formula at once therefore never race on the alloy's unique key: the second
finds the alloy the first committed.  Read units run at REPEATABLE READ, one
consistent snapshot like a SQLite WAL reader, and take no lock.  Waiting for
the lock gives up after the same timeout as SQLite's busy timeout.

How long a writer waits for another's lock is set per thread
(``db.writer_wait``): 30 s by default, so a script or a worker waits out a
colleague's short write; the TUI's own thread waits a few seconds only, so a
long import in another terminal gives a quick "the store is busy" instead of
a frozen screen.
"""

from __future__ import annotations

import atexit
import os
import re
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import URL, Engine
from sqlalchemy.engine import make_url as _make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlmodel import Session, create_engine

from .location import DEFAULT_DB_FILE, ENV_DB, read_only_uri, resolve_url, unwritable_store  # noqa: F401
from .writer_wait import noticed_wait, thread_wait_ms

BUSY_TIMEOUT_MS = 30_000
READ_ONLY_SAYS = ("the store cannot be written from here (its file or folder is read-only): nothing was saved; "
                  "commands that only read it work, and a writable copy is one command away "
                  "(hea-campaign backup COPY.db, then --db COPY.db)")
STORE_REPLACED_SAYS = "the store file {path} was {what}: nothing was saved; {next}"
_SINCE = " since this program opened it (a restore?)"
# Key of the PostgreSQL advisory lock write units take (per database: each store has its own).
PG_WRITE_LOCK_KEY = 0x48454143  # "HEAC"


def make_url(url: str) -> URL:
    """SQLAlchemy's ``make_url``, with what it cannot read refused as an address error: a port that is not
    a number (or an unclosed IPv6 bracket) raised a bare ValueError, which read as an internal error."""
    try:
        return _make_url(url)
    except ValueError as exc:
        raise ArgumentError(f"{safe_url(str(url))} ({_why(exc)})") from None


def _why(exc: ValueError) -> str:
    text = str(exc)
    lead = "invalid literal for int() with base 10: "
    return f"the port {text[len(lead):]} is not a number" if text.startswith(lead) else text


def is_sqlite(engine_or_url: Engine | str) -> bool:
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.get_backend_name() == "sqlite"


def is_file_store(url: str) -> bool:
    """A SQLite store kept in a file (not in memory)."""
    return is_sqlite(url) and make_url(url).database not in (None, "", ":memory:")


def store_file(url: str) -> Path:
    return Path(make_url(url).database)


def is_postgresql(engine_or_url: Engine | str) -> bool:
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.get_backend_name() == "postgresql"


_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)  # on "?" + the query


def safe_url(url: str) -> str:
    """The URL for showing to people: the password masked wherever it is written, after the user name (all of
    it up to the last @ before the query, so an unescaped @ or / in it hides nothing) or as a ``password=``
    query parameter; a URL that does not parse (a port that is not a number) is masked the same way."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.startswith("sqlite"):  # a file path, never a password
        return url
    head, q, query = rest.partition("?")
    at = head.rfind("@")
    if at >= 0 and ":" in head[:at]:
        head = head[: head.index(":")] + ":***" + head[at:]
    return f"{scheme}://{head}{q}{_QUERY_PASSWORD.sub(lambda m: m.group(1) + '***', q + query)[len(q):]}"


def lock_wait_ms() -> int:
    """How long a write unit begun in this thread waits for another writer's lock (milliseconds)."""
    wait = thread_wait_ms()
    return BUSY_TIMEOUT_MS if wait is None else wait


def describe_db_error(exc: BaseException) -> str:
    """One line saying why the database refused (no driver traceback, no SQL)."""
    orig = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    if "readonly database" in str(orig) or "read-only transaction" in str(orig):
        return READ_ONLY_SAYS
    if "database is locked" in str(orig) or "lock timeout" in str(orig):
        return (f"the store is busy: another program has been writing to it for more than "
                f"{lock_wait_ms() / 1000:g} s (a large import?); nothing was saved, try again when it has finished")
    lines = [ln.strip() for ln in str(orig).splitlines() if ln.strip()]
    # libpq puts hints on later lines ("Is the server running on that host ...?"); the
    # statement itself ("LINE 2: CREATE TABLE ...", a caret under it, [SQL: ...]) is left out.
    noise = ("[SQL:", "[parameters:", "(Background on", "LINE ")
    text = "; ".join(ln for ln in lines if not ln.startswith(noise) and set(ln) != {"^"})
    return text or exc.__class__.__name__


class StoreReplaced(RuntimeError):
    """The SQLite file this engine opened is no longer the file at the store's path: writing on would
    change a file nobody will look at again (a TUI left open while a backup is restored)."""


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino


def _watch_file(engine: Engine, path: Path) -> None:
    """Refuse every unit of work once the file at ``path`` is not the one the pooled connections opened.

    SQLite keeps working on the file it opened, moved or not, so a program left open while the store is
    moved away and a backup restored under its name would go on reading and writing the old file and
    report success.  Each unit begins with one ``stat``: a file that is gone is refused every time (a
    connection would create an empty store); a file replaced is refused once, the pool is emptied, and
    the next unit opens the new file.  A commit checks again, for a write that outlives the move."""
    opened: dict[str, tuple[int, int] | None] = {"id": None}

    @event.listens_for(engine, "connect")
    def _remember(_dbapi_conn, _record) -> None:  # pragma: no cover - exercised via engine
        if opened["id"] is None:
            opened["id"] = _file_identity(path)

    @event.listens_for(engine, "begin")
    def _check(_conn) -> None:  # pragma: no cover - exercised via engine
        now = _file_identity(path)
        if now == opened["id"]:
            return
        if now is None:
            raise StoreReplaced(STORE_REPLACED_SAYS.format(path=path, what="moved away or deleted" + _SINCE,
                                                           next="put the store back there, or close this program"))
        opened["id"] = None
        engine.dispose()  # connections still out go on with the old file until returned; new ones open this one
        raise StoreReplaced(STORE_REPLACED_SAYS.format(
            path=path, what="replaced by another file" + _SINCE,
            next="what you see now comes from the new file (refresh, or run the command again) and was not changed"))

    @event.listens_for(engine, "commit")
    def _check_again(_conn) -> None:  # pragma: no cover - exercised via engine
        """A long write (an import) may outlive the file it began on: not committed then, rolled back."""
        if _file_identity(path) != opened["id"]:
            raise StoreReplaced(STORE_REPLACED_SAYS.format(
                path=path, what="moved away or replaced while this program wrote to it",
                next="run it again on the store that is there now"))


def _in_wal_mode(conn) -> None:
    """Put the store in WAL mode before this connection's first write (once per connection; it stays so).

    Not on connecting: switching the mode rewrites the file's header, and a command that only reads (a
    look at a backup, which is one file in rollback-journal mode) must leave the file as it found it."""
    info = conn.connection.info
    if not info.get("hea_wal"):
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        info["hea_wal"] = True


def _install_sqlite_behaviour(engine: Engine, read_only: bool = False) -> None:
    in_memory = engine.url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # pragma: no cover - exercised via engine
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own
        # implicit BEGIN is deferred, which loses the lock race later).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # pragma: no cover - exercised via engine
        write = conn.get_execution_options().get("hea_write", True)
        if not write:
            conn.exec_driver_sql("BEGIN")
            return
        conn.exec_driver_sql(f"PRAGMA busy_timeout={int(lock_wait_ms())}")
        with noticed_wait():
            if not in_memory and not read_only:
                _in_wal_mode(conn)
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def _install_postgresql_behaviour(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # pragma: no cover - exercised via engine
        # A writer waits for the write lock (or a row lock) at most as long as a SQLite writer would.
        if not hasattr(dbapi_conn, "autocommit"):
            return
        before = dbapi_conn.autocommit
        dbapi_conn.autocommit = True
        cur = dbapi_conn.cursor()
        try:
            cur.execute(f"SET lock_timeout = {int(BUSY_TIMEOUT_MS)}")
        finally:
            cur.close()
            dbapi_conn.autocommit = before

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # pragma: no cover - exercised via engine
        if conn.get_execution_options().get("hea_write", True):
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(lock_wait_ms())}")
            with noticed_wait():
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_WRITE_LOCK_KEY})")
        else:
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


_SQLITE_ENGINES: weakref.WeakSet = weakref.WeakSet()  # engines on a SQLite file this process opened for writing


def _close_at_exit(engine: Engine) -> None:
    """Close a SQLite store's pooled connections when the process ends (``close_sqlite_stores``)."""
    _SQLITE_ENGINES.add(engine)


@atexit.register
def close_sqlite_stores() -> None:
    """Close the pooled connections of every SQLite store this process opened: the last connection to
    close folds the write-ahead log (-wal) into the store file and removes it, so the .db file alone
    holds every change (a scientist who copies only that file has the whole store).  Run at exit, and
    by whoever ends the process without it (``os._exit``)."""
    for engine in list(_SQLITE_ENGINES):
        engine.dispose()


def make_engine(db: str | os.PathLike | None = None, *, echo: bool = False) -> Engine:
    """An engine for ``db`` with the store's connection settings applied."""
    url = resolve_url(db)
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            parent = Path(database).parent
            if not parent.exists():
                raise FileNotFoundError(f"the folder for the store does not exist: {parent}")
        connect_args = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}
        read_only = bool(database and database != ":memory:" and unwritable_store(Path(database)))
        if read_only:  # opened so that it writes nothing; a write unit then fails as read-only
            import sqlite3

            from sqlalchemy.pool import NullPool

            path = Path(database)  # a fresh connection per unit of work, each looking at the log files anew
            engine = create_engine(url, echo=echo, poolclass=NullPool,
                                   creator=lambda: sqlite3.connect(read_only_uri(path), uri=True, **connect_args))
        else:
            engine = create_engine(url, echo=echo, connect_args=connect_args)
            _close_at_exit(engine)
            if database and database != ":memory:":
                _watch_file(engine, Path(database))
        _install_sqlite_behaviour(engine, read_only)
        return engine
    engine = create_engine(url, echo=echo, pool_pre_ping=True)
    if is_postgresql(engine):
        _install_postgresql_behaviour(engine)
    return engine


def reading(engine: Engine) -> Engine:
    """The engine for connections that only read: they take no write lock, so they never wait for a writer."""
    return engine.execution_options(hea_write=False)


@contextmanager
def unit_of_work(engine: Engine, *, write: bool = True) -> Iterator[Session]:
    """One session per unit of work: commit on success, roll back on any error.

    Write units take the store's write lock when they begin (SQLite: BEGIN
    IMMEDIATE; PostgreSQL: an advisory lock); read units do not.
    """
    bind = engine if write else reading(engine)
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            if write:
                session.commit()
            # a read unit ends with close(): objects stay readable, detached
        except BaseException:
            session.rollback()
            raise
