"""Reading candidates back: lists with filters, and one candidate in full."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

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
    ingot_g: float = 20.0
    density: float | None = None  # g/cm3, rule-of-mixtures estimate
    price_source: str = ""


def list_candidates(
    store: CampaignStore, status: str | None = None, flag: str | None = None,
    limit: int | None = None, offset: int = 0,
) -> list[tuple[Candidate, str]]:
    """Candidates in id order, filtered by status and flag in the database, one page at a time."""
    from hea_campaign.db import store as q

    with store.read() as session:
        rows = q.candidates_page(session, store.campaign_id, status, flag, limit, offset)
    if flag:  # the database narrowed the rows down; keep those whose flags name it
        rows = [(c, f) for c, f in rows if any(x.get("flag") == flag for x in c.flags)]
    return rows


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


def candidate_detail(store: CampaignStore, candidate_id: int, with_shap: bool = True,
                     ingot_g: float = 20.0) -> CandidateDetail:
    from hea_campaign.model.descriptors import DESCRIPTOR_NAMES, featurize

    from .model_versions import get_version, load_version

    with store.read() as session:
        cand = session.get(Candidate, candidate_id)
        if cand is None or cand.campaign_id != store.campaign_id:
            raise CampaignError(f"no candidate {candidate_id} in this campaign")
        alloy = session.get(Alloy, cand.alloy_id)
        start = session.get(Alloy, cand.start_alloy_id) if cand.start_alloy_id else None
    version = get_version(store, cand.model_version_id)
    model, X_ref, _ = load_version(version)
    x = parse_formula(alloy.formula).vector(model.vocabulary)
    desc = featurize(x, model.vocabulary)
    ref = featurize(X_ref, model.vocabulary)
    shap_values = None
    if with_shap:
        from hea_campaign.model.explain import explain_one

        e = explain_one(model, x)
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
        nearest_measured=nearest(x[None], measured, 3)[0],
        cost_per_kg=econ.cost_per_kg if np.isfinite(econ.cost_per_kg) else None,
        cost_per_ingot=econ.cost_per_ingot(ingot_g) if np.isfinite(econ.cost_per_kg) else None,
        ingot_g=ingot_g,
        density=econ.density,
        price_source=econ.price_source,
    )
