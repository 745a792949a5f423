"""index for candidates by p

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 05:30:00

One index, no change to any table or row:

- ``ix_candidate_campaign_p`` on candidate (campaign_id, p_single, id): a page of
  candidates sorted by p, the sort a lab uses most (best first), is read from
  the index; without it the database reads every candidate of the campaign
  and sorts them for every page (35-50 ms at 10^5 candidates in SQLite, the
  longest wait of the TUI's table after a click on the header).

``store_info`` now says 0.5.0 reads this schema.  Plain ``CREATE INDEX``: SQLite
does not rebuild the table.
"""

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# The hea-campaign release that introduced this revision (db.migrate reads it back from store_info).
SCHEMA_REQUIRES = '0.5.0'
_PREVIOUS = '0.4.0'


def _requires(value: str) -> None:
    op.execute(sa.text("UPDATE store_info SET value = :v WHERE key = 'schema_requires'").bindparams(v=value))


def upgrade() -> None:
    op.create_index('ix_candidate_campaign_p', 'candidate', ['campaign_id', 'p_single', 'id'], unique=False)
    _requires(SCHEMA_REQUIRES)


def downgrade() -> None:
    op.drop_index('ix_candidate_campaign_p', table_name='candidate')
    _requires(_PREVIOUS)
