"""The physics rule (mixing enthalpy window, then small size difference) and the fading prior it lends greedy."""

from __future__ import annotations

import numpy as np

from hea_campaign.campaign.acquisition import pick_batch
from hea_campaign.campaign.chemistry import parse_formula
from hea_campaign.model.descriptors import featurize
from hea_campaign.model.physics_rule import PRIOR_LABELS, RULE_DH_WINDOW, physics_prior, rule_scores
from hea_campaign.model.vocabulary import DEFAULT_VOCABULARY


def _rows(*formulas):
    return np.array([parse_formula(f).vector(DEFAULT_VOCABULARY) for f in formulas])


def test_rule_puts_the_window_first_then_the_smaller_size_difference():
    X = _rows("CoCrFeNi", "CoCrFeNiTi0.5", "AlNi", "CoCrFeMnNi")
    D = featurize(X)
    dh, delta = D[:, 7], D[:, 4]
    lo, hi = RULE_DH_WINDOW
    inside = (dh >= lo) & (dh <= hi)
    assert inside.tolist() == [True, True, False, True]  # B2-forming AlNi mixes at about -22 kJ/mol
    order = np.argsort(-rule_scores(X)).tolist()
    assert order[-1] == 2  # outside the window: last, whatever its size difference
    assert order[:3] == sorted([0, 1, 3], key=lambda i: delta[i])  # inside: smaller size difference first


def test_the_prior_is_the_rules_percentile_and_fades_with_labels():
    X = _rows("CoCrFeNi", "CoCrFeNiTi0.5", "AlNi", "CoCrFeMnNi")
    few, many = physics_prior(X, 50), physics_prior(X, 500)
    best, worst = int(np.argmax(rule_scores(X))), 2
    assert few[best] == PRIOR_LABELS / 50 and few[worst] == 0.0
    np.testing.assert_allclose(many, few / 10)
    np.testing.assert_allclose(np.sort(few), np.array([0, 1, 2, 3]) / 3 * PRIOR_LABELS / 50)
    assert physics_prior(np.zeros((0, len(DEFAULT_VOCABULARY))), 50).shape == (0,)


def test_greedy_follows_the_rule_while_labels_are_few_and_p_once_they_are_many():
    X = _rows("AlNi", "CoCrFeNi")  # the rule prefers row 1
    p = np.array([0.62, 0.55])
    zeros = np.zeros(2)
    assert pick_batch("greedy", p, zeros, X, None, 1, n_labels=50) == [1]  # 0.55 + 0.3 > 0.62
    assert pick_batch("greedy", p, zeros, X, None, 1, n_labels=1000) == [0]  # 0.55 + 0.015 < 0.62
    assert pick_batch("greedy", p, zeros, X, None, 1) == [0]  # no label count: p alone
    # the other strategies never see the prior
    assert pick_batch("exploit", p, zeros, X, np.array([[0.0], [1.0]]), 1, n_labels=50) == [0]
