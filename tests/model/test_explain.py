"""SHAP attributions of the classifier head."""

from __future__ import annotations


import numpy as np

from hea_campaign.campaign.chemistry import parse_formula
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


def test_explain_says_which_model_shap_explains_and_shows_the_scorers_p_beside_it(trained_store, capsys):
    """SHAP over the eight descriptors adds up to the SSVAE head's p; the p that ranks candidates is the
    scorer's, printed as such, never passed off as what the contributions add up to."""
    from hea_campaign.campaign.explaining import explain_formula
    from hea_campaign.campaign.model_versions import get_version, load_version
    from hea_campaign.campaign.scoring import head_of
    from hea_campaign.tui.cli import main

    formula, _, e, scorer_p = explain_formula(trained_store, "AlCoCrFeNi")
    model, _, _ = load_version(get_version(trained_store, None))
    x = parse_formula(formula).vector(model.vocabulary)[None]
    assert abs(e.prediction - float(head_of(model).predict_proba(x)[0])) < 1e-6
    assert abs(e.base_value + e.contributions.sum() - e.prediction) < 1e-4
    assert abs(scorer_p - float(model.predict_proba(x)[0])) < 1e-9
    assert main(["explain", "AlCoCrFeNi", "--db", trained_store.url]) == 0
    out = capsys.readouterr().out
    assert f"p(single phase) = {scorer_p:.3f} (model v" in out and "scorer" in out
    assert f"SSVAE head: p(single phase) = {e.prediction:.3f}" in out
