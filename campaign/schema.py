"""The store's schema version, for `hea-campaign db current` and `db upgrade`, without creating stores.

A path that names no store is refused (only `init` creates one), so a typo
in --db never leaves an empty store behind.
"""

from __future__ import annotations

from dataclasses import dataclass

from hea_campaign.db.engine import is_file_store, make_engine, resolve_url, safe_url, store_file
from hea_campaign.db.migrate import current_revision, head_revision, upgrade

from .errors import CampaignError


@dataclass(frozen=True)
class SchemaState:
    store: str  # URL for people (password masked)
    before: str | None  # revision before the command (None: empty store)
    current: str | None
    needed: str  # the revision this version of hea-campaign needs


def _engine(db: str | None):
    url = resolve_url(db)
    if is_file_store(url) and not store_file(url).exists():
        raise CampaignError(f"there is no store at {store_file(url)} (create one with: hea-campaign init)")
    return url, make_engine(url)


def schema_state(db: str | None) -> SchemaState:
    url, engine = _engine(db)
    try:
        now = current_revision(engine)
    finally:
        engine.dispose()
    return SchemaState(safe_url(url), now, now, head_revision())


def upgrade_schema(db: str | None, revision: str = "head") -> SchemaState:
    """Migrate to ``revision``; an unknown revision is a CampaignError naming the known ones."""
    from alembic.util.exc import CommandError

    url, engine = _engine(db)
    try:
        before = current_revision(engine)
        try:
            upgrade(engine, revision)
        except CommandError as exc:
            raise CampaignError(f"cannot upgrade to revision '{revision}': {exc}") from None
        after = current_revision(engine)
    finally:
        engine.dispose()
    return SchemaState(safe_url(url), before, after, head_revision())
