"""The store's schema version, for `hea-campaign db current` and `db upgrade`, without creating stores.

A path that names no store, or an empty file, is refused (only `init` creates
one), so a typo in --db never leaves an empty store behind and a restore cut
short is not quietly made into a blank store.
"""

from __future__ import annotations

from dataclasses import dataclass

from hea_campaign.db.engine import make_engine, resolve_url, safe_url
from hea_campaign.db.migrate import current_revision, head_revision, upgrade

from .errors import CampaignError

ROLES_REVISION = "0008"  # model_version_alloy: what each version did with each alloy
from .store import refuse_missing_store


@dataclass(frozen=True)
class SchemaState:
    store: str  # URL for people (password masked)
    before: str | None  # revision before the command (None: empty store)
    current: str | None
    needed: str  # the revision this version of hea-campaign needs


def _engine(db: str | None):
    url = resolve_url(db)
    refuse_missing_store(url)  # none there, or 0 bytes (a restore cut short): never made into a blank store
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


def record_older_roles(db: str | None):
    """After an upgrade: what each version without recorded roles did with each alloy, read from its checkpoint
    (campaign.model_roles_backfill.Backfill), on every ``db upgrade`` from 0008 on, so a version missed once (a
    checkpoint folder not mounted then) is recorded by the next; None below 0008."""
    url, engine = _engine(db)
    try:
        now = current_revision(engine)
        if now is None or now < ROLES_REVISION:
            return None
        from .model_roles_backfill import backfill_model_roles

        return backfill_model_roles(engine, url)
    finally:
        engine.dispose()
