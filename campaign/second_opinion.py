"""An independent second opinion on p(single phase).

A model of another family than the scorer, trained on the same labelled rows:
extremely randomised trees (scikit-learn ``ExtraTreesClassifier``) on the
eight descriptors plus the composition.  The SSVAE head sees only the
descriptors, so the trees also look at which elements an alloy holds.  When
its class differs from the scorer's, the candidate is ``disputed``.

It is not stored as a pickle: the checkpoint holds the training rows and the
model is refitted deterministically on load (fixed ``random_state``,
``n_jobs=1``), cached per checkpoint.  Refitting with another scikit-learn
version can change it slightly; the versions are recorded with each model
version.

``FAMILY`` names it; the scorer (issue 12's ``model/scoring.py``) must not
contain this family.  Changing family is one line here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from hea_campaign.model.descriptors import featurize

FAMILY = "extra_trees"
N_TREES = 300

_cache: OrderedDict[str, object] = OrderedDict()
_lock = threading.Lock()


def features(X: np.ndarray, vocabulary) -> np.ndarray:
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    return np.hstack([featurize(X, tuple(vocabulary)), X])


def fit(X: np.ndarray, y: np.ndarray, vocabulary, seed: int = 0):
    from sklearn.ensemble import ExtraTreesClassifier

    clf = ExtraTreesClassifier(n_estimators=N_TREES, random_state=seed, n_jobs=1)
    return clf.fit(features(X, vocabulary), np.asarray(y).astype(int))


def fitted(key: str, X: np.ndarray, y: np.ndarray, vocabulary, seed: int = 0):
    """The second opinion for a reference keyed by ``key`` (the checkpoint sha256), fitted once."""
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    clf = fit(X, y, vocabulary, seed)
    with _lock:
        _cache[key] = clf
        while len(_cache) > 8:
            _cache.popitem(last=False)
    return clf


def predict(clf, X: np.ndarray, vocabulary) -> np.ndarray:
    """p(single phase) of each row."""
    X = np.atleast_2d(X)
    if len(X) == 0:
        return np.zeros(0)
    proba = clf.predict_proba(features(X, vocabulary))
    classes = list(clf.classes_)
    return proba[:, classes.index(1)] if 1 in classes else np.zeros(len(X))
