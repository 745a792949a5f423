"""indexes for history and candidate pages

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 18:00:00

Two indexes, no change to any table or row:

- ``ix_audit_event_entity`` on audit_event (entity, entity_id): ``history
  FORMULA``, a model's training event and the candidate detail ask for the
  events of a few entities; without it each asks by reading every event
  (SQLite: ``SCAN audit_event``).
- ``ix_candidate_campaign_id`` on candidate (campaign_id, id): a page of the
  candidate list (``candidates --limit/--offset``, the TUI table) in id order
  is read straight from the index; without it the database sorts all the
  campaign's candidates for every page (SQLite: ``USE TEMP B-TREE FOR ORDER BY``).

``store_info`` now says 0.3.0 reads this schema (the release that brings it),
so 0.2.0 tells its user to upgrade rather than naming itself.

Plain ``CREATE INDEX`` (not batch mode): SQLite does not rebuild the table, so the
append-only triggers of 0002 on audit_event stay as they are.
"""

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# The hea-campaign release that introduced this revision (db.migrate reads it back from store_info).
SCHEMA_REQUIRES = '0.3.0'
_PREVIOUS = '0.2.0'


def _requires(value: str) -> None:
    op.execute(sa.text("UPDATE store_info SET value = :v WHERE key = 'schema_requires'").bindparams(v=value))


def upgrade() -> None:
    op.create_index('ix_audit_event_entity', 'audit_event', ['entity', 'entity_id'], unique=False)
    op.create_index('ix_candidate_campaign_id', 'candidate', ['campaign_id', 'id'], unique=False)
    _requires(SCHEMA_REQUIRES)


def downgrade() -> None:
    op.drop_index('ix_candidate_campaign_id', table_name='candidate')
    op.drop_index('ix_audit_event_entity', table_name='audit_event')
    _requires(_PREVIOUS)
