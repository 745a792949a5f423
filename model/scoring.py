"""The scorer: the probability of single phase used to rank candidates.

The SSVAE is the generative engine; the number a lab ranks by comes from the
best-validated scorer (DESIGN.md section 5): the SSVAE's classifier head
alone, tree ensembles on the same labels, or an average of several.  Tree
members see richer physics descriptors (``rich_descriptors``) and the
fractions themselves (trees find neighbourhoods of measured alloys there).

Selection: every candidate member set is fitted on the training rows and
scored on the validation rows (ROC AUC, then log-loss); the best set wins.
With fewer than ``MIN_VALIDATION`` validation rows the choice would be noise,
so the default set is kept: the forest alone, which found the most targets in
``simulate`` runs (validation of the strategy, never the test rows).  After selection the tree members are refitted on
training + validation rows (the head keeps its training).

Persistence without pickles: ``Scorer.state()`` is plain lists (the rows, the
labels, the members, the seed; a model version keeps the rows as arrays
instead, ``row_arrays``); ``Scorer.from_state`` refits the trees
deterministically (fixed ``random_state``, ``n_jobs=1``), so a stored version
gives the same probabilities after loading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .rich_descriptors import rich_descriptors
from .vocabulary import DEFAULT_VOCABULARY

__all__ = [
    "MEMBERS",
    "DEFAULT_MEMBERS",
    "CANDIDATE_SETS",
    "Scorer",
    "fit_scorer",
    "scorer_features",
]

MEMBERS = ("ssvae", "forest", "extra_trees", "boosting")
DEFAULT_MEMBERS = ("forest",)
CANDIDATE_SETS: tuple[tuple[str, ...], ...] = (
    ("forest",),
    ("forest", "extra_trees"),
    ("ssvae",),
    ("ssvae", "forest", "extra_trees"),
    ("forest", "extra_trees", "boosting"),
)
MIN_VALIDATION = 30
N_TREES = 300
SPREAD_GROUPS = 10  # sub-forests whose disagreement is the trees' spread
STATE_FORMAT = 1


def scorer_features(fractions: np.ndarray, vocabulary: Sequence[str] = DEFAULT_VOCABULARY) -> np.ndarray:
    """What the tree members see: rich descriptors followed by the fractions."""
    X = np.asarray(fractions, dtype=np.float64)
    return np.concatenate([rich_descriptors(X, vocabulary), X], axis=1)


def _tree_model(name: str, seed: int):
    from sklearn.ensemble import GradientBoostingClassifier

    from .forests import extra_trees, random_forest

    if name == "forest":
        return random_forest(n_estimators=N_TREES, random_state=seed, n_jobs=1)
    if name == "extra_trees":
        return extra_trees(n_estimators=N_TREES, random_state=seed, n_jobs=1)
    if name == "boosting":
        return GradientBoostingClassifier(random_state=seed)
    raise ValueError(f"unknown scorer member {name!r}; choose from {', '.join(MEMBERS)}")


MAX_TREE_ROWS = 20_000  # labelled alloys the tree members fit on at most (a lab's store holds 10^3-10^4)


def tree_rows(y: np.ndarray, seed: int) -> np.ndarray | None:
    """The rows the tree members fit on: all (None) up to ``MAX_TREE_ROWS``, beyond that a seeded
    sample of that many, stratified by class.  Deep trees grow with their rows: on 10^5 alloys with
    random labels their fit took 2,320 s and 11-13.7 GB, and on 10^6 it would not fit in memory."""
    n = len(y)
    if n <= MAX_TREE_ROWS:
        return None
    rng = np.random.default_rng(seed)
    keep = []
    for cls in np.unique(y):
        idx = np.flatnonzero(y == cls)
        take = max(1, round(MAX_TREE_ROWS * len(idx) / n))
        keep.append(rng.choice(idx, size=min(take, len(idx)), replace=False))
    return np.sort(np.concatenate(keep))


def _fit_trees(names, X, y, seed, vocabulary) -> dict:
    """The tree members fitted on the fractions ``X`` (their features made for the rows kept)."""
    rows = tree_rows(y, seed)
    if rows is not None:
        X, y = X[rows], y[rows]
    F = scorer_features(X, vocabulary) if any(name != "ssvae" for name in names) else None
    out = {}
    for name in names:
        if name == "ssvae":
            continue
        if len(np.unique(y)) < 2:
            raise ValueError("the scorer needs labelled rows of both classes")
        out[name] = _tree_model(name, seed).fit(F, y.astype(int))
    return out


def _estimators(model) -> list:
    """The decision trees of a fitted member, in order (boosting: one regression tree per stage)."""
    est = model.estimators_
    return list(est.ravel()) if isinstance(est, np.ndarray) else list(est)


def _rebuild_trees(members, seed: int, n_fractions: int, vocabulary, arrays: dict[str, np.ndarray]) -> dict:
    """Tree members from ``Scorer.tree_arrays``: each member is fitted on two dummy rows (which sets
    every attribute a fit sets for two classes), then each of its trees is replaced by the stored one
    (and boosting's class priors by the stored ones)."""
    from sklearn.tree._tree import NODE_DTYPE, Tree

    n_features = scorer_features(np.full((1, n_fractions), 1.0 / n_fractions), vocabulary).shape[1]
    out = {}
    for name in members:
        if name == "ssvae":
            continue
        if name in COMPACT_MEMBERS:  # kept compact: only what prediction reads
            out[name] = _compact_forest(name, arrays, n_features)
            continue
        counts = np.asarray(arrays[f"{name}.node_count"], dtype=np.int64)
        depths = np.asarray(arrays[f"{name}.max_depth"], dtype=np.int64)
        values = np.asarray(arrays[f"{name}.values"], dtype=np.float64)
        nodes = np.empty(int(counts.sum()), dtype=NODE_DTYPE)
        for f in NODE_DTYPE.names:
            nodes[f] = arrays[f"{name}.nodes.{f}"]
        model = _tree_model(name, seed).fit(np.zeros((2, n_features)), np.array([0, 1]))
        estimators = _estimators(model)
        if len(values) != len(nodes) or len(counts) != len(estimators) or values.ndim != 3:
            raise ValueError(f"the stored {name} does not match this member")
        n_classes = np.array([values.shape[2]], dtype=np.intp)
        starts = np.concatenate([[0], np.cumsum(counts)])
        for est, a, b, depth in zip(estimators, starts[:-1], starts[1:], depths, strict=True):
            tree = Tree(n_features, n_classes, 1)
            tree.__setstate__({"max_depth": int(depth), "node_count": int(b - a),
                               "nodes": np.ascontiguousarray(nodes[a:b]),
                               "values": np.ascontiguousarray(values[a:b])})
            est.tree_ = tree
        if name == "boosting":
            model.init_.class_prior_ = np.asarray(arrays[f"{name}.class_prior"], dtype=np.float64)
        out[name] = model
    return out


COMPACT_MEMBERS = ("forest", "extra_trees")  # members kept (and stored) as ``CompactForest``
COMPACT_FIELDS = (("left_child", np.int32), ("right_child", np.int32), ("feature", np.int32),
                  ("threshold", np.float64), ("missing_go_to_left", np.bool_))  # the node fields prediction reads


class CompactForest:
    """A fitted forest (random or extra trees) kept as only what its predictions read.

    Per node: children, feature, threshold, where a missing value goes and the leaf's
    fraction of class 1, 29 bytes instead of the 80 of scikit-learn's own trees (whose
    impurity and sample counts prediction never reads): the forests of a scorer fitted on
    10^5 alloys take gigabytes.  To predict, each tree in turn is made a scikit-learn
    ``Tree`` again (a few megabytes, dropped after), so its predictions are scikit-learn's
    own; the trees' class-1 fractions are added in tree order and divided by the number of
    trees, as ``ForestClassifier.predict_proba`` does (same bits).
    """

    def __init__(self, n_features, starts, depths, left, right, feature, threshold, missing_left, p_single):
        self.n_features = int(n_features)
        self.starts = np.asarray(starts, np.int64)
        self.depths = np.asarray(depths, np.int64)
        self.left = np.asarray(left, np.int32)
        self.right = np.asarray(right, np.int32)
        self.feature = np.asarray(feature, np.int32)
        self.threshold = np.asarray(threshold, np.float64)
        self.missing_left = np.asarray(missing_left, np.bool_)
        self.p_single = np.asarray(p_single, np.float64)

    @property
    def n_trees(self) -> int:
        return len(self.starts) - 1

    @staticmethod
    def as_float32(F: np.ndarray) -> np.ndarray:
        """The features as each scikit-learn tree reads them (float32, C order)."""
        return np.ascontiguousarray(F, dtype=np.float32)

    def tree(self, t: int):
        """Tree t as a scikit-learn ``Tree`` (the fields prediction does not read are zero)."""
        from sklearn.tree._tree import NODE_DTYPE, Tree

        a, b = int(self.starts[t]), int(self.starts[t + 1])
        nodes = np.zeros(b - a, dtype=NODE_DTYPE)
        nodes["left_child"] = self.left[a:b]
        nodes["right_child"] = self.right[a:b]
        nodes["feature"] = self.feature[a:b]
        nodes["threshold"] = self.threshold[a:b]
        nodes["missing_go_to_left"] = self.missing_left[a:b]
        values = np.empty((b - a, 1, 2))
        values[:, 0, 1] = self.p_single[a:b]
        values[:, 0, 0] = 1.0 - values[:, 0, 1]
        tree = Tree(self.n_features, np.array([2], dtype=np.intp), 1)
        tree.__setstate__({"max_depth": int(self.depths[t]), "node_count": b - a, "nodes": nodes, "values": values})
        return tree

    def tree_p(self, X32: np.ndarray, t: int) -> np.ndarray:
        """Tree t's class-1 fraction for each row of X32 (``as_float32``'s features)."""
        return self.tree(t).predict(X32)[:, 1]

    WALK_ROWS = 64  # up to this many rows, all trees are walked together (an inversion step scores a few)

    def _walk(self, X32: np.ndarray) -> np.ndarray:
        """(trees, rows) class-1 fractions, every tree walked at once in numpy: the path
        ``Tree.apply`` takes (a missing value goes where the split sends it, else left when
        the float32 feature is at most the float64 threshold), for a few rows without
        rebuilding each tree."""
        n, T = len(X32), self.n_trees
        base = np.repeat(self.starts[:-1], n)
        row = np.tile(np.arange(n), T)
        node = base.copy()
        walkers = np.arange(T * n)
        while walkers.size:
            here = node[walkers]
            left = self.left[here]
            inner = left != -1
            walkers, here, left = walkers[inner], here[inner], left[inner]
            if not walkers.size:
                break
            x = X32[row[walkers], self.feature[here]]
            go_left = np.where(np.isnan(x), self.missing_left[here], x <= self.threshold[here])
            node[walkers] = base[walkers] + np.where(go_left, left, self.right[here])
        return self.p_single[node].reshape(T, n)

    def predict_proba(self, F: np.ndarray) -> np.ndarray:
        """(rows, 2): column 1 is scikit-learn's p(class 1) exactly; column 0 is 1 - p."""
        X32 = self.as_float32(F)
        if len(X32) <= self.WALK_ROWS:
            acc = self.mean_of(self._walk(X32))
        else:
            acc = np.zeros(len(X32))
            for t in range(self.n_trees):
                acc += self.tree_p(X32, t)
            acc /= self.n_trees
        return np.column_stack([1.0 - acc, acc])

    @staticmethod
    def mean_of(votes: np.ndarray) -> np.ndarray:
        """p(class 1) from ``votes``, added in tree order as ``predict_proba`` adds them (same bits)."""
        acc = np.zeros(votes.shape[1])
        for v in votes:
            acc += v
        acc /= len(votes)
        return acc

    def votes(self, F: np.ndarray) -> np.ndarray:
        """(trees, rows) class-1 fractions, tree by tree."""
        X32 = self.as_float32(F)
        if len(X32) <= self.WALK_ROWS:
            return self._walk(X32)
        return np.stack([self.tree_p(X32, t) for t in range(self.n_trees)])


def _read_as(arrays, key: str, dtype, column: tuple[int, ...] | None = None, rows: int = 1 << 20) -> np.ndarray:
    """``arrays[key]`` (or its ``[:, *column]``) converted to ``dtype``; from an ``np.load``
    archive it is read a million rows at a time, never whole in its stored type (the trees
    of a forest on 10^5 alloys store gigabytes of int64 and (nodes, 1, 2) float64)."""
    zf = getattr(arrays, "zip", None)
    if zf is None or f"{key}.npy" not in zf.namelist():
        a = np.asarray(arrays[key])
        if column is not None:
            if a.ndim != 1 + len(column):
                raise ValueError(f"{key} has shape {a.shape}")
            a = a[(slice(None), *column)]
        return np.ascontiguousarray(a, dtype=dtype)
    from numpy.lib import format as npy

    with zf.open(f"{key}.npy") as fh:
        version = npy.read_magic(fh)
        shape, fortran, stored = (npy.read_array_header_1_0(fh) if version == (1, 0) else npy.read_array_header_2_0(fh))
        if stored.hasobject or fortran or not shape or (column is not None and len(shape) != 1 + len(column)):
            raise ValueError(f"{key}: not a plain array of the expected shape")
        inner = shape[1:]
        if column is not None and any(c >= n for c, n in zip(column, inner, strict=True)):
            raise ValueError(f"{key} has shape {shape}")
        row_bytes = stored.itemsize * int(np.prod(inner, dtype=np.int64))
        out = np.empty(shape[0] if column is not None else shape, dtype=dtype)
        for a in range(0, shape[0], rows):
            k = min(rows, shape[0] - a)
            data = fh.read(k * row_bytes)
            if len(data) != k * row_bytes:
                raise ValueError(f"{key} is shorter than its header says")
            part = np.frombuffer(data, dtype=stored).reshape((k, *inner))
            out[a:a + k] = part if column is None else part[(slice(None), *column)]
        return out


def _compact_forest(name: str, arrays, n_features: int) -> CompactForest:
    """A ``CompactForest`` from ``Scorer.tree_arrays`` (read one array at a time; the fields
    prediction never reads are not read at all)."""
    counts = np.asarray(arrays[f"{name}.node_count"], dtype=np.int64)
    if counts.ndim != 1 or not len(counts) or (counts < 1).any():
        raise ValueError(f"the stored {name} does not match this member")
    starts = np.concatenate([[0], np.cumsum(counts)])
    fields = {f: _read_as(arrays, f"{name}.nodes.{f}", dtype) for f, dtype in COMPACT_FIELDS}
    if f"{name}.p_single" in arrays:  # written compact
        p_single = _read_as(arrays, f"{name}.p_single", np.float64)
    else:  # written whole (trees files of format 1): the class-1 fraction only
        p_single = _read_as(arrays, f"{name}.values", np.float64, column=(0, 1))
    if any(len(v) != starts[-1] for v in (p_single, *fields.values())):
        raise ValueError(f"the stored {name} does not match this member")
    left, right, feature = fields["left_child"], fields["right_child"], fields["feature"]
    for a, b in zip(starts[:-1], starts[1:], strict=True):  # every walk must end at a leaf of its own tree
        lo, ro, fo = left[a:b], right[a:b], feature[a:b]
        inner = lo != -1
        own = np.arange(b - a)[inner]
        if not ((lo[inner] > own) & (ro[inner] > own) & (lo[inner] < b - a) & (ro[inner] < b - a)
                & (fo[inner] >= 0) & (fo[inner] < n_features)).all():
            raise ValueError(f"the stored {name} does not match this member")
    depths = np.asarray(arrays[f"{name}.max_depth"], dtype=np.int64)
    if depths.shape != counts.shape:
        raise ValueError(f"the stored {name} does not match this member")
    return CompactForest(n_features, starts, depths, left, right, feature, fields["threshold"],
                         fields["missing_go_to_left"], p_single)


def _member_probs(name: str, model, ssvae, X: np.ndarray, F: np.ndarray) -> np.ndarray:
    if name == "ssvae":
        return np.asarray(ssvae.predict_proba(X), dtype=np.float64)
    return model.predict_proba(F)[:, 1]


@dataclass
class Scorer:
    """An average of fitted members' probabilities (see the module docstring)."""

    members: tuple[str, ...]
    seed: int
    vocabulary: tuple[str, ...]
    X_fit: np.ndarray  # rows the tree members were (re)fitted on
    y_fit: np.ndarray
    ssvae: object | None = None
    validation: dict[str, dict[str, float]] = field(default_factory=dict)  # member set -> val metrics
    _trees: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if "ssvae" in self.members and self.ssvae is None:
            raise ValueError("this scorer averages the SSVAE head: give the SSVAE")
        if not self._trees:
            self._trees = _fit_trees(self.members, self.X_fit, self.y_fit, self.seed, self.vocabulary)

    def predict_proba(self, fractions: np.ndarray, return_std: bool = False):
        """p(single phase) per row; with ``return_std`` also the spread between members and trees."""
        X = np.asarray(fractions, dtype=np.float64).reshape(-1, len(self.vocabulary))
        if len(X) == 0:
            z = np.zeros(0)
            return (z, z) if return_std else z
        F = scorer_features(X, self.vocabulary)
        votes = {m: t.votes(F) for m, t in self._trees.items() if return_std and isinstance(t, CompactForest)}
        probs = [CompactForest.mean_of(votes[m]) if m in votes else _member_probs(m, self._trees.get(m), self.ssvae, X, F)
                 for m in self.members]
        p = np.mean(probs, axis=0)
        if not return_std:
            return p
        spreads, F32 = [], None
        for m in self.members:
            tree = self._trees.get(m)
            if m in votes:
                groups = np.array_split(np.arange(len(votes[m])), SPREAD_GROUPS)
                spreads.append(np.std([votes[m][g].mean(axis=0) for g in groups], axis=0))
            elif m in ("forest", "extra_trees"):
                # like the SSVAE's 10 bootstrap heads: the spread between 10 sub-forests
                # F checked and converted once (as each tree would do, to float32), not once per tree
                F32 = tree.estimators_[0]._validate_X_predict(F, True) if F32 is None else F32
                votes = np.stack([t.predict_proba(F32, check_input=False)[:, 1] for t in tree.estimators_])
                groups = np.array_split(np.arange(len(votes)), SPREAD_GROUPS)
                spreads.append(np.std([votes[g].mean(axis=0) for g in groups], axis=0))
            elif m == "ssvae":
                spreads.append(np.asarray(self.ssvae.predict_proba(X, return_std=True)[1], dtype=np.float64))
        between = np.std(probs, axis=0) if len(probs) > 1 else np.zeros(len(X))
        within = np.mean(spreads, axis=0) if spreads else np.zeros(len(X))
        return p, np.sqrt(between**2 + within**2)

    def state(self, with_rows: bool = True) -> dict:
        """Plain containers (for a checkpoint read with weights_only=True).

        ``with_rows=False`` leaves out the rows (``X_fit``, ``y_fit``): the caller stores them
        as arrays (``row_arrays``) and puts them back before ``from_state``.  As nested lists
        they cost a Python float each to write and to read back (at 10^5 rows, tens of seconds
        through torch's weights-only unpickler)."""
        out = {
            "format": STATE_FORMAT,
            "members": list(self.members),
            "seed": int(self.seed),
            "vocabulary": list(self.vocabulary),
            "validation": {k: {m: float(v) for m, v in d.items()} for k, d in self.validation.items()},
        }
        if with_rows:
            out["X_fit"] = np.asarray(self.X_fit, dtype=np.float64).tolist()
            out["y_fit"] = np.asarray(self.y_fit, dtype=np.int64).tolist()
        return out

    def row_arrays(self) -> dict[str, np.ndarray]:
        """The rows the trees were fitted on, as arrays (``state(with_rows=False)`` leaves them out)."""
        return {"X_fit": np.asarray(self.X_fit, dtype=np.float64), "y_fit": np.asarray(self.y_fit, dtype=np.int64)}

    def tree_arrays(self) -> dict[str, np.ndarray]:
        """The fitted tree members as plain arrays (``from_state(..., trees=...)`` takes them back)."""
        out: dict[str, np.ndarray] = {}
        for name, model in self._trees.items():
            states = [est.tree_.__getstate__() for est in _estimators(model)]
            nodes = np.concatenate([st["nodes"] for st in states])
            values = np.concatenate([st["values"] for st in states])
            if name in COMPACT_MEMBERS:  # only what prediction reads, 29 bytes a node instead of 80
                for f, dtype in COMPACT_FIELDS:
                    out[f"{name}.nodes.{f}"] = np.ascontiguousarray(nodes[f], dtype=dtype)
                out[f"{name}.p_single"] = np.ascontiguousarray(values[:, 0, 1], dtype=np.float64)
            else:
                for f in nodes.dtype.names:
                    out[f"{name}.nodes.{f}"] = np.ascontiguousarray(nodes[f])
                out[f"{name}.values"] = values
            out[f"{name}.node_count"] = np.array([st["node_count"] for st in states], dtype=np.int64)
            out[f"{name}.max_depth"] = np.array([st["max_depth"] for st in states], dtype=np.int64)
            if name == "boosting":  # the starting log-odds: the class priors of the rows it was fitted on
                out[f"{name}.class_prior"] = np.asarray(model.init_.class_prior_, dtype=np.float64)
        return out

    @classmethod
    def from_state(cls, state: dict, ssvae=None, trees: dict[str, np.ndarray] | None = None) -> Scorer:
        """Refit the stored scorer (deterministic: same rows, same seeds).

        ``trees``: what ``tree_arrays`` gave for this very scorer (the caller keys it by the
        checkpoint's sha256); the forests are then rebuilt from those arrays instead of refitted."""
        if int(state.get("format", 0)) > STATE_FORMAT:
            raise ValueError("the scorer was stored by a newer version of this program")
        members = tuple(str(m) for m in state["members"])
        unknown = set(members) - set(MEMBERS)
        if unknown:
            raise ValueError(f"unknown scorer members {sorted(unknown)}")
        voc = tuple(str(v) for v in state["vocabulary"])
        X = np.asarray(state["X_fit"], dtype=np.float64).reshape(-1, len(voc))
        y = np.asarray(state["y_fit"], dtype=np.int64)
        fitted = _rebuild_trees(members, int(state["seed"]), X.shape[1], voc, trees) if trees is not None else {}
        return cls(members, int(state["seed"]), voc, X, y, ssvae, dict(state.get("validation", {})), fitted)

    @property
    def label(self) -> str:
        return "+".join(self.members)


def _val_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    from .training import binary_metrics

    m = binary_metrics(y, p)
    return {"accuracy": m["accuracy"], "roc_auc": m["roc_auc"], "log_loss": m["log_loss"], "n": float(m["n"])}


def fit_scorer(
    X_lab: np.ndarray,
    y_lab: np.ndarray,
    X_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    *,
    ssvae=None,
    seed: int = 0,
    members: Sequence[str] | None = None,
    candidates: Sequence[Sequence[str]] = CANDIDATE_SETS,
    vocabulary: Sequence[str] = DEFAULT_VOCABULARY,
    min_validation: int = MIN_VALIDATION,
    fitted_on_train: dict | None = None,
) -> Scorer:
    """Choose the member set on validation rows (or take ``members``), then refit on all rows.

    ``ssvae``: a trained SSVAE whose head may be a member (it was selected on the
    same validation rows, so the comparison is like for like).
    ``fitted_on_train``: a dict that receives the chosen tree members as fitted on
    ``X_lab`` alone during selection (empty when there was no selection): the same
    trees ``Scorer(members, seed, vocabulary, X_lab, y_lab)`` would fit, so a caller
    that needs them (conformal calibration) does not fit them a second time.
    """
    voc = tuple(vocabulary)
    X_lab = np.asarray(X_lab, dtype=np.float64).reshape(-1, len(voc))
    y_lab = np.asarray(y_lab).astype(np.int64).ravel()
    X_val = np.zeros((0, len(voc))) if X_val is None else np.asarray(X_val, dtype=np.float64).reshape(-1, len(voc))
    y_val = np.zeros(0, np.int64) if y_val is None else np.asarray(y_val).astype(np.int64).ravel()
    usable = [tuple(c) for c in candidates if ssvae is not None or "ssvae" not in c]
    validation: dict[str, dict[str, float]] = {}
    if members is not None:
        chosen = tuple(members)
    elif len(y_val) >= min_validation and len(np.unique(y_val)) == 2 and len(usable) > 1:
        F_val = scorer_features(X_val, voc)
        needed = sorted({m for c in usable for m in c})
        trees = _fit_trees(needed, X_lab, y_lab, seed, voc)
        probs = {m: _member_probs(m, trees.get(m), ssvae, X_val, F_val) for m in needed}
        best, best_key = usable[0], None
        for cand in usable:
            m = _val_metrics(y_val, np.mean([probs[k] for k in cand], axis=0))
            validation["+".join(cand)] = m
            key = (-round(m["roc_auc"], 3), round(m["log_loss"], 4))
            if best_key is None or key < best_key:
                best, best_key = cand, key
        chosen = best
        for name in [m for m in trees if m not in chosen]:  # the chosen ones only from here on (memory)
            del trees[name]
        if fitted_on_train is not None:
            fitted_on_train.update(trees)
        del trees
    else:
        chosen = DEFAULT_MEMBERS
    X_all = np.concatenate([X_lab, X_val])
    y_all = np.concatenate([y_lab, y_val])
    return Scorer(chosen, int(seed), voc, X_all, y_all, ssvae if "ssvae" in chosen else None, validation)
