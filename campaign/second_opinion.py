"""An independent second opinion on p(single phase).

A model of another family than the scorer, trained on the same labelled rows:
k nearest neighbours (scikit-learn ``KNeighborsClassifier``, k = 7, weighted
by inverse distance) on the composition itself, with the Manhattan distance
(twice the at.% change).  The scorer's members (the SSVAE head, random
forest, extra trees, gradient boosting; /work/coord/scorer.md) all learn
from descriptors; this one asks only "what happened to the most similar
alloys we measured?".  On validation rows of three grouped splits it scored
accuracy 0.80 and ROC AUC 0.90 (an SVM 0.82 / 0.89, a logistic regression
and a Gaussian process were slower and no better).  When its class differs
from the scorer's, the candidate is ``disputed``.

Nothing is pickled: the checkpoint holds the training rows and the model is
refitted on load (k-NN fitting only indexes the rows, so it is exact and
deterministic), cached per checkpoint.

``FAMILY`` names it; the scorer must not contain this family.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

FAMILY = "k_nearest_neighbours"
DESCRIPTION = "k nearest neighbours (7 most similar labelled alloys)"
K = 7

_cache: OrderedDict[str, object] = OrderedDict()
_lock = threading.Lock()


def features(X: np.ndarray, vocabulary) -> np.ndarray:
    return np.atleast_2d(np.asarray(X, dtype=np.float64))


def fit(X: np.ndarray, y: np.ndarray, vocabulary, seed: int = 0):
    from sklearn.neighbors import KNeighborsClassifier

    clf = KNeighborsClassifier(n_neighbors=min(K, len(X)), weights="distance", metric="manhattan", n_jobs=1)
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
