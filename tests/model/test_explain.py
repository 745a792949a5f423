"""SHAP attributions of the classifier head."""

from __future__ import annotations


import numpy as np

from hea_campaign.model.descriptors import DESCRIPTOR_NAMES
from hea_campaign.model.explain import explain_many, explain_one, global_importance


def test_contributions_add_up_to_prediction(trained, seed_data):
    X, _, _ = seed_data
    res, _ = trained
    model = res.model
    rows = X[[3, 400, 1000]]
    vals, base = explain_many(model, rows)
    p = model.predict_proba(rows)
    np.testing.assert_allclose(base + vals.sum(1), p, atol=1e-4)
    # the base value is the (weighted) mean prediction over the stored background
    bg_p = model.predict_proba_descriptors(model.background.numpy())
    w = model.background_weights.numpy()
    assert abs(base - float((bg_p * w).sum())) < 1e-4


def test_explain_one_is_consistent(trained, seed_data):
    """What one explanation holds (how long it takes is bench/'s, never a test's)."""
    X, _, _ = seed_data
    res, _ = trained
    e = explain_one(res.model, X[7])
    assert e.descriptor_names == DESCRIPTOR_NAMES and e.contributions.shape == (8,)
    assert abs(e.base_value + e.contributions.sum() - e.prediction) < 1e-4
    d = e.as_dict()
    assert set(d["contributions"]) == set(DESCRIPTOR_NAMES)


def test_global_importance(trained, seed_data):
    X, _, _ = seed_data
    res, _ = trained
    imp = global_importance(res.model, X[:40])
    assert set(imp) == set(DESCRIPTOR_NAMES)
    v = list(imp.values())
    assert v == sorted(v, reverse=True) and v[0] > 0
