"""SHAP explanations of the active (or a chosen) model for a formula."""

from __future__ import annotations

from .chemistry import parse_formula
from .errors import CampaignError
from .model_versions import get_version, load_version
from .store import CampaignStore


def explain_formula(store: CampaignStore, formula: str, version_id: int | None = None):
    """(canonical formula, model version id, Explanation)."""
    from hea_campaign.model.explain import explain_one

    version = get_version(store, version_id)
    model, _, _ = load_version(version)
    comp = parse_formula(formula)
    try:
        x = comp.vector(model.vocabulary)
    except ValueError as exc:
        raise CampaignError(str(exc)) from None
    return comp.formula, version.id, explain_one(model, x)
