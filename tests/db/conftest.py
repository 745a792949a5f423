"""pytest-alembic's fixtures: the store's own migration config, an empty store on the chosen backend."""

from __future__ import annotations

import pytest


@pytest.fixture
def alembic_config():
    from hea_campaign.db.migrate import alembic_config

    return alembic_config()


@pytest.fixture
def alembic_engine(make_db):
    """An empty database on the --backend (SQLite file or a fresh PostgreSQL database)."""
    from hea_campaign.db.engine import make_engine

    engine = make_engine(make_db(name="alembic"))
    yield engine
    engine.dispose()
