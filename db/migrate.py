"""Schema migrations (Alembic): bring a store to the schema this code expects.

A new, empty store is created at the newest revision.  An older store is
never migrated behind the user's back: ``hea-campaign db upgrade`` does it,
after the user has had the chance to make a backup.

Opening a store at the current schema (every command does it) reads the
``alembic_version`` row with one query and compares it with ``SCHEMA_HEAD``;
Alembic itself (about a third of a second of imports and parsing the
migration scripts) is loaded only to create, upgrade or explain a mismatch.
A test checks that ``SCHEMA_HEAD`` is Alembic's head.
"""

from __future__ import annotations

from importlib import metadata
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from .engine import reading
from .states import SCHEMA_HEAD

if TYPE_CHECKING:
    from alembic.config import Config

SCRIPT_LOCATION = "hea_campaign.db:migrations"


class SchemaOutOfDate(RuntimeError):
    """The store was written by an older version and needs ``db upgrade``."""


class SchemaTooNew(SchemaOutOfDate):
    """The store was written by a newer hea-campaign than this one; upgrade the program, not the store."""


def program_version() -> str:
    try:
        return metadata.version("hea-campaign")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def schema_requires(engine: Engine) -> str | None:
    """The oldest hea-campaign that reads this store's schema (store_info), if the store says."""
    if "store_info" not in inspect(reading(engine)).get_table_names():
        return None
    with reading(engine).connect() as conn:
        return conn.execute(text("SELECT value FROM store_info WHERE key = 'schema_requires'")).scalar()


def check_not_newer(engine: Engine, current: str | None) -> None:
    """Refuse, in words, a store whose schema revision this version does not know."""
    if current is None or current in known_revisions():
        return
    needs = schema_requires(engine)
    if needs and not _newer(needs, program_version()):
        raise SchemaTooNew(
            f"this store's schema revision {current} is not one hea-campaign {program_version()} knows (it knows "
            f"revisions up to {head_revision()}), though the store says hea-campaign {needs} reads it: it was "
            f"changed by hand or by a development build; nothing was changed, ask whoever wrote it")
    wanted = f"hea-campaign {needs} or newer" if needs else "a newer hea-campaign"
    raise SchemaTooNew(
        f"this store was written by {wanted} (schema revision {current}); this is hea-campaign "
        f"{program_version()}, which knows revisions up to {head_revision()}. Install {wanted} "
        f"(pip install -U 'hea-campaign>={needs or program_version()}'); the store itself is fine"
    )


def _newer(version: str, than: str) -> bool:
    """Whether release ``version`` comes after ``than`` (True when either cannot be read: ask for it)."""
    import re

    def release(v: str) -> tuple[int, ...] | None:
        m = re.match(r"\d+(?:\.\d+)*", v.strip())  # the release part: 0.5.0 of 0.5.0.dev1
        return tuple(int(p) for p in m.group().split(".")) if m else None

    a, b = release(version), release(than)
    return a is None or b is None or a > b


def alembic_config(connection=None, url: str | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with reading(engine).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    check_not_newer(engine, current_revision(engine))
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), revision)


def _stored_revision(engine: Engine) -> str | None:
    """The revision in ``alembic_version``, read without Alembic (None if there is no such row or table)."""
    try:
        with reading(engine).connect() as conn:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except DBAPIError:  # no alembic_version table: an empty database, or not a store
        return None
    return rows[0] if len(rows) == 1 else None


def ensure_schema(engine: Engine) -> None:
    """Create the schema on an empty store; refuse an out-of-date one."""
    if _stored_revision(engine) == SCHEMA_HEAD:
        return  # the common case, decided without importing Alembic
    current = current_revision(engine)
    if current is None:
        if inspect(reading(engine)).get_table_names():
            raise SchemaOutOfDate(
                "this database has tables but no hea-campaign schema version; it is not a campaign store"
            )
        upgrade(engine)
        return
    check_not_newer(engine, current)
    head = head_revision()
    if current != head:
        raise SchemaOutOfDate(
            f"the store's schema is at revision {current} but this version of hea-campaign needs {head}; "
            "back it up (hea-campaign backup PATH) and run: hea-campaign db upgrade"
        )
