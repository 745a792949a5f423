"""Honest figures: the paper protocol, grouped splits, data efficiency, the
external MPEA set and whether the uncertainty flags mean something.

Data come from the named seed dataset (not the store), one row per
composition (rows of one composition under different formula strings merged;
compositions whose rows disagree left out and reported).  Model selection uses validation rows only; the
test rows are scored once, after training.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hea_campaign.model.vocabulary import DEFAULT_VOCABULARY

from .chemistry import FormulaError, parse_formula
from .datasets import fetch, read_table
from .errors import CampaignError


@dataclass
class LabelledRows:
    X: np.ndarray
    y: np.ndarray
    texts: list[str]  # the first formula string of each composition, as written in the file
    formulas: list[str]  # canonical formula of each composition
    conflicts: list[str] = field(default_factory=list)  # compositions left out: their rows disagree
    merged: int = 0  # rows folded into an earlier row of the same composition (same label)


def seed_rows(dataset: str = "yan2021", vocabulary=DEFAULT_VOCABULARY) -> LabelledRows:
    """The seed dataset as arrays, one row per composition (not per formula string).

    ``CoCuFeNiTi`` and ``Co1Cu1Fe1Ni1Ti1`` are one alloy: their rows are merged
    when they agree and the composition is left out (and reported) when they
    disagree, so no alloy can sit on both sides of a split.
    """
    table = read_table(fetch(dataset))
    order: list[str] = []
    first_text: dict[str, str] = {}
    labels: dict[str, set[int]] = {}
    vectors: dict[str, np.ndarray] = {}
    n_rows = 0
    for row in table.rows:
        if row.single_phase is None:
            continue
        comp = parse_formula(row.text, allow_zero=True)
        n_rows += 1
        if comp.formula not in labels:
            order.append(comp.formula)
            first_text[comp.formula] = row.text
            vectors[comp.formula] = comp.vector(vocabulary)
            labels[comp.formula] = set()
        labels[comp.formula].add(int(row.single_phase))
    keep = [f for f in order if len(labels[f]) == 1]
    conflicts = [f for f in order if len(labels[f]) > 1]
    X = np.array([vectors[f] for f in keep]).reshape(-1, len(vocabulary))
    y = np.array([next(iter(labels[f])) for f in keep])
    return LabelledRows(X, y, [first_text[f] for f in keep], keep, conflicts, n_rows - len(order))


def split_from_file(rows: LabelledRows, path: str | Path):
    """A fixed split from a CSV with columns Alloys,split (the paper's own split)."""
    import csv

    from hea_campaign.model.evaluation import split_from_labels

    with open(path, newline="") as fh:
        parts = {r["Alloys"]: r["split"].strip() for r in csv.DictReader(fh)}
    missing = [t for t in rows.texts if t not in parts]
    if len(missing) > len(rows.texts) // 2:
        raise CampaignError(f"{path} does not describe this dataset's rows ({len(missing)} of them are not in it)")
    return split_from_labels([parts.get(t, "") for t in rows.texts])


def evaluate_paper(
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    *,
    grouped: bool = False,
    baseline: bool = True,
    split_file: str | Path | None = None,
    config=None,
    progress: Callable[[str], None] | None = None,
    protocol: str = "paper",
    extra_models=None,
):
    """Mean +/- sd over split seeds (or one run on a fixed split file).

    ``protocol``: ``paper`` (random or ``grouped`` split) or ``system-holdout``
    (whole element systems held out)."""
    from hea_campaign.model import evaluation as ev

    rows = seed_rows()
    if split_file is None:
        return ev.evaluate_protocol(rows.X, rows.y, seeds=seeds, config=config, grouped=grouped,
                                    baseline=baseline, progress=progress, protocol=protocol,
                                    extra_models=extra_models)
    from hea_campaign.model.ssvae import SSVAEConfig

    cfg = config or SSVAEConfig()
    split = split_from_file(rows, split_file)
    results = []
    for s in seeds:
        res, m = ev.train_on_split(rows.X, rows.y, split, cfg.replace(seed=int(s)))
        sr = ev.SeedResult(int(s), split.sizes(), m, best_epoch=res.best_epoch, train_seconds=res.wall_s)
        if extra_models is not None:
            sr.others.update(extra_models(rows.X, rows.y, split, int(s), res))
        if baseline:
            refs = ev.reference_baselines(rows.X, rows.y, split, seed=int(s))
            sr.baseline = refs["gradient_boosting"]
            sr.others.update(refs)
        results.append(sr)
        if progress:
            progress(f"seed {s} on {Path(split_file).name}: test acc {m.get('test_accuracy', math.nan):.3f} "
                     f"auc {m.get('test_roc_auc', math.nan):.3f}")
    summary = {"ssvae": ev.summarise([r.ssvae for r in results])}
    for name in dict.fromkeys(k for r in results for k in r.others):
        summary[name] = ev.summarise([r.others[name] for r in results if name in r.others])
    return ev.ProtocolResult(f"paper split file {Path(split_file).name}", False, results, summary)


def evaluate_data_efficiency(seeds: Sequence[int] = (0, 1, 2, 3, 4), n_labelled=(864, 247), config=None):
    from hea_campaign.model import evaluation as ev

    rows = seed_rows()
    return ev.data_efficiency(rows.X, rows.y, seeds=seeds, n_labelled=n_labelled, config=config)


@dataclass
class ExternalResult:
    n_rows: int
    n_alloys: int
    excluded: dict[str, int]
    ssvae: dict[str, float]
    baseline: dict[str, float] = field(default_factory=dict)  # gradient boosting
    others: dict[str, dict[str, float]] = field(default_factory=dict)  # model name -> metrics


def external_rows(path: str | Path, exclude_formulas: set[str], vocabulary=DEFAULT_VOCABULARY,
                  exclude_near: np.ndarray | None = None):
    """Labelled alloys of an external CSV, one per composition, with what was left out and why.

    ``exclude_near`` (fractions over ``vocabulary``): alloys within 1 at.% of any of
    these rows in every element (near-duplicates of training alloys) are left out
    too, so the external figure measures alloys the model has not effectively seen.
    """
    from hea_campaign.model.splits import near_duplicate_mask

    table = read_table(path)
    labels: dict[str, set[bool]] = {}
    comps = {}
    excluded = {"unlabelled (B2, Other, ...)": 0, "unreadable formula": 0}
    for row in table.rows:
        if row.single_phase is None:
            excluded["unlabelled (B2, Other, ...)"] += 1
            continue
        try:
            comp = parse_formula(row.text, allow_zero=True)
        except FormulaError:
            excluded["unreadable formula"] += 1
            continue
        labels.setdefault(comp.formula, set()).add(bool(row.single_phase))
        comps[comp.formula] = comp
    X, y = [], []
    counts = {"conflicting labels": 0, "elements outside the vocabulary": 0, "already in the training data": 0}
    for formula, vals in labels.items():
        if len(vals) > 1:
            counts["conflicting labels"] += 1
        elif formula in exclude_formulas:
            counts["already in the training data"] += 1
        else:
            try:
                X.append(comps[formula].vector(vocabulary))
            except FormulaError:
                counts["elements outside the vocabulary"] += 1
                continue
            y.append(int(next(iter(vals))))
    X = np.array(X).reshape(-1, len(vocabulary))
    y = np.array(y)
    if exclude_near is not None and len(X):
        near = near_duplicate_mask(X, exclude_near)
        counts["near-duplicate of a training alloy (within 1 at.%)"] = int(near.sum())
        X, y = X[~near], y[~near]
    excluded.update(counts)
    return X, y, len(table.rows), excluded


def evaluate_external(path: str | Path, *, seed: int = 0, baseline: bool = True, config=None,
                      extra_models=None) -> ExternalResult:
    """Train on the whole seed set (10% held out for validation) and score the external set,
    leaving out its near-duplicates of seed alloys (within 1 at.%)."""
    from hea_campaign.model import evaluation as ev
    from hea_campaign.model.descriptors import featurize
    from hea_campaign.model.ssvae import SSVAEConfig
    from hea_campaign.model.training import binary_metrics, train

    rows = seed_rows()
    X_ext, y_ext, n_rows, excluded = external_rows(path, set(rows.formulas), exclude_near=rows.X)
    if len(y_ext) == 0:
        raise CampaignError(f"{path}: no labelled alloys left to evaluate")
    rng = np.random.default_rng(seed)
    val = np.zeros(len(rows.y), bool)
    for cls in (0, 1):
        idx = np.flatnonzero(rows.y == cls)
        val[rng.choice(idx, size=max(1, len(idx) // 10), replace=False)] = True
    cfg = (config or SSVAEConfig()).replace(seed=seed)
    res = train(rows.X[~val], rows.y[~val], None, rows.X[val], rows.y[val], cfg)
    out = ExternalResult(n_rows, len(y_ext), excluded, ev.evaluate_external(res.model, X_ext, y_ext))
    if extra_models is not None:
        out.others.update(extra_models(rows.X[~val], rows.y[~val], rows.X[val], rows.y[val], X_ext, y_ext, seed, res))
    if baseline:
        for name in ev.REFERENCE_MODELS:
            clf = ev.reference_model(name, seed).fit(featurize(rows.X[~val]), rows.y[~val])
            out.others[name] = binary_metrics(y_ext, clf.predict_proba(featurize(X_ext))[:, 1])
        out.baseline = out.others["gradient_boosting"]
    return out


@dataclass
class FlagEvaluation:
    seeds: list[int]
    per_flag: dict[str, dict[str, float]]  # flag -> n, accuracy of flagged
    flagged: dict[str, float]  # any flag: n, accuracy
    unflagged: dict[str, float]
    auc_wrong: dict[str, float]  # uncertainty score -> ROC AUC for predicting a wrong prediction


def evaluate_flags(seeds: Sequence[int] = (0, 1, 2, 3, 4), *, grouped: bool = False, config=None,
                   progress: Callable[[str], None] | None = None) -> FlagEvaluation:
    """Do flagged held-out alloys get predicted worse than unflagged ones?

    Pools the test rows of every seed's split: accuracy of flagged vs unflagged
    rows, per flag, and the ROC AUC of each uncertainty score for telling a
    wrong prediction from a right one.
    """
    from sklearn.metrics import roc_auc_score

    from hea_campaign.model import evaluation as ev

    from .uncertainty import assess, build_reference

    rows = seed_rows()
    right, flags_all, scores = [], [], {"spread": [], "1 - density percentile": [], "ambiguity |p - 0.5|": []}
    for s in seeds:
        split = ev.make_split(rows.X, rows.y, int(s), "paper", grouped)
        from hea_campaign.model.ssvae import SSVAEConfig

        res, _ = ev.train_on_split(rows.X, rows.y, split, (config or SSVAEConfig()).replace(seed=int(s)))
        ref = build_reference(res.model, rows.X[split.labelled], rows.y[split.labelled])
        a = assess(res.model, ref, rows.X[split.test])
        yt = rows.y[split.test]
        right.extend(((a.p_single >= 0.5) == (yt == 1)).tolist())
        flags_all.extend([{f["flag"] for f in fl} for fl in a.flags])
        scores["spread"].extend(a.spread.tolist())
        scores["1 - density percentile"].extend((1 - a.density_percentile / 100).tolist())
        scores["ambiguity |p - 0.5|"].extend((0.5 - np.abs(a.p_single - 0.5)).tolist())
        if progress:
            progress(f"seed {s}: {len(yt)} test alloys assessed")
    right_a = np.array(right)
    any_flag = np.array([bool(f) for f in flags_all])

    def acc(mask) -> dict[str, float]:
        return {"n": int(mask.sum()), "accuracy": float(right_a[mask].mean()) if mask.any() else math.nan}

    names = sorted({f for fl in flags_all for f in fl})
    per_flag = {n: acc(np.array([n in fl for fl in flags_all])) for n in names}
    wrong = ~right_a
    auc = {}
    for name, vals in scores.items():
        auc[name] = float(roc_auc_score(wrong, vals)) if 0 < wrong.sum() < len(wrong) else math.nan
    return FlagEvaluation(list(seeds), per_flag, acc(any_flag), acc(~any_flag), auc)


@dataclass
class InversionFigures:
    loop: str
    n_starts: int
    reached: float  # fraction of starts that reached the cutoff
    median_change: float  # at.%, over the starts that reached it
    median_steps: float
    kept_element_set: float  # fraction of reached candidates with exactly the starting elements


def evaluate_inversion(
    *,
    split_file: str | Path | None = None,
    seed: int = 0,
    cutoff: float = 0.6,
    config=None,
    loops: Sequence[str] = ("paper", "latent-steps", "proximal"),
) -> list[InversionFigures]:
    """Invert the multi-phase test alloys with each loop (model trained on the split's other rows)."""
    from hea_campaign.model import evaluation as ev
    from hea_campaign.model.ssvae import SSVAEConfig

    from .inversion import invert

    rows = seed_rows()
    split = split_from_file(rows, split_file) if split_file else ev.paper_split(rows.y, seed)
    res, _ = ev.train_on_split(rows.X, rows.y, split, (config or SSVAEConfig()).replace(seed=seed))
    starts = rows.X[split.test][rows.y[split.test] == 0]
    out = []
    for loop in loops:
        r = invert(res.model, starts, mode=loop, cutoff=cutoff)
        ok = r.reached
        same = [(r.final[i] > 0).tolist() == (starts[i] > 0).tolist() for i in np.flatnonzero(ok)]
        out.append(InversionFigures(
            loop=loop,
            n_starts=len(starts),
            reached=float(ok.mean()),
            median_change=float(np.median(r.change_at_pct[ok])) if ok.any() else math.nan,
            median_steps=float(np.median(r.steps[ok])) if ok.any() else math.nan,
            kept_element_set=float(np.mean(same)) if same else math.nan,
        ))
    return out
