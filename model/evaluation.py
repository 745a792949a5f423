"""Honest evaluation of the SSVAE: splits, metrics, protocols, baselines.

Pure functions on arrays (fractions (N, V), labels (N,) in {0, 1}); they
return plain dataclasses and dicts that a command line can print. Test rows
are never used for training, early stopping or model selection.

Paper protocol (Zeng, Khan & Post): 10 % of the alloys are held out as test;
of the rest, 30 % form the unlabelled pool, of which 20 % are the (labelled)
validation rows; the remaining 70 % are labelled training rows. On the
1373-alloy top-30 set this gives 864 / 296 / 75 / 138.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from .ssvae import SSVAEConfig
from .training import TrainResult, binary_metrics, train

__all__ = [
    "Split",
    "PAPER_PROPORTIONS",
    "paper_split",
    "grouped_split",
    "split_from_labels",
    "near_duplicate_groups",
    "classification_metrics",
    "train_on_split",
    "gb_baseline",
    "SeedResult",
    "ProtocolResult",
    "evaluate_protocol",
    "DataEfficiencyRow",
    "data_efficiency",
    "subsample_labelled",
    "evaluate_external",
    "summarise",
    "format_table",
    "format_protocol",
    "format_data_efficiency",
]

PAPER_PROPORTIONS = {"test": 0.10, "unlabelled_pool": 0.30, "validation_of_pool": 0.20}
SPLIT_NAMES = ("labelled", "unlabelled", "validation", "test")


# --------------------------------------------------------------------------- splits


@dataclass
class Split:
    """Row indices of each part; the parts are disjoint."""

    labelled: np.ndarray
    unlabelled: np.ndarray
    validation: np.ndarray
    test: np.ndarray

    def sizes(self) -> dict[str, int]:
        return {k: int(len(getattr(self, k))) for k in SPLIT_NAMES}

    def labels(self, n: int) -> np.ndarray:
        """The split as an array of part names (one per row; '' for unused rows)."""
        out = np.full(n, "", dtype=object)
        for k in SPLIT_NAMES:
            out[getattr(self, k)] = k
        return out


def _check_y(y) -> np.ndarray:
    y = np.asarray(y).ravel()
    if not np.all(np.isin(y, (0, 1))):
        raise ValueError("labels must be 0 or 1")
    return y.astype(np.int64)


def paper_split(
    y: np.ndarray,
    seed: int,
    test_frac: float = 0.10,
    pool_frac: float = 0.30,
    val_frac: float = 0.20,
) -> Split:
    """Stratified, seeded split with the paper's proportions."""
    from sklearn.model_selection import train_test_split

    y = _check_y(y)
    idx = np.arange(len(y))
    rest, test = train_test_split(idx, test_size=test_frac, stratify=y, random_state=seed)
    lab, pool = train_test_split(rest, test_size=pool_frac, stratify=y[rest], random_state=seed + 1)
    unl, val = train_test_split(pool, test_size=val_frac, stratify=y[pool], random_state=seed + 2)
    return Split(np.sort(lab), np.sort(unl), np.sort(val), np.sort(test))


def near_duplicate_groups(fractions: np.ndarray, decimals: int = 2) -> np.ndarray:
    """Group id per row: rows whose fractions agree after rounding share a group."""
    f = np.round(np.asarray(fractions, dtype=np.float64), decimals) + 0.0  # -0.0 -> 0.0
    _, inv = np.unique(f, axis=0, return_inverse=True)
    return inv.ravel().astype(np.int64)


def _group_take(idx: np.ndarray, y: np.ndarray, groups: np.ndarray, frac: float, rng) -> tuple:
    """Split idx into (rest, taken) with about frac of the rows taken, whole groups
    only, stratified by each group's majority label."""
    g = groups[idx]
    ug, inv = np.unique(g, return_inverse=True)
    sizes = np.bincount(inv)
    pos = np.bincount(inv, weights=y[idx])
    glabel = (pos * 2 >= sizes).astype(int)
    taken_groups = np.zeros(len(ug), dtype=bool)
    for lab in (0, 1):
        members = np.flatnonzero(glabel == lab)
        target = frac * sizes[members].sum()
        got = 0
        for m in rng.permutation(members):  # greedy: take a group if it brings us closer
            if got + sizes[m] / 2 <= target:
                taken_groups[m] = True
                got += sizes[m]
    take = taken_groups[inv]
    return idx[~take], idx[take]


def grouped_split(
    fractions: np.ndarray,
    y: np.ndarray,
    seed: int,
    test_frac: float = 0.10,
    pool_frac: float = 0.30,
    val_frac: float = 0.20,
    decimals: int = 2,
) -> Split:
    """Paper proportions, with near-duplicates (fractions rounded to ``decimals``)
    kept on one side of every cut; stratified by group majority label."""
    y = _check_y(y)
    groups = near_duplicate_groups(fractions, decimals)
    rng = np.random.default_rng(seed)
    idx = np.arange(len(y))
    rest, test = _group_take(idx, y, groups, test_frac, rng)
    lab, pool = _group_take(rest, y, groups, pool_frac, rng)
    unl, val = _group_take(pool, y, groups, val_frac, rng)
    return Split(np.sort(lab), np.sort(unl), np.sort(val), np.sort(test))


def split_from_labels(labels: Sequence[str]) -> Split:
    """A fixed split given as one part name per row (labelled / unlabelled /
    validation / test; anything else, e.g. '', leaves the row out)."""
    a = np.asarray(labels, dtype=object)
    unknown = set(a.tolist()) - set(SPLIT_NAMES) - {"", None}
    if unknown:
        raise ValueError(f"unknown split names: {sorted(map(str, unknown))}")
    return Split(*(np.flatnonzero(a == k) for k in SPLIT_NAMES))


# --------------------------------------------------------------------------- metrics


def classification_metrics(y_true: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """accuracy (p >= 0.5), ROC AUC, log-loss and n."""
    return binary_metrics(y_true, p)


def _part_metrics(predict_rows: Callable[[np.ndarray], np.ndarray], y, split: Split) -> dict:
    out = {}
    for part, idx in (("train", split.labelled), ("val", split.validation), ("test", split.test)):
        if len(idx):
            m = binary_metrics(y[idx], predict_rows(idx))
            out[f"{part}_accuracy"] = m["accuracy"]
            out[f"{part}_roc_auc"] = m["roc_auc"]
    return out


def train_on_split(
    X: np.ndarray,
    y: np.ndarray,
    split: Split,
    config: SSVAEConfig | None = None,
    progress=None,
    should_stop=None,
) -> tuple[TrainResult, dict[str, float]]:
    """Train on the split's labelled/unlabelled rows (validation for selection) and
    measure train / val / test metrics."""
    X = np.asarray(X, dtype=np.float64)
    y = _check_y(y).astype(np.float64)
    res = train(
        X[split.labelled], y[split.labelled], X[split.unlabelled],
        X[split.validation], y[split.validation], config, progress=progress, should_stop=should_stop,
    )
    return res, _part_metrics(lambda idx: res.model.predict_proba(X[idx]), y, split)


def gb_baseline(
    X: np.ndarray,
    y: np.ndarray,
    split: Split,
    seed: int = 0,
    vocabulary: Sequence[str] | None = None,
) -> dict[str, float]:
    """sklearn GradientBoostingClassifier (defaults) on the same 8 descriptors and
    the same labelled rows; metrics on train / val / test."""
    from sklearn.ensemble import GradientBoostingClassifier

    from .descriptors import featurize
    from .vocabulary import DEFAULT_VOCABULARY

    D = featurize(np.asarray(X, dtype=np.float64), tuple(vocabulary or DEFAULT_VOCABULARY))
    y = _check_y(y)
    clf = GradientBoostingClassifier(random_state=seed).fit(D[split.labelled], y[split.labelled])
    return _part_metrics(lambda idx: clf.predict_proba(D[idx])[:, 1], y.astype(np.float64), split)


# --------------------------------------------------------------------------- protocols


@dataclass
class SeedResult:
    seed: int
    sizes: dict[str, int]
    ssvae: dict[str, float]
    baseline: dict[str, float] = field(default_factory=dict)
    best_epoch: int = 0
    train_seconds: float = 0.0


@dataclass
class ProtocolResult:
    protocol: str
    grouped: bool
    seeds: list[SeedResult]
    summary: dict[str, dict[str, tuple[float, float]]]  # model -> metric -> (mean, sd)

    def to_dict(self) -> dict:
        return asdict(self)


def summarise(rows: Sequence[dict[str, float]]) -> dict[str, tuple[float, float]]:
    """Mean and sample standard deviation (ddof=1) of each metric over seeds."""
    keys = sorted({k for r in rows for k in r})
    out = {}
    for k in keys:
        v = np.array([r[k] for r in rows if k in r and r[k] == r[k]], dtype=np.float64)
        if len(v) == 0:
            out[k] = (math.nan, math.nan)
        else:
            out[k] = (float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0)
    return out


def evaluate_protocol(
    X: np.ndarray,
    y: np.ndarray,
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    config: SSVAEConfig | None = None,
    grouped: bool = False,
    baseline: bool = True,
    progress: Callable[[str], None] | None = None,
) -> ProtocolResult:
    """The paper protocol over several split seeds: SSVAE (and the GB baseline)
    trained on each seed's split; mean +/- sd of train / val / test metrics."""
    cfg = config or SSVAEConfig()
    X = np.asarray(X, dtype=np.float64)
    y = _check_y(y)
    results = []
    for s in seeds:
        split = grouped_split(X, y, s) if grouped else paper_split(y, s)
        t0 = time.perf_counter()
        res, m = train_on_split(X, y, split, cfg.replace(seed=int(s)))
        sr = SeedResult(int(s), split.sizes(), m, best_epoch=res.best_epoch,
                        train_seconds=time.perf_counter() - t0)
        if baseline:
            sr.baseline = gb_baseline(X, y, split, seed=int(s), vocabulary=cfg.vocabulary)
        results.append(sr)
        if progress is not None:
            progress(f"seed {s}: test acc {m.get('test_accuracy', math.nan):.3f} "
                     f"auc {m.get('test_roc_auc', math.nan):.3f} ({sr.train_seconds:.1f} s)")
    summary = {"ssvae": summarise([r.ssvae for r in results])}
    if baseline:
        summary["gradient_boosting"] = summarise([r.baseline for r in results])
    return ProtocolResult("paper", grouped, results, summary)


def subsample_labelled(split: Split, y: np.ndarray, n: int, seed: int) -> Split:
    """Keep n labelled rows (stratified, seeded); the other labelled rows join
    the unlabelled pool with their labels hidden. Validation and test unchanged."""
    from sklearn.model_selection import train_test_split

    y = _check_y(y)
    if n >= len(split.labelled):
        return split
    keep, drop = train_test_split(split.labelled, train_size=n, stratify=y[split.labelled],
                                  random_state=seed)
    return Split(np.sort(keep), np.sort(np.concatenate([split.unlabelled, drop])),
                 split.validation, split.test)


@dataclass
class DataEfficiencyRow:
    n_labelled: int
    semi_supervised: dict[str, tuple[float, float]]
    supervised_only: dict[str, tuple[float, float]]


def data_efficiency(
    X: np.ndarray,
    y: np.ndarray,
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    n_labelled: Sequence[int] = (864, 247),
    config: SSVAEConfig | None = None,
    split_fn: Callable[[int], Split] | None = None,
) -> list[DataEfficiencyRow]:
    """SSVAE vs the same network trained supervised only (VAE and unlabelled terms
    off: only the classifier head and its loss), at each labelled-set size."""
    cfg = config or SSVAEConfig()
    X = np.asarray(X, dtype=np.float64)
    y = _check_y(y)
    rows = []
    for n in n_labelled:
        semi, sup = [], []
        for s in seeds:
            split = split_fn(s) if split_fn else paper_split(y, s)
            sub = subsample_labelled(split, y, n, s)
            semi.append(train_on_split(X, y, sub, cfg.replace(seed=int(s)))[1])
            sup.append(train_on_split(X, y, sub, cfg.replace(seed=int(s), supervised_only=True))[1])
        rows.append(DataEfficiencyRow(int(n), summarise(semi), summarise(sup)))
    return rows


def evaluate_external(model, X: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Metrics of a trained model on an external labelled set (fractions over the
    model's vocabulary)."""
    p = model.predict_proba(np.asarray(X, dtype=np.float64))
    return binary_metrics(_check_y(y), p)


# --------------------------------------------------------------------------- printing


def format_table(rows: Sequence[Sequence], header: Sequence[str]) -> str:
    """Plain fixed-width table."""
    cells = [[str(h) for h in header]] + [[str(c) for c in r] for r in rows]
    w = [max(len(r[i]) for r in cells) for i in range(len(header))]
    line = lambda r: "  ".join(c.rjust(w[i]) if i else c.ljust(w[i]) for i, c in enumerate(r))  # noqa: E731
    return "\n".join([line(cells[0]), "  ".join("-" * x for x in w), *map(line, cells[1:])])


def _ms(t: tuple[float, float]) -> str:
    return "n/a" if t[0] != t[0] else f"{t[0]:.3f} +/- {t[1]:.3f}"


def format_protocol(result: ProtocolResult) -> str:
    rows = []
    for name, summ in result.summary.items():
        for part in ("train", "val", "test"):
            rows.append([name, part, _ms(summ.get(f"{part}_accuracy", (math.nan, math.nan))),
                         _ms(summ.get(f"{part}_roc_auc", (math.nan, math.nan)))])
    title = f"protocol {result.protocol}{' (grouped)' if result.grouped else ''}, seeds " + \
        ",".join(str(s.seed) for s in result.seeds)
    return title + "\n" + format_table(rows, ["model", "part", "accuracy", "ROC AUC"])


def format_data_efficiency(rows: Sequence[DataEfficiencyRow]) -> str:
    out = []
    for r in rows:
        for name, summ in (("semi-supervised", r.semi_supervised), ("supervised only", r.supervised_only)):
            out.append([r.n_labelled, name, _ms(summ.get("test_accuracy", (math.nan, math.nan))),
                        _ms(summ.get("test_roc_auc", (math.nan, math.nan)))])
    return format_table(out, ["labelled", "model", "test accuracy", "test ROC AUC"])
