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

    from hea_campaign.model.splits import SPLIT_NAMES

    name = Path(path).name
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            absent = [c for c in ("Alloys", "split") if c not in (reader.fieldnames or [])]
            if absent:
                raise CampaignError(f"{name}: a split file needs the columns Alloys and split "
                                    f"(no {' or '.join(absent)} column found)")
            parts = {r["Alloys"]: (r["split"] or "").strip() for r in reader}
    except UnicodeDecodeError:
        raise CampaignError(f"{name} is not a UTF-8 text file") from None
    except csv.Error as exc:
        raise CampaignError(f"{name}: cannot read it as CSV ({exc})") from None
    missing = [t for t in rows.texts if t not in parts]
    if len(missing) > len(rows.texts) // 2:
        raise CampaignError(f"{path} does not describe this dataset's rows ({len(missing)} of them are not in it)")
    unknown = sorted({parts[t] for t in rows.texts if t in parts} - set(SPLIT_NAMES) - {""})
    if unknown:
        raise CampaignError(f"{name}: unknown split names {', '.join(repr(u) for u in unknown[:5])}; "
                            f"the split column holds {', '.join(SPLIT_NAMES)} (or is empty to leave a row out)")
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
    extra_models = extra_models or scorer_models
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
            progress(f"seed {s} on {Path(split_file).name}: SSVAE head test acc {m.get('test_accuracy', math.nan):.3f} "
                     f"auc {m.get('test_roc_auc', math.nan):.3f}")
    summary = {"ssvae": ev.summarise([r.ssvae for r in results])}
    for name in dict.fromkeys(k for r in results for k in r.others):
        summary[name] = ev.summarise([r.others[name] for r in results if name in r.others])
    return ev.ProtocolResult(f"paper split file {Path(split_file).name}", False, results, summary)


def evaluate_data_efficiency(seeds: Sequence[int] = (0, 1, 2, 3, 4), n_labelled=(50, 100, 247, 864), config=None,
                             *, grouped: bool = False, protocol: str = "paper", progress=None):
    """Semi-supervised vs supervised-only vs random forest vs the scorer at each label count."""
    from hea_campaign.model import evaluation as ev

    rows = seed_rows()
    return ev.data_efficiency(rows.X, rows.y, seeds=seeds, n_labelled=n_labelled, config=config,
                              split_fn=lambda s: ev.make_split(rows.X, rows.y, int(s), protocol, grouped),
                              progress=progress)


def scorer_models(X, y, split, seed, train_result):
    """extra_models hook of the protocols: the campaign's scorer on the same split."""
    from hea_campaign.model.evaluation import scorer_on_split

    return scorer_on_split(X, y, split, seed, train_result)


@dataclass
class ExternalResult:
    n_rows: int
    n_alloys: int
    excluded: dict[str, int]
    ssvae: dict[str, float]
    baseline: dict[str, float] = field(default_factory=dict)  # gradient boosting
    others: dict[str, dict[str, float]] = field(default_factory=dict)  # model name -> metrics
    scorer_members: str = ""


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
    readable = sum(1 for row in table.rows if row.single_phase is not None) - excluded["unreadable formula"]
    excluded["more rows of a composition already counted"] = readable - len(labels)  # so that every row is counted
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


def validation_rows(rows: LabelledRows, seed: int) -> np.ndarray:
    """Mask of the seed rows held out for validation when training on the whole seed set: a tenth,
    stratified, near-duplicates on one side (as a model version's own validation rows)."""
    from hea_campaign.model.splits import grouped_validation

    _, val = grouped_validation(rows.X, rows.y, 0.1, seed)
    mask = np.zeros(len(rows.y), bool)
    mask[val] = True
    return mask


def evaluate_external_seeds(path: str | Path, seeds: Sequence[int], *, baseline: bool = True, config=None,
                            progress: Callable[[str], None] | None = None) -> list[ExternalResult]:
    """``evaluate_external`` once per seed (its validation tenth and its trainings)."""
    out = []
    for s in seeds:
        if progress:
            progress(f"training on the seed set (seed {s}, a tenth held out for validation), then scoring "
                     f"{Path(path).name}")
        out.append(evaluate_external(path, seed=int(s), baseline=baseline, config=config))
    return out


def evaluate_external(path: str | Path, *, seed: int = 0, baseline: bool = True, config=None) -> ExternalResult:
    """Train on the whole seed set (10% held out for validation) and score the external set,
    leaving out its near-duplicates of seed alloys (within 1 at.%)."""
    from hea_campaign.model import evaluation as ev
    from hea_campaign.model.descriptors import featurize
    from hea_campaign.model.ssvae import SSVAEConfig
    from hea_campaign.model.training import binary_metrics, train

    rows = seed_rows()
    X_ext, y_ext, n_rows, excluded = external_rows(path, set(rows.formulas), exclude_near=rows.X)
    if len(y_ext) == 0:
        left_out = ", ".join(f"{k} {v}" for k, v in excluded.items() if v)
        raise CampaignError(f"{Path(path).name}: no labelled alloys left to evaluate"
                            + (f" (left out: {left_out})" if left_out else " (no rows)"))
    val = validation_rows(rows, seed)
    cfg = (config or SSVAEConfig()).replace(seed=seed)
    res = train(rows.X[~val], rows.y[~val], None, rows.X[val], rows.y[val], cfg)
    out = ExternalResult(n_rows, len(y_ext), excluded, ev.evaluate_external(res.model, X_ext, y_ext))
    from hea_campaign.model.scoring import fit_scorer

    sc = fit_scorer(rows.X[~val], rows.y[~val], rows.X[val], rows.y[val], ssvae=res.model, seed=seed)
    out.others["scorer"] = binary_metrics(y_ext, sc.predict_proba(X_ext))
    out.scorer_members = sc.label
    if baseline:
        for name in ev.REFERENCE_MODELS:
            clf = ev.reference_model(name, seed).fit(featurize(rows.X[~val]), rows.y[~val])
            out.others[name] = binary_metrics(y_ext, clf.predict_proba(featurize(X_ext))[:, 1])
        out.baseline = out.others["gradient_boosting"]
    return out
