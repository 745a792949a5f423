"""Migrations under test, on the --backend (SQLite by default, PostgreSQL with --backend postgresql).

pytest-alembic's standard checks run against an empty store (``alembic_engine``
in tests/db/conftest.py): one head, base -> head upgrades, the SQLModel tables
match what the migrations build, and every revision goes down and up again.
The seeded check runs every migration over a store holding the seed dataset
and requires every row to survive.
"""

from __future__ import annotations

from alembic.script import ScriptDirectory
from pytest_alembic.tests import (  # noqa: F401  (collected here: the standard checks)
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)
from sqlalchemy import inspect, text

from hea_campaign.db.migrate import alembic_config, current_revision, downgrade, head_revision, upgrade
from hea_campaign.tui.cli import main


def _row_counts(engine) -> dict[str, int]:
    names = sorted(set(inspect(engine).get_table_names()) - {"alembic_version"})
    with engine.connect() as conn:
        return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in names}


def _revisions_oldest_first() -> list:
    script = ScriptDirectory.from_config(alembic_config())
    return list(reversed(list(script.walk_revisions("base", "heads"))))


def test_every_migration_keeps_the_rows_of_a_seeded_store(seeded_store, capsys):
    """For each revision r after the first: seeded store at r's parent, upgrade to r, every row kept.

    The seed goes in with this version's code (at head) and the store is taken
    down to r's parent first, so the check needs nothing per revision and
    covers each future revision as it is added.  Finally ``upgrade head`` on
    the seeded store at head (what ``hea-campaign db upgrade`` does on an
    up-to-date store) must change nothing.
    """
    engine = seeded_store.engine
    at_head = _row_counts(engine)
    assert at_head["alloy"] > 1000 and at_head["measurement"] > 1000 and at_head["audit_event"] > 0
    for rev in _revisions_oldest_first():
        if rev.down_revision is None:
            continue
        downgrade(engine, rev.down_revision)
        before = _row_counts(engine)
        upgrade(engine, rev.revision)
        after = _row_counts(engine)
        assert {t: after.get(t) for t in before} == before, f"migration {rev.revision} lost or added rows"
    upgrade(engine, "head")
    assert current_revision(engine) == head_revision()
    assert _row_counts(engine) == at_head

    seeded_store.engine.dispose()
    assert main(["db", "upgrade", "--db", seeded_store.url]) == 0
    out = capsys.readouterr().out
    assert f"schema {head_revision()} -> {head_revision()}" in out
    assert _row_counts(engine) == at_head
