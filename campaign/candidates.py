"""Reading candidates back: lists with filters, and one candidate in full."""

from __future__ import annotations

from dataclasses import dataclass

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


def candidate_detail(store: CampaignStore, candidate_id: int, with_shap: bool = True) -> CandidateDetail:
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
    return CandidateDetail(
        candidate=cand,
        formula=alloy.formula,
        start_formula=start.formula if start else None,
        composition=alloy.composition,
        descriptors={n: float(v) for n, v in zip(DESCRIPTOR_NAMES, desc, strict=True)},
        training_range={n: (float(ref[:, j].min()), float(ref[:, j].max())) for j, n in enumerate(DESCRIPTOR_NAMES)},
        shap=shap_values,
    )
