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

from .splits import SPLIT_NAMES, Split, grouped_split, near_duplicate_groups, system_holdout_split
from .ssvae import SSVAEConfig
from .training import TrainResult, binary_metrics, train

__all__ = [
    "Split",
    "PAPER_PROPORTIONS",
    "paper_split",
    "grouped_split",
    "system_holdout_split",
    "make_split",
    "split_from_labels",
    "near_duplicate_groups",
    "classification_metrics",
    "train_on_split",
    "gb_baseline",
    "reference_baselines",
    "reference_model",
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
    "scorer_on_split",
    "DATA_EFFICIENCY_SIZES",
]

PAPER_PROPORTIONS = {"test": 0.10, "unlabelled_pool": 0.30, "validation_of_pool": 0.20}


# --------------------------------------------------------------------------- splits


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
    """Stratified, seeded split with the paper's proportions (rows are independent)."""
    from sklearn.model_selection import train_test_split

    y = _check_y(y)
    idx = np.arange(len(y))
    rest, test = train_test_split(idx, test_size=test_frac, stratify=y, random_state=seed)
    lab, pool = train_test_split(rest, test_size=pool_frac, stratify=y[rest], random_state=seed + 1)
    unl, val = train_test_split(pool, test_size=val_frac, stratify=y[pool], random_state=seed + 2)
    return Split(np.sort(lab), np.sort(unl), np.sort(val), np.sort(test))


def make_split(X: np.ndarray, y: np.ndarray, seed: int, protocol: str = "paper", grouped: bool = False) -> Split:
    """The split of one seed under a protocol: paper (random or grouped) or system-holdout."""
    if protocol == "system-holdout":
        return system_holdout_split(X, y, seed)
    if protocol != "paper":
        raise ValueError(f"unknown protocol {protocol!r}; choose paper or system-holdout")
    return grouped_split(X, y, seed) if grouped else paper_split(y, seed)


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
    return reference_baselines(X, y, split, seed, vocabulary, models=("gradient_boosting",))["gradient_boosting"]


REFERENCE_MODELS = ("gradient_boosting", "random_forest")


def scorer_on_split(X: np.ndarray, y: np.ndarray, split: Split, seed: int, train_result=None,
                    vocabulary: Sequence[str] | None = None) -> dict[str, dict[str, float]]:
    """The campaign's scorer (model.scoring) fitted on the split's labelled rows, its member
    set chosen on the validation rows (the SSVAE head of ``train_result`` a candidate);
    metrics on train / val / test.  Validation rows join the trees' training after
    selection, so its val figures are not held out."""
    from .scoring import fit_scorer
    from .vocabulary import DEFAULT_VOCABULARY

    X = np.asarray(X, dtype=np.float64)
    y = _check_y(y)
    sc = fit_scorer(X[split.labelled], y[split.labelled], X[split.validation], y[split.validation],
                    ssvae=getattr(train_result, "model", None), seed=seed,
                    vocabulary=tuple(vocabulary or DEFAULT_VOCABULARY))
    m = _part_metrics(lambda idx: sc.predict_proba(X[idx]), y.astype(np.float64), split)
    m["members"] = sc.label  # type: ignore[assignment]
    return {"scorer": m}


def reference_model(name: str, seed: int):
    """A reference classifier, seeded and single-threaded (same result on every machine)."""
    from sklearn.ensemble import GradientBoostingClassifier

    from .forests import random_forest

    if name == "gradient_boosting":
        return GradientBoostingClassifier(random_state=seed)
    if name == "random_forest":
        return random_forest(n_estimators=300, random_state=seed, n_jobs=1)
    raise ValueError(f"unknown reference model {name!r}")


def reference_baselines(
    X: np.ndarray,
    y: np.ndarray,
    split: Split,
    seed: int = 0,
    vocabulary: Sequence[str] | None = None,
    models: Sequence[str] = REFERENCE_MODELS,
) -> dict[str, dict[str, float]]:
    """The reference models (sklearn defaults) on the same 8 descriptors; metrics on
    train / val / test, per model.

    They learn from the labelled and the validation rows: the scorer's trees are
    refitted on both once its members are chosen, and a reference model has no
    choice to make on validation, so both sides of a comparison see the same labels
    (their val figures are therefore not held out)."""
    from .descriptors import featurize
    from .vocabulary import DEFAULT_VOCABULARY

    D = featurize(np.asarray(X, dtype=np.float64), tuple(vocabulary or DEFAULT_VOCABULARY))
    y = _check_y(y)
    out = {}
    for name in models:
        rows = np.concatenate([split.labelled, split.validation])
        clf = reference_model(name, seed).fit(D[rows], y[rows])
        out[name] = _part_metrics(lambda idx, c=clf: c.predict_proba(D[idx])[:, 1], y.astype(np.float64), split)
    return out


# --------------------------------------------------------------------------- protocols


@dataclass
class SeedResult:
    seed: int
    sizes: dict[str, int]
    ssvae: dict[str, float]
    baseline: dict[str, float] = field(default_factory=dict)  # gradient boosting
    others: dict[str, dict[str, float]] = field(default_factory=dict)  # model name -> metrics
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
    keys = sorted({k for r in rows for k, v in r.items() if isinstance(v, (int, float))})
    out = {}
    for k in keys:
        v = np.array([r[k] for r in rows if k in r and r[k] == r[k]], dtype=np.float64)
        if len(v) == 0:
            out[k] = (math.nan, math.nan)
        else:
            out[k] = (float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else math.nan)  # no spread from one
    return out


def evaluate_protocol(
    X: np.ndarray,
    y: np.ndarray,
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    config: SSVAEConfig | None = None,
    grouped: bool = False,
    baseline: bool = True,
    progress: Callable[[str], None] | None = None,
    protocol: str = "paper",
    extra_models: Callable[[np.ndarray, np.ndarray, Split, int, object], dict[str, dict[str, float]]] | None = None,
) -> ProtocolResult:
    """A split protocol over several seeds: SSVAE (and the reference models) trained
    on each seed's split; mean +/- sd of train / val / test metrics.

    ``extra_models(X, y, split, seed, train_result)`` may add more models measured
    on the same split (the campaign's scorer), keyed by name.
    """
    cfg = config or SSVAEConfig()
    X = np.asarray(X, dtype=np.float64)
    y = _check_y(y)
    results = []
    for s in seeds:
        split = make_split(X, y, int(s), protocol, grouped)
        t0 = time.perf_counter()
        res, m = train_on_split(X, y, split, cfg.replace(seed=int(s)))
        sr = SeedResult(int(s), split.sizes(), m, best_epoch=res.best_epoch,
                        train_seconds=time.perf_counter() - t0)
        if extra_models is not None:
            sr.others.update(extra_models(X, y, split, int(s), res))
        if baseline:
            refs = reference_baselines(X, y, split, seed=int(s), vocabulary=cfg.vocabulary)
            sr.baseline = refs["gradient_boosting"]
            sr.others.update(refs)
        results.append(sr)
        if progress is not None:
            progress(f"seed {s}: SSVAE head test acc {m.get('test_accuracy', math.nan):.3f} "
                     f"auc {m.get('test_roc_auc', math.nan):.3f} ({sr.train_seconds:.1f} s)")
    summary = {"ssvae": summarise([r.ssvae for r in results])}
    for name in dict.fromkeys(k for r in results for k in r.others):
        summary[name] = summarise([r.others[name] for r in results if name in r.others])
    return ProtocolResult(protocol, grouped or protocol == "system-holdout", results, summary)


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
    others: dict[str, dict[str, tuple[float, float]]] = field(default_factory=dict)  # random forest, scorer
    n_unlabelled: int = 0  # rows the semi-supervised model saw without labels (mean over seeds)
    scorer_members: list[str] = field(default_factory=list)  # member set chosen per seed
    n_validation: int = 0  # labelled validation rows every model had beside the labelled ones (mean over seeds)


DATA_EFFICIENCY_SIZES = (50, 100, 247, 864)


def data_efficiency(
    X: np.ndarray,
    y: np.ndarray,
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    n_labelled: Sequence[int] = DATA_EFFICIENCY_SIZES,
    config: SSVAEConfig | None = None,
    split_fn: Callable[[int], Split] | None = None,
    references: bool = True,
    progress: Callable[[str], None] | None = None,
) -> list[DataEfficiencyRow]:
    """At each labelled-set size (the rest of the pool unlabelled): the SSVAE trained
    semi-supervised, the same network supervised only (VAE and unlabelled terms off),
    the random forest on the same labelled rows and the scorer (chosen on validation,
    the semi-supervised head among its candidates)."""
    cfg = config or SSVAEConfig()
    X = np.asarray(X, dtype=np.float64)
    y = _check_y(y)
    rows = []
    for n in n_labelled:
        semi, sup, rf, sc, n_unl, members, n_val = [], [], [], [], [], [], []
        for s in seeds:
            split = split_fn(s) if split_fn else paper_split(y, s)
            sub = subsample_labelled(split, y, n, s)
            res, m = train_on_split(X, y, sub, cfg.replace(seed=int(s)))
            semi.append(m)
            n_unl.append(len(sub.unlabelled))
            n_val.append(len(sub.validation))
            sup.append(train_on_split(X, y, sub, cfg.replace(seed=int(s), supervised_only=True))[1])
            if references:
                rf.append(reference_baselines(X, y, sub, int(s), cfg.vocabulary, models=("random_forest",))
                          ["random_forest"])
                scored = scorer_on_split(X, y, sub, int(s), res, cfg.vocabulary)["scorer"]
                members.append(str(scored.pop("members")))
                sc.append(scored)
            if progress is not None:
                progress(f"{n} labels, seed {s}: semi {m.get('test_accuracy', math.nan):.3f}, "
                         f"supervised {sup[-1].get('test_accuracy', math.nan):.3f}")
        others = {"random_forest": summarise(rf), "scorer": summarise(sc)} if references else {}
        rows.append(DataEfficiencyRow(int(n), summarise(semi), summarise(sup), others,
                                      int(round(float(np.mean(n_unl)))), members, int(round(float(np.mean(n_val))))))
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
    """'0.838 +/- 0.012'; without a spread (one seed) the mean alone, never '+/- 0.000'."""
    if t[0] != t[0]:
        return "n/a"
    return f"{t[0]:.3f}" if t[1] != t[1] else f"{t[0]:.3f} +/- {t[1]:.3f}"


FITTED_ON_VALIDATION = ("scorer", *REFERENCE_MODELS)  # their val rows are training rows too


def format_protocol(result: ProtocolResult) -> str:
    rows = []
    for name, summ in result.summary.items():
        for part in ("train", "val", "test"):
            shown = "val*" if part == "val" and name in FITTED_ON_VALIDATION else part
            rows.append([name, shown, _ms(summ.get(f"{part}_accuracy", (math.nan, math.nan))),
                         _ms(summ.get(f"{part}_roc_auc", (math.nan, math.nan)))])
    title = f"protocol {result.protocol}{' (grouped)' if result.grouped else ' (ungrouped: near-duplicates may straddle the split)'}, seed{'s' if len(result.seeds) != 1 else ''} " + \
        ",".join(str(s.seed) for s in result.seeds)
    text = title + "\n" + format_table(rows, ["model", "part", "accuracy", "ROC AUC"])
    members = [str(s.others["scorer"]["members"]) for s in result.seeds if "members" in s.others.get("scorer", {})]
    if members:
        text += "\nscorer members chosen on validation, per seed: " + ", ".join(members)
    if any(name in FITTED_ON_VALIDATION for name in result.summary):
        text += ("\nval*: fitted on these rows too, so not held out (the scorer refits its trees on training + "
                 "validation rows once its members are chosen; the reference models learn from the same rows); "
                 "compare on test")
    return text


def format_data_efficiency(rows: Sequence[DataEfficiencyRow]) -> str:
    out = []
    for r in rows:
        models = [("semi-supervised", r.semi_supervised), ("supervised only", r.supervised_only)]
        models += [(k.replace("_", " "), v) for k, v in r.others.items()]
        for name, summ in models:
            note = f"{r.n_unlabelled} unlabelled" if name == "semi-supervised" else ""
            if name == "scorer" and r.scorer_members:
                from collections import Counter

                note = ", ".join(f"{k} x{c}" for k, c in Counter(r.scorer_members).most_common())
            out.append([r.n_labelled, name, _ms(summ.get("test_accuracy", (math.nan, math.nan))),
                        _ms(summ.get("test_roc_auc", (math.nan, math.nan))), note])
    text = format_table(out, ["labelled", "model", "test accuracy", "test ROC AUC", "note"])
    n_val = max((r.n_validation for r in rows), default=0)
    if n_val:
        text += (f"\nlabelled: the training labels; every model also had the same {n_val} labelled validation rows "
                 "(the SSVAE heads only to choose their epoch; the scorer and the random forest also fit on them), "
                 f"so a lab needs about {n_val} labels more than the column says")
    return text
