"""what each model version did with each alloy

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 01:10:00

A lab asks of any alloy whether the model proposing alloys knows its result: did
the active version train on it, choose its epoch on it, keep it out for comparing
versions, or was the result entered after the version was trained?  The answer was
only inside each checkpoint (loading one imports torch, 1.6 s), so no quick
command could give it.

- ``model_version_alloy`` (model_version_id, alloy_id, role), primary key on the
  pair: one row per alloy a version used, written in the same transaction as the
  version, never changed.  ``role`` is ``train``, ``validation``, ``comparison``
  (kept out by ``retrain`` to compare versions) or ``unlabelled``.

- ``model_version.last_measurement_id`` (nullable): the newest measurement id
  when the version's training set was read.  A result entered while a version
  trains (minutes, in a shared lab) is not in it; counting from the end of
  training would call it known.  An id, not a time: a writer stamps
  ``entered_at`` before it commits, and clocks differ between clients.  NULL
  for older versions, which count from ``created_at``.
- ``ix_measurement_entered_at``: for those older versions, ``status`` and the
  dashboard count the results entered since (a nudge to retrain) from the
  index, not by reading every measurement.

A new table, a nullable column and an index: no existing row changes.  Versions trained before this
revision get their rows from ``hea-campaign db upgrade``, which reads each one's
training and validation ids from its checkpoint after migrating
(campaign/model_roles_backfill.py; a migration cannot load checkpoints); a version
whose checkpoint is gone keeps none, and the commands say its use is not
recorded.  ``store_info`` now says 0.8.0 reads this schema.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# The hea-campaign release that introduced this revision (db.migrate reads it back from store_info).
SCHEMA_REQUIRES = '0.8.0'
_PREVIOUS = '0.7.0'


def _requires(value: str) -> None:
    op.execute(sa.text("UPDATE store_info SET value = :v WHERE key = 'schema_requires'").bindparams(v=value))


def upgrade() -> None:
    op.create_table(
        'model_version_alloy',
        sa.Column('model_version_id', sa.Integer(), nullable=False),
        sa.Column('alloy_id', sa.Integer(), nullable=False),
        sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.ForeignKeyConstraint(['alloy_id'], ['alloy.id'], name=op.f('fk_model_version_alloy_alloy_id_alloy')),
        sa.ForeignKeyConstraint(['model_version_id'], ['model_version.id'],
                                name=op.f('fk_model_version_alloy_model_version_id_model_version')),
        sa.PrimaryKeyConstraint('model_version_id', 'alloy_id', name=op.f('pk_model_version_alloy')),
    )
    op.add_column('model_version', sa.Column('last_measurement_id', sa.Integer(), nullable=True))
    op.create_index('ix_measurement_entered_at', 'measurement', ['entered_at'], unique=False)
    _requires(SCHEMA_REQUIRES)


def downgrade() -> None:
    op.drop_index('ix_measurement_entered_at', table_name='measurement')
    op.drop_column('model_version', 'last_measurement_id')
    op.drop_table('model_version_alloy')
    _requires(_PREVIOUS)
