"""The states rows of the store can be in, in a module light enough for ``status``."""

CANDIDATE_STATUSES = ("proposed", "approved", "rejected", "exported", "measured", "failed")
# Why a synthesis failed (candidate status "failed"); an outcome of its own, not a phase label.
FAILURE_REASONS = ("cracked", "oxidised", "incomplete-melting", "other")
# An export batch is "pending" from the moment its file is announced until the file is in place
# and the candidates are exported ("complete"); a pending batch whose writer died is reconciled
# to "complete" (its file is there, whole) or "abandoned" (no file).
EXPORT_STATES = ("pending", "complete", "abandoned")
SCHEMA_HEAD = "0008"  # the newest migration in db/migrations/versions (tests/db/test_migrations.py checks)
# What a model version did with an alloy (model_version_alloy.role, migration 0008): learned from its label,
# chose its epoch and scorer on it, kept it out for comparing versions (retrain), learned from its composition alone.
MODEL_ROLES = ("train", "validation", "comparison", "unlabelled")
# The longest name recorded as who did something (audit_event.actor, measurement.operator,
# created_by, voided_by in tables.py); --by is checked against it (campaign/actors.py).
ACTOR_MAX = 100
