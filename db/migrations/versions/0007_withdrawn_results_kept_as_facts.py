"""withdrawn results kept as facts

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 22:40:00

A lab result that should never have been entered (typed against the wrong alloy or
candidate, entered twice, a test entry) is withdrawn, not deleted: measurements stay
append-only (0002).  A withdrawal is a new measurement row that supersedes the wrong
one and says so:

- ``measurement.withdrawn`` (boolean, NOT NULL, default false): true on a withdrawal
  row.  Such a row carries no label (``single_phase`` NULL), its ``notes`` are the
  reason and its ``operator`` who withdrew it; it supersedes the withdrawn result
  (``supersedes_id``), so nothing can correct or withdraw that result again.
- the label-state trigger of 0004 is recreated so that a withdrawal row is not a
  current measurement: the alloy's ``n_current`` and ``label_state`` come from its
  remaining current measurements (an alloy whose only result is withdrawn goes back
  to ``none``; withdrawing one of two conflicting results resolves the conflict).

Plain ``ADD COLUMN`` with a constant default: SQLite does not rebuild the table, so
the append-only triggers (0002) stay; no existing row is a withdrawal, so the alloy
states filled by 0004 stay right and no row is updated.  ``store_info`` now says 0.7.0
reads this schema.  The downgrade refuses a store that holds withdrawals (0006 has no
way to say a result was withdrawn: it would count again).
"""

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# The hea-campaign release that introduced this revision (db.migrate reads it back from store_info).
SCHEMA_REQUIRES = '0.7.0'
_PREVIOUS = '0.6.0'

_TRUE = {'sqlite': '1', 'postgresql': 'true'}
_FALSE = {'sqlite': '0', 'postgresql': 'false'}


def _current(dialect: str | None) -> str:
    """Current measurements of the alloy ``alloy.id``: those no other measurement supersedes, and (from
    this revision, ``dialect`` given) that are not themselves a withdrawal."""
    base = ("FROM measurement m WHERE m.alloy_id = alloy.id "
            "AND NOT EXISTS (SELECT 1 FROM measurement s WHERE s.supersedes_id = m.id)")
    return base if dialect is None else base + f" AND m.withdrawn = {_FALSE[dialect]}"


def _assignments(dialect: str, withdrawals: bool) -> str:
    """SET clause recomputing n_current and label_state of each updated alloy (0004's, and with
    ``withdrawals`` this revision's, which leaves withdrawal rows out)."""
    t, f = _TRUE[dialect], _FALSE[dialect]
    current = _current(dialect if withdrawals else None)
    labelled = current + " AND m.single_phase IS NOT NULL"
    return (
        f"n_current = (SELECT count(*) {current}), "
        f"label_state = CASE "
        f"WHEN NOT EXISTS (SELECT 1 {current}) THEN 'none' "
        f"WHEN NOT EXISTS (SELECT 1 {labelled}) THEN 'unlabelled' "
        f"WHEN NOT EXISTS (SELECT 1 {labelled} AND m.single_phase = {f}) THEN 'single' "
        f"WHEN NOT EXISTS (SELECT 1 {labelled} AND m.single_phase = {t}) THEN 'multi' "
        f"ELSE 'conflict' END"
    )


_TOUCHED = "alloy.id IN (NEW.alloy_id, (SELECT o.alloy_id FROM measurement o WHERE o.id = NEW.supersedes_id))"


def _pg_function(withdrawals: bool) -> str:
    return f"""
CREATE OR REPLACE FUNCTION hea_alloy_label_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE alloy SET {_assignments('postgresql', withdrawals)} WHERE {_TOUCHED};
    RETURN NULL;
END
$$
"""


def _label_trigger(withdrawals: bool) -> None:
    """(Re)make the label-state trigger: PostgreSQL replaces the function the trigger calls, SQLite the trigger."""
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(_pg_function(withdrawals))
    else:
        op.execute("DROP TRIGGER IF EXISTS trg_measurement_label_state")
        op.execute(f"CREATE TRIGGER trg_measurement_label_state AFTER INSERT ON measurement "
                   f"BEGIN UPDATE alloy SET {_assignments('sqlite', withdrawals)} WHERE {_TOUCHED}; END")


def _requires(value: str) -> None:
    op.execute(sa.text("UPDATE store_info SET value = :v WHERE key = 'schema_requires'").bindparams(v=value))


def upgrade() -> None:
    op.add_column('measurement', sa.Column('withdrawn', sa.Boolean(), server_default=sa.false(), nullable=False))
    _label_trigger(withdrawals=True)
    _requires(SCHEMA_REQUIRES)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    n = op.get_bind().execute(sa.text(f"SELECT count(*) FROM measurement WHERE withdrawn = {_TRUE[dialect]}")).scalar()
    if n:
        raise RuntimeError(f"this store holds {n} withdrawn result(s); revision 0006 cannot record a withdrawal "
                           "(the results would count again), so it is not downgraded")
    _label_trigger(withdrawals=False)  # the trigger names the column: SQLite refuses to drop it while it does
    op.drop_column('measurement', 'withdrawn')
    _requires(_PREVIOUS)
