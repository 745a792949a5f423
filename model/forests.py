"""Random forests and extra trees that fit the same trees with less bookkeeping per tree.

scikit-learn clones its template tree for every tree of a forest, and each
clone reads the tree's constructor signature with ``inspect`` five times
(``get_params``, ``set_params``, the random states).  On the few hundred rows
of a campaign that bookkeeping cost as much as growing the trees: about 6 of
76 s in a profiled ``simulate`` repeat, which fits 600 trees per training.
The trees here look their parameter names up once per class; everything else
(parameters, random states, bootstrap rows, the grown trees) is scikit-learn's
own, so a forest fits exactly the trees of the plain class (tests/model/test_forests.py).
"""

from __future__ import annotations

from functools import cache

from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier, ExtraTreeClassifier


@cache
def _param_names(cls) -> tuple[str, ...]:
    return tuple(super(_NamesOnce, cls)._get_param_names())


class _NamesOnce:
    @classmethod
    def _get_param_names(cls):
        return list(_param_names(cls))


class _Tree(_NamesOnce, DecisionTreeClassifier):
    """A DecisionTreeClassifier whose parameter names are read once."""


class _ExtraTree(_NamesOnce, ExtraTreeClassifier):
    """An ExtraTreeClassifier whose parameter names are read once."""


def random_forest(**params) -> RandomForestClassifier:
    """``RandomForestClassifier(**params)`` growing its trees from ``_Tree``."""
    forest = RandomForestClassifier(**params)
    forest.estimator = _Tree()
    return forest


def extra_trees(**params) -> ExtraTreesClassifier:
    """``ExtraTreesClassifier(**params)`` growing its trees from ``_ExtraTree``."""
    forest = ExtraTreesClassifier(**params)
    forest.estimator = _ExtraTree()
    return forest
