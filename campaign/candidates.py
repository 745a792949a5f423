"""Reading candidates back: lists with filters, and one candidate in full."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hea_campaign.db.store import NO_FLAG
from hea_campaign.db.tables import Alloy, Candidate

from .chemistry import parse_formula
from .errors import CampaignError
from .store import CampaignStore


@dataclass
class CandidateDetail:
    candidate: Candidate
    formula: str
    start_formula: str | None
    composition: dict[str, float]
    descriptors: dict[str, float]
    training_range: dict[str, tuple[float, float]]
    shap: dict[str, float] | None
    nearest_measured: list[dict] = field(default_factory=list)  # now, not when proposed
    cost_per_kg: float | None = None  # USD, current price table
    cost_per_ingot: float | None = None
    ingot_g: float = 20.0  # the ingot mass of its export batch, else the default (ingot_batch None)
    density: float | None = None  # g/cm3, rule-of-mixtures estimate
    price_source: str = ""
    lab_results: list[dict] = field(default_factory=list)  # its measurements, oldest first (corrections too)
    shap_head_p: float | None = None  # the SSVAE head's p, which the SHAP values add up to (not the scorer's)
    scored: bool = True  # the version ranks with a scorer beside the head (older versions: the head alone)
    ingot_batch: int | None = None  # the export batch whose ingot mass ingot_g is (None: the default mass)
    novel_cutoff: tuple[float, float] | None = None  # (at.%, percentile) beyond which the version flags novel
    model_use: object | None = None  # campaign.model_use.ModelUse of its alloy, when it has lab results


def list_candidates(
    store: CampaignStore, status: str | None = None, flag: str | None = None,
    limit: int | None = None, offset: int = 0,
) -> list[tuple[Candidate, str]]:
    """Candidates in id order, filtered by status and flag in the database, one page at a time."""
    from hea_campaign.db import store as q

    with store.read() as session:
        rows = q.candidates_page(session, store.campaign_id, status, flag, limit, offset)
    return _keep_flagged(rows, flag)


# what a candidate list may be sorted by, in the database (the TUI's column keys)
CANDIDATE_SORTS = ("id", "p", "change", "status", "formula", "model", "reason", "flags", "cost", "density")


@dataclass
class CandidatePage:
    rows: list  # (candidate, formula) in the page's order; the candidate a plain row of the listed columns,
    # without uncertainty, latent position and path (None): candidate_detail reads those
    offset: int  # of the first row, after clamping to the last page
    total: int  # candidates matching the filter (counted by the database)
    everything: int  # candidates in the campaign


def _keep_flagged(rows, flag):
    if flag and flag != NO_FLAG:  # the database narrowed the rows down; keep those whose flags name it
        rows = [(c, f) for c, f in rows if any(x.get("flag") == flag for x in c.flags)]
    return rows


def candidate_page(
    store: CampaignStore, status: str | None = None, flag: str | None = None, sort: str = "id",
    descending: bool = False, limit: int = 200, offset: int = 0, counts: tuple[int, int] | None = None,
) -> CandidatePage:
    """One page of candidates, filtered, sorted and counted by the database in one read.

    ``flag`` is a flag's name, or ``"-"`` for candidates without flags; ``sort`` one of
    ``CANDIDATE_SORTS`` (empty values last, ties in id order).  An offset past the end gives
    the last page.  With a flag, a page may hold fewer rows than ``limit`` (and ``total``
    count more) when a flag's reason quotes another flag's name: the SQL match is a superset.
    ``counts``, (everything, total) as a page of the same filter just read them, skips counting
    again (two counts were half of a page's read at 10^5 candidates).
    """
    from hea_campaign.db import store as q

    if sort not in CANDIDATE_SORTS:
        raise CampaignError(f"cannot sort candidates by {sort!r}: one of {', '.join(CANDIDATE_SORTS)}")
    limit = max(1, int(limit))
    with store.read() as session:
        if counts is not None:
            everything, total = (max(0, int(n)) for n in counts)
        else:
            everything = q.count_candidates(session, store.campaign_id)
            total = q.count_candidates(session, store.campaign_id, status, flag) if (status or flag) else everything
        offset = max(0, min(int(offset), (total - 1) // limit * limit if total else 0))
        rows = q.candidates_sorted_page(session, store.campaign_id, status, flag, sort, descending, limit, offset,
                                        listed=True, total=total)
    return CandidatePage(_keep_flagged(rows, flag), offset, total, everything)


def candidate_ids(store: CampaignStore, status: str | None = None, among=None) -> list[int]:
    """Ids of the campaign's candidates, with ``status`` and among ``among`` if given, in id order (ids only)."""
    from hea_campaign.db import store as q

    with store.read() as session:
        return q.candidate_ids(session, store.campaign_id, status, among)


def candidates_with_ids(store: CampaignStore, ids) -> list[tuple[Candidate, str]]:
    """These candidates with their formulas, in id order (only these rows are read)."""
    from hea_campaign.db import store as q

    with store.read() as session:
        cands = q.candidates_by_id(session, store.campaign_id, ids)
        alloys = q.alloys_by_id(session, store.campaign_id, [c.alloy_id for c in cands.values()])
    return [(c, alloys[c.alloy_id].formula) for _, c in sorted(cands.items())]


def count_candidates(store: CampaignStore, status: str | None = None, flag: str | None = None) -> int:
    """How many candidates ``list_candidates`` pages through (counted by the database)."""
    from hea_campaign.db import store as q

    with store.read() as session:
        return q.count_candidates(session, store.campaign_id, status, flag)


DEFAULT_INGOT_G = 20.0  # the ingot mass a candidate's cost is given for until it is exported


def candidate_detail(store: CampaignStore, candidate_id: int, with_shap: bool = True,
                     ingot_g: float = DEFAULT_INGOT_G) -> CandidateDetail:
    """One candidate in full; its cost per ingot is for the ingot mass of the export batch it went out in
    (the newest one not voided), or for ``ingot_g`` when it has none."""
    from hea_campaign.model.descriptors import DESCRIPTOR_NAMES, featurize

    from hea_campaign.db.store import measurements_of_alloy

    from .export_batches import export_of
    from .model_use import model_use
    from .model_versions import get_version, load_version, version_arrays
    from .scoring import head_of
    from .uncertainty import novelty_cutoff

    with store.read() as session:
        cand = session.get(Candidate, candidate_id)
        if cand is None or cand.campaign_id != store.campaign_id:
            raise CampaignError(f"no candidate {candidate_id} in this campaign")
        alloy = session.get(Alloy, cand.alloy_id)
        start = session.get(Alloy, cand.start_alloy_id) if cand.start_alloy_id else None
        results = _lab_results(session, store.campaign_id, cand.id, alloy.formula)
        batch = export_of(session, store.campaign_id, cand.id)
        use = model_use(session, store.campaign_id, alloy, measurements_of_alloy(session, alloy.id)) if results else None
    if batch is not None and batch.mass_g and batch.mass_g > 0:
        ingot_g = float(batch.mass_g)
    version = get_version(store, cand.model_version_id)
    model, X_ref, _ = load_version(version)
    x = parse_formula(alloy.formula).vector(model.vocabulary)
    desc = featurize(x, model.vocabulary)
    ref = featurize(X_ref, model.vocabulary)
    shap_values = None
    if with_shap:
        from hea_campaign.model.explain import explain_one

        e = explain_one(head_of(model), x)  # SHAP over the 8 descriptors explains the head, not the scorer
        shap_values = {n: float(v) for n, v in zip(DESCRIPTOR_NAMES, np.ravel(e.contributions), strict=True)}
    from .design_space import load_prices
    from .economics import economics_of
    from .known_alloys import measured_alloys, nearest

    econ = economics_of(alloy.composition, load_prices(store))
    measured = measured_alloys(store, model.vocabulary)
    others = [i for i, f in enumerate(measured.formulas) if f != alloy.formula]  # not itself, once measured
    measured.X, measured.formulas, measured.labels = (measured.X[others], [measured.formulas[i] for i in others],
                                                      [measured.labels[i] for i in others])
    return CandidateDetail(
        candidate=cand,
        formula=alloy.formula,
        start_formula=start.formula if start else None,
        composition=alloy.composition,
        descriptors={n: float(v) for n, v in zip(DESCRIPTOR_NAMES, desc, strict=True)},
        training_range={n: (float(ref[:, j].min()), float(ref[:, j].max())) for j, n in enumerate(DESCRIPTOR_NAMES)},
        shap=shap_values,
        shap_head_p=None if shap_values is None else float(e.prediction),
        scored=head_of(model) is not model,
        nearest_measured=nearest(x[None], measured, 3)[0],
        cost_per_kg=econ.cost_per_kg if np.isfinite(econ.cost_per_kg) else None,
        cost_per_ingot=econ.cost_per_ingot(ingot_g) if np.isfinite(econ.cost_per_kg) else None,
        ingot_g=ingot_g,
        ingot_batch=batch.id if batch is not None and batch.mass_g and batch.mass_g > 0 else None,
        novel_cutoff=novelty_cutoff(version_arrays(version)),
        density=_stored_density(cand, econ.density),
        price_source=econ.price_source,
        lab_results=results,
        model_use=use,
    )


def _stored_density(cand: Candidate, computed: float) -> float:
    """The density the candidate list shows (stored when it was proposed, to 0.001 g/cm3), so the list and
    the detail never round one estimate two ways (8.3749 is 8.37, its stored 8.375 shows as 8.38); the
    element densities do not change, so it is today's estimate too.  ``computed`` when none is stored."""
    stored = (cand.uncertainty or {}).get("density_g_cm3")
    ok = isinstance(stored, (int, float)) and not isinstance(stored, bool) and np.isfinite(stored) and stored > 0
    return float(stored) if ok else computed


def _lab_results(session, campaign_id: int, candidate_id: int, formula: str) -> list[dict]:
    """What the lab recorded for a candidate or its alloy, oldest first; ``current`` is False for an entry a
    later correction replaced, ``for_candidate`` False for one entered by formula, not for this candidate
    (a scientist opening a candidate wants to see that its alloy was measured, however it was entered)."""
    from hea_campaign.db import store as q
    from hea_campaign.db.cockpit_queries import measurements_listing

    from .importing import DATASET_SOURCE

    rows = [m for m, _ in measurements_listing(session, campaign_id, formula=formula)
            if not m.source.startswith(DATASET_SOURCE) and not m.withdrawn]  # the lab's results, not a dataset's
    replaced = q.superseded_by(session, [m.id for m in rows])  # a correction may have moved it to another alloy
    withdrawn = q.withdrawals_of(session, replaced)  # a withdrawal: the result should never have been entered
    where = q.formulas_of_measurements(session, replaced.values())
    return [{"id": m.id, "single_phase": m.single_phase, "phases": m.phases, "method": m.method,
             "operator": m.operator, "measured_on": m.measured_on.isoformat() if m.measured_on else None,
             "made_composition": m.made_composition, "weighed_g": m.weighed_g, "notes": m.notes,
             "current": m.id not in replaced,
             "withdrawn": None if m.id not in withdrawn else {
                 "by": withdrawn[m.id].id, "reason": withdrawn[m.id].notes, "operator": withdrawn[m.id].operator,
                 "at": withdrawn[m.id].entered_at.strftime("%Y-%m-%d %H:%M")},
             "for_candidate": m.candidate_id == candidate_id,
             "moved_to": None if where.get(replaced.get(m.id), formula) == formula else where[replaced[m.id]]}
            for m in sorted(rows, key=lambda m: m.id)]
