"""alloy label state kept by the database

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 21:00:00

``status`` and the dashboard count alloys by label state (single phase,
multi phase, conflicting, unlabelled, proposal only) and current measurements.
Counting them from the measurements reads every measurement (about 3 s of
CPU at 10^6 alloys in SQLite).  From this revision each alloy row carries
its own state, kept by the database itself:

- ``alloy.n_current``: its measurements that no other measurement supersedes;
- ``alloy.label_state``: ``none`` (no current measurement), ``unlabelled``
  (current measurements, none with a phase label), ``single`` or ``multi``
  (the current labels agree), ``conflict`` (they disagree);
- an AFTER INSERT trigger on measurement recomputes both for the new row's
  alloy and, for a correction, for the alloy of the measurement it supersedes
  (measurements are append-only since 0002, so inserts are the only change);
- ``ix_alloy_campaign_label`` (campaign_id, label_state, n_current): the counts
  are read from the index alone;
- ``ix_alloy_campaign_outside`` (campaign_id, outside_vocabulary): alloys with
  elements outside the vocabulary are counted from the index (a range above
  ''), not by reading every alloy.

The upgrade fills both columns for every existing alloy with the same
expression the trigger uses.  ``store_info`` now says 0.4.0 reads this schema.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

SCHEMA_REQUIRES = '0.4.0'
_PREVIOUS = '0.3.0'

# Current measurements of the alloy ``alloy.id``: those no other measurement supersedes.
_CURRENT = ("FROM measurement m WHERE m.alloy_id = alloy.id "
            "AND NOT EXISTS (SELECT 1 FROM measurement s WHERE s.supersedes_id = m.id)")
_LABELLED = _CURRENT + " AND m.single_phase IS NOT NULL"
_TRUE = {'sqlite': '1', 'postgresql': 'true'}
_FALSE = {'sqlite': '0', 'postgresql': 'false'}


def _assignments(dialect: str) -> str:
    """SET clause recomputing n_current and label_state of each updated alloy from its measurements."""
    t, f = _TRUE[dialect], _FALSE[dialect]
    return (
        f"n_current = (SELECT count(*) {_CURRENT}), "
        f"label_state = CASE "
        f"WHEN NOT EXISTS (SELECT 1 {_CURRENT}) THEN 'none' "
        f"WHEN NOT EXISTS (SELECT 1 {_LABELLED}) THEN 'unlabelled' "
        f"WHEN NOT EXISTS (SELECT 1 {_LABELLED} AND m.single_phase = {f}) THEN 'single' "
        f"WHEN NOT EXISTS (SELECT 1 {_LABELLED} AND m.single_phase = {t}) THEN 'multi' "
        f"ELSE 'conflict' END"
    )


_TOUCHED = "alloy.id IN (NEW.alloy_id, (SELECT o.alloy_id FROM measurement o WHERE o.id = NEW.supersedes_id))"

_PG_FUNCTION = f"""
CREATE FUNCTION hea_alloy_label_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE alloy SET {_assignments('postgresql')} WHERE {_TOUCHED};
    RETURN NULL;
END
$$
"""


def _requires(value: str) -> None:
    op.execute(sa.text("UPDATE store_info SET value = :v WHERE key = 'schema_requires'").bindparams(v=value))


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column('alloy', sa.Column('label_state', sqlmodel.sql.sqltypes.AutoString(length=12),
                                     server_default='none', nullable=False))
    op.add_column('alloy', sa.Column('n_current', sa.Integer(), server_default='0', nullable=False))
    op.execute(f"UPDATE alloy SET {_assignments(dialect)}")
    op.create_index('ix_alloy_campaign_label', 'alloy', ['campaign_id', 'label_state', 'n_current'], unique=False)
    op.create_index('ix_alloy_campaign_outside', 'alloy', ['campaign_id', 'outside_vocabulary'], unique=False)
    if dialect == 'postgresql':
        op.execute(_PG_FUNCTION)
        op.execute("CREATE TRIGGER trg_measurement_label_state AFTER INSERT ON measurement "
                   "FOR EACH ROW EXECUTE FUNCTION hea_alloy_label_state()")
    else:
        op.execute(f"CREATE TRIGGER trg_measurement_label_state AFTER INSERT ON measurement "
                   f"BEGIN UPDATE alloy SET {_assignments('sqlite')} WHERE {_TOUCHED}; END")
    _requires(SCHEMA_REQUIRES)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS trg_measurement_label_state ON measurement")
        op.execute("DROP FUNCTION IF EXISTS hea_alloy_label_state()")
    else:
        op.execute("DROP TRIGGER IF EXISTS trg_measurement_label_state")
    op.drop_index('ix_alloy_campaign_outside', table_name='alloy')
    op.drop_index('ix_alloy_campaign_label', table_name='alloy')
    # plain columns once the index is gone: SQLite (3.35+) drops them in place, no table rebuild
    op.drop_column('alloy', 'n_current')
    op.drop_column('alloy', 'label_state')
    _requires(_PREVIOUS)
