"""Reference models learn from the rows the scorer ends up learning from: labelled and validation."""

from __future__ import annotations

import numpy as np

from hea_campaign.model.evaluation import reference_baselines
from hea_campaign.model.splits import Split
from hea_campaign.model.vocabulary import DEFAULT_VOCABULARY as V


def test_reference_models_learn_from_the_validation_rows_too():
    rng = np.random.default_rng(0)
    X = np.zeros((120, len(V)))
    X[:, :5] = rng.dirichlet(np.ones(5), size=120)
    order = np.argsort(X[:, 0])
    X, y = X[order], (X[order, 0] > np.median(X[:, 0])).astype(int)  # single phase: rich in the first element
    low, rest = np.arange(0, 40), rng.permutation(np.arange(40, 120))  # the labelled rows are all multi phase
    split = Split(labelled=low[:30], unlabelled=low[30:], validation=rest[:40], test=rest[40:])
    out = reference_baselines(X, y, split, seed=0)
    for name, m in out.items():
        # fitted on labelled rows alone (all multi phase) it could only say "multi phase" everywhere
        assert m["test_accuracy"] > 0.5, (name, m)
