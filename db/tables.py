"""The campaign store's tables (SQLModel).

Lab results are append-only: a correction is a new ``Measurement`` whose
``supersedes_id`` points at the old one; nothing is updated or deleted.
Every change is written with an ``AuditEvent`` in the same transaction.
Constraint names follow one convention so Alembic batch migrations on SQLite
can find them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, MetaData, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from .states import ACTOR_MAX, CANDIDATE_STATUSES, EXPORT_STATES, FAILURE_REASONS, MODEL_ROLES  # noqa: F401 - the tables' vocabulary

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata = MetaData(naming_convention=NAMING_CONVENTION)



def utcnow() -> datetime:
    return datetime.now(UTC)


def _json(**kw: Any) -> Any:
    return Field(sa_column=Column(JSON, nullable=kw.pop("nullable", False)), **kw)


class Campaign(SQLModel, table=True):
    __tablename__ = "campaign"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    settings: dict = _json(default_factory=dict)


class Alloy(SQLModel, table=True):
    """One composition, unique per campaign by its canonical formula."""

    __tablename__ = "alloy"
    __table_args__ = (
        UniqueConstraint("campaign_id", "formula", name="uq_alloy_campaign_formula"),
        Index("ix_alloy_campaign_label", "campaign_id", "label_state", "n_current"),  # status counts (0004)
        Index("ix_alloy_campaign_outside", "campaign_id", "outside_vocabulary"),  # outside-vocabulary count (0004)
    )
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    formula: str = Field(max_length=400)
    composition: dict = _json(default_factory=dict)  # element -> atomic fraction
    n_elements: int
    outside_vocabulary: str = Field(default="", max_length=400)  # comma-separated symbols
    source: str = Field(default="", max_length=400)
    created_at: datetime = Field(default_factory=utcnow)
    # Kept by the database (trigger of migration 0004 on every measurement insert), never written here:
    # none | unlabelled | single | multi | conflict, and the measurements no correction supersedes.
    label_state: str = Field(default="none", max_length=12, sa_column_kwargs={"server_default": "none"})
    n_current: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class Measurement(SQLModel, table=True):
    """A lab or literature result for an alloy; never updated, only superseded."""

    __tablename__ = "measurement"
    id: int | None = Field(default=None, primary_key=True)
    alloy_id: int = Field(foreign_key="alloy.id", index=True)
    single_phase: bool | None = None  # None: phase reported but not classifiable
    phases: str | None = Field(default=None, max_length=200)
    method: str | None = Field(default=None, max_length=100)
    operator: str | None = Field(default=None, max_length=ACTOR_MAX)
    notes: str | None = Field(default=None, max_length=2000)
    measured_on: date | None = None
    entered_at: datetime = Field(default_factory=utcnow, index=True)  # index: results since a version (0008)
    source: str = Field(default="lab", max_length=400)
    source_formula: str | None = Field(default=None, max_length=400)
    source_key: str | None = Field(default=None, max_length=200, unique=True)
    candidate_id: int | None = Field(default=None, foreign_key="candidate.id", index=True)
    supersedes_id: int | None = Field(default=None, foreign_key="measurement.id", unique=True)
    # element -> atomic fraction actually made (from the weighed masses); None: the nominal composition
    made_composition: dict | None = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
    # element -> grams weighed, as the decimal typed (a string: "10.10" keeps its last digit); the primary data
    # made_composition is computed from; None: no masses recorded (migration 0006)
    weighed_g: dict | None = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
    # a withdrawal (migration 0007): this row says the result it supersedes should never have been entered;
    # it has no label, its notes are the reason, its operator who withdrew it, and it is no current result
    withdrawn: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class ModelVersion(SQLModel, table=True):
    __tablename__ = "model_version"
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(default="", max_length=ACTOR_MAX)
    config: dict = _json(default_factory=dict)
    metrics: dict = _json(default_factory=dict)
    data_hash: str = Field(default="", max_length=64)
    seed: int = 0
    library_versions: dict = _json(default_factory=dict)
    checkpoint_path: str = Field(default="", max_length=1000)
    checkpoint_sha256: str = Field(default="", max_length=64)
    n_labelled: int = 0
    n_unlabelled: int = 0
    active: bool = False
    # the newest measurement when its training set was read (0008): a result entered later is unknown to it;
    # None for older versions, which count from created_at (when training ended)
    last_measurement_id: int | None = None


class ModelVersionAlloy(SQLModel, table=True):
    """What a model version did with one alloy (migration 0008), written with the version, never changed:
    so "did the model that proposes know this result?" is one indexed read, not a checkpoint load."""

    __tablename__ = "model_version_alloy"
    model_version_id: int = Field(foreign_key="model_version.id", primary_key=True)
    alloy_id: int = Field(foreign_key="alloy.id", primary_key=True)
    role: str = Field(max_length=12)  # one of MODEL_ROLES


class ProposalRun(SQLModel, table=True):
    __tablename__ = "proposal_run"
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    model_version_id: int = Field(foreign_key="model_version.id")
    mode: str = Field(max_length=40)
    params: dict = _json(default_factory=dict)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(default="", max_length=ACTOR_MAX)
    n_candidates: int = 0


class Candidate(SQLModel, table=True):
    __tablename__ = "candidate"
    __table_args__ = (
        Index("ix_candidate_campaign_status", "campaign_id", "status"),
        Index("ix_candidate_campaign_id", "campaign_id", "id"),  # pages in id order, no sort (migration 0003)
        Index("ix_candidate_campaign_p", "campaign_id", "p_single", "id"),  # pages sorted by p (migration 0005)
    )
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    alloy_id: int = Field(foreign_key="alloy.id", index=True)
    proposal_run_id: int = Field(foreign_key="proposal_run.id", index=True)
    model_version_id: int = Field(foreign_key="model_version.id")
    start_alloy_id: int | None = Field(default=None, foreign_key="alloy.id")
    origin: str = Field(max_length=40)
    p_single: float
    uncertainty: dict = _json(default_factory=dict)
    flags: list = _json(default_factory=list)  # [{"flag": ..., "reason": ...}]
    latent_z: list = _json(default_factory=list)
    path: list = _json(default_factory=list)
    change_at_pct: float | None = None
    steps: int | None = None
    status: str = Field(default="proposed", max_length=20)
    status_reason: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ExportBatch(SQLModel, table=True):
    __tablename__ = "export_batch"
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(default="", max_length=ACTOR_MAX)
    path: str = Field(max_length=1000)
    format: str = Field(max_length=10)
    mass_g: float
    file_sha256: str = Field(default="", max_length=64)
    candidate_ids: list = _json(default_factory=list)
    state: str = Field(default="complete", max_length=20, sa_column_kwargs={"server_default": "complete"})
    owner: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})  # host:pid writing it
    voided_at: datetime | None = None
    voided_by: str | None = Field(default=None, max_length=ACTOR_MAX)
    void_reason: str | None = Field(default=None, max_length=1000)


class StoreInfo(SQLModel, table=True):
    """Facts about the store itself, e.g. the oldest hea-campaign that can read its schema."""

    __tablename__ = "store_info"
    key: str = Field(primary_key=True, max_length=100)
    value: str = Field(max_length=1000)


class AuditEvent(SQLModel, table=True):
    """Who did what to which entity, written in the transaction of the change."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_entity", "entity", "entity_id"),)  # events of an entity (0003)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id", index=True)
    at: datetime = Field(default_factory=utcnow)
    actor: str = Field(max_length=ACTOR_MAX)
    action: str = Field(max_length=60)
    entity: str = Field(max_length=40)
    entity_id: int | None = None
    payload: dict = _json(default_factory=dict)
