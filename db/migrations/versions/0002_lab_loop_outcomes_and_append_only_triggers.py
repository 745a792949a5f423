"""lab loop outcomes (failed syntheses, voided and pending export batches, the composition
actually made) and append-only triggers on measurement and audit_event

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 14:30:00

Measurements and audit events were append-only in the code only; from here
the database itself refuses UPDATE and DELETE on them (SQLite: RAISE(ABORT)
triggers; PostgreSQL: one plpgsql function behind row and TRUNCATE
triggers).  A later migration that must rebuild one of these tables (SQLite
batch mode copies it) has to drop the triggers first and create them again.

New columns only, all nullable or with a server default, so every row of a
0001 store comes through unchanged.  ``store_info`` records the oldest
hea-campaign version that understands this schema, so an older version can
tell a user which version to install instead of failing on an unknown revision.
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# The hea-campaign release that introduced this revision (db.migrate reads it back from store_info).
SCHEMA_REQUIRES = '0.2.0'
APPEND_ONLY = ('measurement', 'audit_event')
_MESSAGE = '%s rows are append-only: a result is corrected by a new measurement, never changed or deleted'


def _sqlite_triggers() -> list[str]:
    out = []
    for table in APPEND_ONLY:
        for op_name in ('UPDATE', 'DELETE'):
            out.append(
                f"CREATE TRIGGER trg_{table}_no_{op_name.lower()} BEFORE {op_name} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE % table}'); END"
            )
    return out


_PG_FUNCTION = """
CREATE FUNCTION hea_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only: a result is corrected by a new measurement, never changed or deleted (% refused)',
        TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation';
END
$$
"""


def upgrade() -> None:
    op.create_table('store_info',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('value', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_store_info'))
    )
    op.bulk_insert(sa.table('store_info', sa.column('key'), sa.column('value')),
                   [{'key': 'schema_requires', 'value': SCHEMA_REQUIRES}])
    with op.batch_alter_table('export_batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), server_default='complete', nullable=False))
        batch_op.add_column(sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('voided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('voided_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch_op.add_column(sa.Column('void_reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True))
    with op.batch_alter_table('measurement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('made_composition', sa.JSON(), nullable=True))

    if op.get_bind().dialect.name == 'postgresql':
        op.execute(_PG_FUNCTION)
        for table in APPEND_ONLY:
            op.execute(f"CREATE TRIGGER trg_{table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION hea_refuse_change()")
            op.execute(f"CREATE TRIGGER trg_{table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION hea_refuse_change()")
    else:
        for statement in _sqlite_triggers():
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS hea_refuse_change()")
    else:
        for table in APPEND_ONLY:
            for op_name in ('update', 'delete'):
                op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_no_{op_name}")
    # Plain columns (no index, key or constraint): SQLite (3.35+) drops them in place, so the
    # self-referencing measurement table is not rebuilt (a rebuild would trip its foreign keys).
    op.drop_column('measurement', 'made_composition')
    for column in ('void_reason', 'voided_by', 'voided_at', 'owner', 'state'):
        op.drop_column('export_batch', column)
    op.drop_table('store_info')
