"""create the campaign store schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 21:53:31.118037
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign')),
    sa.UniqueConstraint('name', name=op.f('uq_campaign_name'))
    )
    op.create_table('alloy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('formula', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
    sa.Column('composition', sa.JSON(), nullable=False),
    sa.Column('n_elements', sa.Integer(), nullable=False),
    sa.Column('outside_vocabulary', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_alloy_campaign_id_campaign')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alloy')),
    sa.UniqueConstraint('campaign_id', 'formula', name='uq_alloy_campaign_formula')
    )
    with op.batch_alter_table('alloy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alloy_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('entity', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_audit_event_campaign_id_campaign')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('export_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('path', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('format', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('mass_g', sa.Float(), nullable=False),
    sa.Column('file_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('candidate_ids', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_export_batch_campaign_id_campaign')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_batch'))
    )
    with op.batch_alter_table('export_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_batch_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('model_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('data_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.Column('library_versions', sa.JSON(), nullable=False),
    sa.Column('checkpoint_path', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('checkpoint_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('n_labelled', sa.Integer(), nullable=False),
    sa.Column('n_unlabelled', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_model_version_campaign_id_campaign')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_version'))
    )
    with op.batch_alter_table('model_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_version_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('proposal_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('model_version_id', sa.Integer(), nullable=False),
    sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('n_candidates', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_proposal_run_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['model_version_id'], ['model_version.id'], name=op.f('fk_proposal_run_model_version_id_model_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_run'))
    )
    with op.batch_alter_table('proposal_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_run_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('candidate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('alloy_id', sa.Integer(), nullable=False),
    sa.Column('proposal_run_id', sa.Integer(), nullable=False),
    sa.Column('model_version_id', sa.Integer(), nullable=False),
    sa.Column('start_alloy_id', sa.Integer(), nullable=True),
    sa.Column('origin', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('p_single', sa.Float(), nullable=False),
    sa.Column('uncertainty', sa.JSON(), nullable=False),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('latent_z', sa.JSON(), nullable=False),
    sa.Column('path', sa.JSON(), nullable=False),
    sa.Column('change_at_pct', sa.Float(), nullable=True),
    sa.Column('steps', sa.Integer(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('status_reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['alloy_id'], ['alloy.id'], name=op.f('fk_candidate_alloy_id_alloy')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_candidate_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['model_version_id'], ['model_version.id'], name=op.f('fk_candidate_model_version_id_model_version')),
    sa.ForeignKeyConstraint(['proposal_run_id'], ['proposal_run.id'], name=op.f('fk_candidate_proposal_run_id_proposal_run')),
    sa.ForeignKeyConstraint(['start_alloy_id'], ['alloy.id'], name=op.f('fk_candidate_start_alloy_id_alloy')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_candidate'))
    )
    with op.batch_alter_table('candidate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_candidate_alloy_id'), ['alloy_id'], unique=False)
        batch_op.create_index('ix_candidate_campaign_status', ['campaign_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_candidate_proposal_run_id'), ['proposal_run_id'], unique=False)

    op.create_table('measurement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alloy_id', sa.Integer(), nullable=False),
    sa.Column('single_phase', sa.Boolean(), nullable=True),
    sa.Column('phases', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('operator', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('measured_on', sa.Date(), nullable=True),
    sa.Column('entered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
    sa.Column('source_formula', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=True),
    sa.Column('source_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('candidate_id', sa.Integer(), nullable=True),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['alloy_id'], ['alloy.id'], name=op.f('fk_measurement_alloy_id_alloy')),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidate.id'], name=op.f('fk_measurement_candidate_id_candidate')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['measurement.id'], name=op.f('fk_measurement_supersedes_id_measurement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measurement')),
    sa.UniqueConstraint('source_key', name=op.f('uq_measurement_source_key')),
    sa.UniqueConstraint('supersedes_id', name=op.f('uq_measurement_supersedes_id'))
    )
    with op.batch_alter_table('measurement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measurement_alloy_id'), ['alloy_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_measurement_candidate_id'), ['candidate_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('measurement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measurement_candidate_id'))
        batch_op.drop_index(batch_op.f('ix_measurement_alloy_id'))

    op.drop_table('measurement')
    with op.batch_alter_table('candidate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_candidate_proposal_run_id'))
        batch_op.drop_index('ix_candidate_campaign_status')
        batch_op.drop_index(batch_op.f('ix_candidate_alloy_id'))

    op.drop_table('candidate')
    with op.batch_alter_table('proposal_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_run_campaign_id'))

    op.drop_table('proposal_run')
    with op.batch_alter_table('model_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_version_campaign_id'))

    op.drop_table('model_version')
    with op.batch_alter_table('export_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_export_batch_campaign_id'))

    op.drop_table('export_batch')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_campaign_id'))

    op.drop_table('audit_event')
    with op.batch_alter_table('alloy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alloy_campaign_id'))

    op.drop_table('alloy')
    op.drop_table('campaign')
