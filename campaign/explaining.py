"""SHAP explanations of the active (or a chosen) model for a formula."""

from __future__ import annotations

from .chemistry import parse_typed_formula
from .errors import CampaignError
from .model_versions import get_version, load_version
from .store import CampaignStore


def explain_formula(store: CampaignStore, formula: str, version_id: int | None = None, allow_capitals: bool = False):
    """(canonical formula, model version id, Explanation of the SSVAE head, the scorer's p or None).

    SHAP over the eight descriptors explains the SSVAE head (a function of them); the
    scorer that ranks candidates also reads the fractions and richer descriptors, so
    its p is given beside the explanation, never passed off as what SHAP adds up to.  A formula typed
    all in capitals that also reads as another alloy raises CapitalsFormula unless ``allow_capitals``.
    """
    from hea_campaign.model.explain import explain_one

    from .scoring import ScoredModel, head_of

    version = get_version(store, version_id)
    model, _, _ = load_version(version)
    comp = parse_typed_formula(formula, confirmed=allow_capitals)
    try:
        x = comp.vector(model.vocabulary)
    except ValueError as exc:
        raise CampaignError(str(exc)) from None
    scorer_p = float(model.predict_proba(x[None])[0]) if isinstance(model, ScoredModel) else None
    return comp.formula, version.id, explain_one(head_of(model), x), scorer_p
