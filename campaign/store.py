"""Opening a campaign: the store (engine + schema) and the campaign row in it."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from hea_campaign.db import store as q
from hea_campaign.db.engine import (  # noqa: F401 - close_sqlite_stores: for whoever ends a process with os._exit
    close_sqlite_stores,
    describe_db_error,
    is_file_store,
    make_engine,
    resolve_url,
    StoreReplaced,  # noqa: F401 - shown by the CLI and the TUI
    safe_url,
    store_file,
    unit_of_work,
)
from hea_campaign.db.migrate import ensure_schema
from hea_campaign.db.tables import Campaign

from .actors import current_user, plain_text, resolve_actor  # noqa: F401 - current_user: imported from here too
from .errors import CampaignError

DEFAULT_CAMPAIGN = "default"


def _closest(name: str, names: list[str]) -> str:
    """'; did you mean ...?' with the closest existing names (or all of them when few), else ''."""
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    if close:
        return "; did you mean " + " or ".join(f"'{n}'" for n in close) + "?"
    if names:
        shown = ", ".join(f"'{n}'" for n in sorted(names)[:10])
        return f"; it has {shown}" + (" and more" if len(names) > 10 else "")
    return ""


def same_campaign_name(a: str, b: str) -> bool:
    """Two campaign names people would read as one: equal ignoring case, surrounding spaces and how Unicode
    writes the same letter ('e' with a combining accent is 'é')."""
    import unicodedata

    def key(name: str) -> str:
        return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name.strip()).casefold())

    return key(a) == key(b)


def _refuse_a_twin(name: str, names: list[str], where: str) -> None:
    """Creating ``name`` when a campaign differing only in case or surrounding spaces exists would
    split the results between two campaigns: refuse, naming the existing one."""
    twin = next((n for n in sorted(names) if same_campaign_name(n, name)), None)
    if twin is not None:
        raise CampaignError(f"a campaign named '{twin}' already exists in {where} (names differ only in case, "
                            f"spaces or how Unicode writes a letter); open it with --campaign '{twin}' instead of creating '{name}'")


def _closest_files(path) -> str:
    """Suggest store files whose names are a likely typo of the one given, in the same folder: names are
    compared without their suffix, and closely (``.db`` alone once made nope.db suggest pre_int.db, a
    backup, as the store to write into)."""
    folder = path.parent
    try:
        names = sorted(f.name for f in folder.iterdir() if f.suffix in (".db", ".sqlite", ".sqlite3") and f.is_file())
    except OSError:
        return ""
    stems = {Path(n).stem for n in names}
    close = set(difflib.get_close_matches(path.stem, sorted(stems), n=3, cutoff=0.6))
    found = [n for n in names if Path(n).stem in close]  # every file of a close stem (lab.db and lab.sqlite)
    return ("; did you mean " + " or ".join(str(folder / n) for n in found[:3]) + "?") if found else ""


def store_file_of(db: str | os.PathLike | None) -> Path | None:
    """The SQLite file a --db value names (None for a server URL)."""
    url = resolve_url(db)
    return store_file(url) if is_file_store(url) else None


def refuse_missing_store(url: str) -> None:
    """Refuse a --db file that is no store: none there, or an empty file (a copy or restore cut short),
    which opening would silently turn into a new, empty store."""
    if not is_file_store(url):
        return
    path = store_file(url)
    if not path.exists():
        raise CampaignError(f"there is no store at {path}{_closest_files(path)} (create one with: hea-campaign init)")
    try:
        empty = path.is_file() and path.stat().st_size == 0
    except OSError:
        return
    if empty:
        raise CampaignError(f"{path} is empty (0 bytes), not a store: a copy or restore cut short? Copy the backup "
                            f"there again, or create a new store with: hea-campaign init")


def _campaign_id(engine: Engine, campaign: str, url: str, actor: str | None, create: bool) -> int:
    """The campaign's id, found without the write lock (a reader never waits for a writer); created if asked."""
    with unit_of_work(engine, write=False) as session:
        row = q.find_campaign(session, campaign)
        if row is None and not create:
            names = list(session.exec(select(Campaign.name)).all())
            raise CampaignError(f"no campaign named '{campaign}' in {safe_url(url)}{_closest(campaign, names)}")
    if row is not None:
        return row.id
    with unit_of_work(engine) as session:  # looked up again under the lock: another program may have made it
        row = q.find_campaign(session, campaign)
        if row is None:
            _refuse_a_twin(campaign, list(session.exec(select(Campaign.name)).all()), safe_url(url))
            plain_text(campaign, "the campaign name", "a plain name")  # it heads exports and every screen
            row = q.create_campaign(session, campaign, resolve_actor(actor))
        return row.id


@dataclass
class CampaignStore:
    """A handle on one campaign in one store; cheap to pass around, thread-safe engine."""

    engine: Engine
    campaign_id: int
    campaign_name: str
    url: str

    @classmethod
    def open(cls, db: str | os.PathLike | None = None, campaign: str = DEFAULT_CAMPAIGN,
             actor: str | None = None, create: bool = True) -> CampaignStore:
        if not isinstance(campaign, str) or not campaign.strip():
            raise CampaignError("the campaign name is empty; give a name (the default one is 'default')")
        url = resolve_url(db)
        if not create:
            refuse_missing_store(url)
        try:
            engine = make_engine(url)
            ensure_schema(engine)
            campaign_id = _campaign_id(engine, campaign, url, actor, create)
        except DBAPIError as exc:  # server down, bad password, no such database, no rights, ...
            raise CampaignError(f"cannot open the store {safe_url(url)}: {describe_db_error(exc)}") from None
        except FileNotFoundError as exc:
            raise CampaignError(str(exc)) from None
        except ImportError as exc:
            raise CampaignError(
                f"cannot open {safe_url(url)}: the database driver is not installed ({exc.name})"
            ) from None
        return cls(engine=engine, campaign_id=campaign_id, campaign_name=campaign, url=url)

    @property
    def display_url(self) -> str:
        """The store's URL for showing to people (password masked)."""
        return safe_url(self.url)

    @contextmanager
    def write(self) -> Iterator[Session]:
        with unit_of_work(self.engine, write=True) as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with unit_of_work(self.engine, write=False) as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()
