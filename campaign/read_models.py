"""Read models: what the front ends show, as plain frozen dataclasses (never table rows).

The CLI and the TUI call the functions here (or services that return these),
so they never hold a session-bound row, never index JSON columns by string
keys, and never import ``db`` or ``model``.  Each ``from_row`` is the one place
a table row becomes something to show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from .store import CampaignStore


@dataclass(frozen=True)
class Flag:
    name: str  # uncertain, novel, low_density, disputed, out_of_range, inconsistent
    reason: str


@dataclass(frozen=True)
class CandidateView:
    id: int
    formula: str
    p_single: float
    status: str
    status_reason: str | None
    model_version_id: int
    proposal_run_id: int
    origin: str
    change_at_pct: float | None
    steps: int | None
    flags: tuple[Flag, ...]
    uncertainty: dict = field(default_factory=dict)
    latent_z: tuple[float, ...] = ()
    path: tuple[dict, ...] = ()  # inversion steps: {"step", "p", "formula"}
    cost_per_kg: float | None = None  # USD, raw materials, as computed when proposed
    density: float | None = None  # g/cm3, rule-of-mixtures estimate, as computed when proposed
    outside_space: tuple[str, ...] = ()  # why it lies outside the campaign's current design space (empty: inside,
    # or not asked: candidates(), approve and candidate_detail ask, candidate_page with check_space)

    @property
    def flag_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.flags)

    @classmethod
    def from_row(cls, row, formula: str, outside_space=()) -> CandidateView:
        u = row.uncertainty or {}  # a listed row (store.LISTED_COLUMNS) has the two numbers as columns instead

        def number(key):
            value = u.get(key) if key in u else getattr(row, key, None)
            return None if value is None else float(value)

        return cls(
            id=row.id, formula=formula, p_single=float(row.p_single), status=row.status,
            status_reason=row.status_reason, model_version_id=row.model_version_id,
            proposal_run_id=row.proposal_run_id, origin=row.origin, change_at_pct=row.change_at_pct, steps=row.steps,
            flags=tuple(Flag(str(f.get("flag", "")), str(f.get("reason", ""))) for f in (row.flags or [])),
            uncertainty=dict(row.uncertainty or {}), latent_z=tuple(float(z) for z in (row.latent_z or [])),
            path=tuple(dict(s) for s in (row.path or [])),
            cost_per_kg=number("cost_usd_per_kg"), density=number("density_g_cm3"),
            outside_space=tuple(outside_space),
        )


@dataclass(frozen=True)
class ModelVersionView:
    id: int
    created_at: datetime
    active: bool
    seed: int
    data_hash: str
    n_labelled: int
    n_unlabelled: int
    metrics: dict  # every recorded metric, for renderers that show them all by name

    @property
    def val_accuracy(self) -> float:
        return float(self.metrics.get("val_accuracy", math.nan))

    @property
    def val_auc(self) -> float:
        return float(self.metrics.get("val_auc", math.nan))

    @property
    def interrupted(self) -> bool:
        return bool(self.metrics.get("cancelled", False))

    @classmethod
    def from_row(cls, row) -> ModelVersionView:
        return cls(id=row.id, created_at=row.created_at, active=bool(row.active), seed=row.seed,
                   data_hash=row.data_hash or "", n_labelled=row.n_labelled, n_unlabelled=row.n_unlabelled,
                   metrics=dict(row.metrics or {}))


@dataclass(frozen=True)
class CandidateDetailView:
    candidate: CandidateView
    formula: str
    start_formula: str | None
    composition: dict[str, float]
    descriptors: dict[str, float]
    training_range: dict[str, tuple[float, float]]
    shap: dict[str, float] | None
    nearest_measured: tuple = ()  # ({formula, label, distance_at_pct}, ...) now, not when proposed
    cost_per_kg: float | None = None  # USD, the campaign's current prices
    cost_per_ingot: float | None = None
    ingot_g: float = 20.0
    density: float | None = None  # g/cm3, rule-of-mixtures estimate
    price_source: str = ""
    lab_results: tuple = ()  # ({id, single_phase, phases, method, operator, measured_on, weighed_g, current}, ...)
    shap_head_p: float | None = None  # the SSVAE head's p, which the SHAP values add up to (not the scorer's)
    scored: bool = True  # the version ranks with a scorer beside the head
    ingot_batch: int | None = None  # the export batch whose ingot mass ingot_g is (None: the default mass)
    novel_cutoff: tuple[float, float] | None = None  # (at.%, percentile) beyond which the version flags novel
    model_use: object | None = None  # campaign.model_use.ModelUse of its alloy, when it has lab results


def candidates(store: CampaignStore, status: str | None = None, flag: str | None = None,
               limit: int | None = None, offset: int = 0) -> list[CandidateView]:
    """Candidates in id order, filtered in the database; with ``limit``, one page from ``offset``."""
    from .candidates import list_candidates

    rows = list_candidates(store, status, flag, limit, offset)
    outside = _outside(store, rows)
    return [CandidateView.from_row(c, f, outside.get(c.id, ())) for c, f in rows]


def _outside(store: CampaignStore, rows) -> dict:
    """Why each of these (candidate, formula) rows lies outside the current design space (one settings read)."""
    from .design_space import outside_current_space

    return outside_current_space(store, {c.id: f for c, f in rows})


def count_candidates(store: CampaignStore, status: str | None = None, flag: str | None = None) -> int:
    """How many candidates ``candidates`` pages through (counted by the database)."""
    from .candidates import count_candidates as count

    return count(store, status, flag)


@dataclass(frozen=True)
class CandidatePageView:
    rows: tuple[CandidateView, ...]  # in the page's order
    offset: int  # of the first row (an offset past the end gives the last page)
    total: int  # candidates matching the filter, counted by the database
    everything: int  # candidates in the campaign


def candidate_page(store: CampaignStore, status: str | None = None, flag: str | None = None, sort: str = "id",
                   descending: bool = False, limit: int = 200, offset: int = 0,
                   counts: tuple[int, int] | None = None, check_space: bool = False) -> CandidatePageView:
    """One page of candidates, filtered, sorted (``campaign.candidates.CANDIDATE_SORTS``) and counted
    by the database (or ``counts``, (everything, total), kept from a page of the same filter);
    ``flag`` ``"-"`` means no flag.  ``check_space``: say which rows lie outside the current design space
    (about 0.1 s for 200 rows outside it; the TUI's table asks, and marks them in its flags column)."""
    from .candidates import candidate_page as page

    p = page(store, status, flag, sort, descending, limit, offset, counts)
    outside = _outside(store, p.rows) if check_space else {}
    return CandidatePageView(tuple(CandidateView.from_row(c, f, outside.get(c.id, ())) for c, f in p.rows),
                             p.offset, p.total, p.everything)


def candidate_ids(store: CampaignStore, status: str | None = None, among=None) -> list[int]:
    """Ids of candidates with ``status`` (among ``among`` if given), in id order, read as ids only."""
    from .candidates import candidate_ids as ids

    return ids(store, status, among)


def candidates_with_ids(store: CampaignStore, ids) -> list[CandidateView]:
    """These candidates, in id order (only their rows are read)."""
    from .candidates import candidates_with_ids as with_ids

    return [CandidateView.from_row(c, f) for c, f in with_ids(store, ids)]


def candidate_detail(store: CampaignStore, candidate_id: int, with_shap: bool = True) -> CandidateDetailView:
    from .candidates import candidate_detail as detail

    d = detail(store, candidate_id, with_shap=with_shap)
    outside = _outside(store, [(d.candidate, d.formula)]).get(d.candidate.id, ())
    return CandidateDetailView(CandidateView.from_row(d.candidate, d.formula, outside), d.formula, d.start_formula,
                               d.composition, d.descriptors, d.training_range, d.shap,
                               tuple(d.nearest_measured), d.cost_per_kg, d.cost_per_ingot, d.ingot_g, d.density,
                               d.price_source, tuple(d.lab_results), d.shap_head_p, d.scored,
                               ingot_batch=d.ingot_batch, novel_cutoff=d.novel_cutoff, model_use=d.model_use)


def model_versions(store: CampaignStore) -> list[ModelVersionView]:
    from .model_versions import list_versions

    return [ModelVersionView.from_row(v) for v in list_versions(store)]


def model_version(row) -> ModelVersionView:
    """A version returned by a service (train, activate) as a read model."""
    return ModelVersionView.from_row(row)


def candidate_views(store: CampaignStore, rows, *, check_space: bool = False) -> list[CandidateView]:
    """Candidates returned by a lifecycle service (approve, reject), with their formulas (one query);
    ``check_space`` says which lie outside the current design space (approve warns of them)."""
    from sqlmodel import select

    from hea_campaign.db.tables import Alloy

    alloy_ids = {r.alloy_id for r in rows}
    if not alloy_ids:
        return []
    with store.read() as session:
        formulas = dict(session.exec(select(Alloy.id, Alloy.formula).where(Alloy.id.in_(alloy_ids))).all())
    pairs = [(r, formulas.get(r.alloy_id, "")) for r in rows]
    outside = _outside(store, pairs) if check_space else {}
    return [CandidateView.from_row(r, f, outside.get(r.id, ())) for r, f in pairs]


def approve(store: CampaignStore, ids, *, by: str | None = None, reason: str | None = None) -> list[CandidateView]:
    from . import lifecycle

    return candidate_views(store, lifecycle.approve(store, ids, by=by, reason=reason), check_space=True)


def reject(store: CampaignStore, ids, *, by: str | None = None, reason: str | None = None) -> list[CandidateView]:
    from . import lifecycle

    return candidate_views(store, lifecycle.reject(store, ids, by=by, reason=reason))


def fail(store: CampaignStore, ids, reason: str, *, notes: str | None = None,
         by: str | None = None) -> list[CandidateView]:
    """A failed synthesis (lifecycle.fail), as read models."""
    from . import lifecycle

    return candidate_views(store, lifecycle.fail(store, ids, reason, notes=notes, by=by))


def withdraw_failure(store: CampaignStore, ids, reason: str | None, *, by: str | None = None,
                     failure_event_id: int | None = None) -> list[CandidateView]:
    """A failure recorded by mistake, withdrawn (lifecycle.withdraw_failure), as read models."""
    from . import lifecycle

    return candidate_views(store, lifecycle.withdraw_failure(store, ids, reason, by=by,
                                                             failure_event_id=failure_event_id))
