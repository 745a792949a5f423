"""The forests of model.forests fit exactly the trees of scikit-learn's own classes."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier

from hea_campaign.model.forests import extra_trees, random_forest


def _data(seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.random((90, 12))
    y = (X[:, 0] + 0.3 * rng.random(90) > 0.6).astype(int)
    return X, y


@pytest.mark.parametrize(("plain", "quick"), [(RandomForestClassifier, random_forest), (ExtraTreesClassifier, extra_trees)])
def test_same_trees_as_scikit_learn(plain, quick):
    X, y = _data()
    params = {"n_estimators": 40, "random_state": 7, "n_jobs": 1}
    a, b = plain(**params).fit(X, y), quick(**params).fit(X, y)
    assert len(a.estimators_) == len(b.estimators_) == 40
    for ta, tb in zip(a.estimators_, b.estimators_, strict=True):
        assert ta.get_params() == tb.get_params()  # the random state of every tree too
        for field in ("children_left", "feature", "threshold", "value"):
            np.testing.assert_array_equal(getattr(ta.tree_, field), getattr(tb.tree_, field))
    Xq = _data(1)[0]
    np.testing.assert_array_equal(a.predict_proba(Xq), b.predict_proba(Xq))


def test_a_tree_still_clones_with_every_parameter():
    forest = random_forest(n_estimators=3, random_state=0, max_depth=4).fit(*_data())
    tree = forest.estimators_[0]
    copy = clone(tree)
    assert type(copy) is type(tree) and copy.get_params() == tree.get_params()
    assert copy.get_params()["max_depth"] == 4
