"""weighed masses kept with each measurement

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 19:45:00

One new column, nullable, no change to any row:

- ``measurement.weighed_g`` (JSON): the masses weighed for the ingot, element ->
  grams, each the decimal as typed, as a string (``{"Fe": "10.10", "Ni": "9.875"}``;
  a weigh sheet in milligrams is stored in grams by moving the decimal point, so
  nothing is rounded).  They are the primary data: ``made_composition`` (atomic
  fractions) is computed from them.  Until now only the composition was kept.

Rows of a 0005 store keep NULL there (their masses were never stored).  Plain
``ADD COLUMN``: SQLite does not rebuild the table, so the append-only and
label-state triggers on measurement (0002, 0004) stay as they are; an UPDATE of
existing rows, which those triggers refuse, is never needed.  ``store_info`` now
says 0.6.0 reads this schema.
"""

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# The hea-campaign release that introduced this revision (db.migrate reads it back from store_info).
SCHEMA_REQUIRES = '0.6.0'
_PREVIOUS = '0.5.0'


def _requires(value: str) -> None:
    op.execute(sa.text("UPDATE store_info SET value = :v WHERE key = 'schema_requires'").bindparams(v=value))


def upgrade() -> None:
    op.add_column('measurement', sa.Column('weighed_g', sa.JSON(), nullable=True))
    _requires(SCHEMA_REQUIRES)


def downgrade() -> None:
    # a plain column (no index, key or constraint): SQLite (3.35+) drops it in place, the table and its
    # triggers are not rebuilt; the masses are lost, the composition made from them stays
    op.drop_column('measurement', 'weighed_g')
    _requires(_PREVIOUS)
