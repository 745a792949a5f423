"""Do the flags mean something?  Measured on held-out alloys, in and out of distribution.

For every seed: train the SSVAE on a split's labelled rows and fit the
campaign's scorer beside it (members chosen on the validation rows, trees
refitted on training + validation rows: ``campaign.scoring.fit_version_scorer``),
build the flag reference with conformal calibration on the validation rows
(p from the same members fitted on training rows only, so the validation
rows are new to it), exactly as a model version is built; then assess the
held-out alloys as candidates are assessed (p_single is the scorer's, as in
proposals) and pool them over seeds.  Three settings:

- in distribution: grouped splits (near-duplicates on one side);
- ``system-holdout``: whole element systems held out;
- ``external``: the MPEA set, near-duplicates of seed alloys removed, model
  trained on the whole seed set (10 % validation).

Beside the flags' own signals, a reference random forest (300 trees on the
8 descriptors, the same labelled rows) gives its vote ambiguity, the
alternative the issue measured.

Reported: the error ROC AUC of every uncertainty signal (how well it ranks
wrong predictions above right ones), accuracy of flagged vs unflagged alloys
per flag, conformal coverage and set sizes, and calibration (expected
calibration error over 10 equal-width bins, and a reliability diagram).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import CampaignError
from .uncertainty import FLAGS, assess, build_reference, leave_one_out_scores

SIGNALS = (
    "uncertainty score: other class's conformal p",
    "ambiguity of the scorer's p",
    "ambiguity of the mean of p and p2",
    "second-opinion disagreement |p - p2|",
    "conformal set not a single class",
    "scorer's spread (members, sub-forests)",
    "reference random forest's vote ambiguity",
    "distance to nearest training alloy",
    "1 - latent density percentile",
)
CONFORMAL_SET = SIGNALS[4]  # calibrated on the validation rows: not given there


@dataclass
class FlagFigures:
    setting: str
    seeds: list[int]
    n: int
    accuracy: float
    auc_error: dict[str, float]  # signal -> ROC AUC for telling wrong from right
    per_flag: dict[str, dict[str, float]]  # flag -> n, accuracy flagged, accuracy unflagged
    coverage: float  # share of alloys whose conformal set holds the true class
    set_sizes: dict[int, float]  # 0 / 1 / 2 -> share of alloys
    single_set_accuracy: float  # accuracy where the set is one class
    conformal_level: float
    ece: float
    reliability: list[tuple[float, float, float, int]] = field(default_factory=list)  # lo, mean p, observed, n
    second_opinion_accuracy: float = math.nan
    png: Path | None = None
    scorer_members: list[str] = field(default_factory=list)  # per seed, as chosen on validation
    calibration_rows: list[int] = field(default_factory=list)  # validation rows per seed
    # the same signals on the validation rows, p from the scorer fitted without them (where a signal
    # may be chosen; the conformal one is calibrated on these rows, so not given)
    auc_error_validation: dict[str, float] = field(default_factory=dict)
    n_validation: int = 0
    coverage_per_seed: list[float] = field(default_factory=list)
    # the uncertainty score's error AUC within each seed's model (a lab ranks one model's predictions;
    # pooling seeds also mixes models whose p are calibrated differently)
    auc_error_per_seed: list[float] = field(default_factory=list)


@dataclass
class _Pool:
    y: list = field(default_factory=list)
    p: list = field(default_factory=list)
    p2: list = field(default_factory=list)
    spread: list = field(default_factory=list)
    dist: list = field(default_factory=list)
    dens_pct: list = field(default_factory=list)
    sets: list = field(default_factory=list)
    flags: list = field(default_factory=list)
    rf_ambiguity: list = field(default_factory=list)
    part: list = field(default_factory=list)  # which seed's split each row came from (0, 1, ...)
    members: list = field(default_factory=list)
    n_cal: list = field(default_factory=list)
    score: list = field(default_factory=list)  # the uncertainty score (empty: the ambiguity of p stands in)

    def add(self, a, y, rf_p=None, score=None) -> None:
        self.y.extend(np.asarray(y).tolist())
        self.p.extend(a.p_single.tolist())
        self.score.extend(np.asarray(a.uncertainty_score if score is None else score, float).tolist())
        self.p2.extend(a.p_second.tolist())
        self.spread.extend(a.spread.tolist())
        self.dist.extend(a.nearest_distance.tolist())
        self.dens_pct.extend(a.density_percentile.tolist())
        self.sets.extend(a.conformal.tolist())
        self.flags.extend([{f["flag"] for f in fl} for fl in a.flags])
        rf = np.full(len(a.p_single), np.nan) if rf_p is None else np.asarray(rf_p, float)
        self.rf_ambiguity.extend((1.0 - 2.0 * np.abs(rf - 0.5)).tolist())
        self.part.extend([len(self.members)] * len(a.p_single))


def _assess_scored(ssvae, X_tr, y_tr, X_val, y_val, X_test, y_test, seed: int, pool: _Pool,
                   val_pool: _Pool | None = None) -> None:
    """Scorer and flag reference as ``train_version`` builds them; the test rows assessed as candidates."""
    from hea_campaign.model.descriptors import featurize
    from hea_campaign.model.evaluation import reference_model

    from .scoring import ScoredModel, fit_version_scorer

    sc, calibration = fit_version_scorer(ssvae, X_tr, y_tr, X_val, y_val, seed=seed)
    model = ScoredModel(ssvae, sc)
    ref = build_reference(model, X_tr, y_tr, X_val, y_val, scorer=calibration.predict_proba,
                          key=f"flag-eval-{seed}-{id(ssvae)}")
    voc = tuple(ssvae.vocabulary)
    rf = reference_model("random_forest", seed).fit(featurize(X_tr, voc), np.asarray(y_tr).astype(int))
    pool.add(assess(model, ref, X_test), y_test, rf.predict_proba(featurize(X_test, voc))[:, 1])
    pool.members.append(sc.label)
    pool.n_cal.append(len(y_val))
    if val_pool is not None:  # the validation rows through the calibration scorer (new to it): where signals are chosen
        pool_model = ScoredModel(ssvae, calibration)
        a = assess(pool_model, ref, X_val)
        loo = leave_one_out_scores(ref, a.p_single, y_val) if len(ref.conformal_scores) > 1 else None
        val_pool.add(a, y_val, rf.predict_proba(featurize(X_val, voc))[:, 1], loo)


def _assess_split(X, y, split, config, seed: int, pool: _Pool, val_pool: _Pool | None = None) -> None:
    from hea_campaign.model import evaluation as ev

    res, _ = ev.train_on_split(X, y, split, config.replace(seed=seed))
    L, V, T = split.labelled, split.validation, split.test
    _assess_scored(res.model, X[L], y[L], X[V], y[V], X[T], y[T], seed, pool, val_pool)


def _assess_external(path, config, seed: int, pool: _Pool, val_pool: _Pool | None = None) -> int:
    from hea_campaign.model.training import train

    from .evaluation import external_rows, seed_rows, validation_rows

    rows = seed_rows()
    X_ext, y_ext, _, _ = external_rows(path, set(rows.formulas), exclude_near=rows.X)
    if len(y_ext) == 0:
        raise CampaignError(f"{path}: no labelled alloys left to evaluate")
    val = validation_rows(rows, seed)
    res = train(rows.X[~val], rows.y[~val], None, rows.X[val], rows.y[val], config.replace(seed=seed))
    y_seed = rows.y.astype(float)
    _assess_scored(res.model, rows.X[~val], y_seed[~val], rows.X[val], y_seed[val], X_ext, y_ext, seed, pool,
                   val_pool)
    return len(y_ext)


def evaluate_flags(
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    *,
    protocol: str = "paper",
    grouped: bool = True,
    external: str | Path | None = None,
    config=None,
    png: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> FlagFigures:
    """Pool the held-out alloys of every seed and measure what the flags and signals say about errors."""
    from hea_campaign.model import evaluation as ev
    from hea_campaign.model.ssvae import SSVAEConfig

    from .evaluation import seed_rows

    cfg = config or SSVAEConfig()
    pool, val_pool = _Pool(), _Pool()
    if external is not None:
        setting = f"external {Path(external).name} (near-duplicates of seed alloys removed)"
        for s in seeds:
            n = _assess_external(external, cfg, int(s), pool, val_pool)
            if progress:
                progress(f"seed {s}: {n} external alloys assessed")
    else:
        rows = seed_rows()
        setting = {"system-holdout": "system holdout (whole element systems held out)"}.get(
            protocol, "grouped splits (near-duplicates on one side)" if grouped else "random splits")
        for s in seeds:
            split = ev.make_split(rows.X, rows.y, int(s), protocol, grouped)
            _assess_split(rows.X, rows.y.astype(float), split, cfg, int(s), pool, val_pool)
            if progress:
                progress(f"seed {s}: {len(split.test)} test alloys assessed")
    figures = summarise(pool, setting, [int(s) for s in seeds])
    if val_pool.y:
        on_val = summarise(val_pool, "validation", [int(s) for s in seeds])
        figures.auc_error_validation = {k: (math.nan if k == CONFORMAL_SET else v) for k, v in on_val.auc_error.items()}
        figures.n_validation = on_val.n
    if png is not None:
        figures.png = reliability_png(figures, png)
    return figures


def _auc(wrong: np.ndarray, score: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    if not 0 < wrong.sum() < len(wrong):
        return math.nan
    return float(roc_auc_score(wrong, score))


def summarise(pool: _Pool, setting: str, seeds: list[int], level: float = 0.9, bins: int = 10) -> FlagFigures:
    y = np.asarray(pool.y, float)
    p = np.asarray(pool.p, float)
    p2 = np.asarray(pool.p2, float)
    right = (p >= 0.5) == (y == 1)
    wrong = ~right
    sets = np.asarray(pool.sets, int).reshape(len(y), -1)
    size = sets.sum(axis=1) if sets.shape[1] else np.full(len(y), -1)
    ambiguity = 1.0 - 2.0 * np.abs(p - 0.5)
    signals = {
        SIGNALS[0]: np.asarray(pool.score, float) if len(pool.score) == len(y) else ambiguity,
        SIGNALS[1]: ambiguity,
        SIGNALS[2]: 1.0 - 2.0 * np.abs(0.5 * (p + p2) - 0.5),
        SIGNALS[3]: np.abs(p - p2),
        SIGNALS[4]: (size != 1).astype(float),
        SIGNALS[5]: np.asarray(pool.spread),
        SIGNALS[6]: np.asarray(pool.rf_ambiguity, float),
        SIGNALS[7]: np.asarray(pool.dist),
        SIGNALS[8]: 1.0 - np.asarray(pool.dens_pct) / 100.0,
    }
    auc = {k: (math.nan if len(v) != len(y) or np.isnan(v).any() else _auc(wrong, v)) for k, v in signals.items()}

    def acc(mask) -> float:
        return float(right[mask].mean()) if mask.any() else math.nan

    per_flag = {}
    for name in FLAGS:
        m = np.array([name in f for f in pool.flags], bool)
        per_flag[name] = {"n": int(m.sum()), "accuracy": acc(m), "accuracy_unflagged": acc(~m)}
    covered = sets[np.arange(len(y)), y.astype(int)] == 1 if sets.shape[1] else np.zeros(len(y), bool)
    part = np.asarray(pool.part, int)
    seeds_of = np.unique(part) if len(part) == len(y) else []
    per_seed = [float(covered[part == k].mean()) for k in seeds_of]
    auc_per_seed = [_auc(wrong[part == k], signals[SIGNALS[0]][part == k]) for k in seeds_of]
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    reliability, ece = [], 0.0
    for b in range(bins):
        m = which == b
        if m.any():
            reliability.append((float(edges[b]), float(p[m].mean()), float(y[m].mean()), int(m.sum())))
            ece += m.mean() * abs(p[m].mean() - y[m].mean())
    return FlagFigures(
        setting=setting, seeds=seeds, n=len(y), accuracy=acc(np.ones(len(y), bool)), auc_error=auc,
        per_flag=per_flag, coverage=float(covered.mean()) if len(y) else math.nan,
        set_sizes={k: float((size == k).mean()) for k in (0, 1, 2)}, single_set_accuracy=acc(size == 1),
        conformal_level=level, ece=float(ece), reliability=reliability,
        second_opinion_accuracy=float(np.mean((p2 >= 0.5) == (y == 1))) if len(y) else math.nan,
        scorer_members=list(pool.members), calibration_rows=list(pool.n_cal), coverage_per_seed=per_seed,
        auc_error_per_seed=auc_per_seed,
    )


def reliability_png(f: FlagFigures, path: str | Path) -> Path:
    """Reliability diagram: mean predicted p against the observed share of single-phase alloys, per bin."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .files import atomic_write_bytes

    fig, ax = plt.subplots(figsize=(4.5, 4.5), dpi=120)
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--", label="perfect calibration")
    if f.reliability:
        mp = [r[1] for r in f.reliability]
        obs = [r[2] for r in f.reliability]
        n = np.array([r[3] for r in f.reliability], float)
        ax.plot(mp, obs, marker="o", color="C0", label=f"p(single phase), ECE {f.ece:.3f}")
        ax.scatter(mp, obs, s=20 + 200 * n / n.max(), color="C0", alpha=0.3)
    ax.set_xlabel("mean predicted p(single phase) in bin")
    ax.set_ylabel("observed share single phase")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title(f"{f.setting[:48]}\n{f.n} alloys, seeds {','.join(map(str, f.seeds))}", fontsize=8)
    ax.legend(loc="upper left", fontsize=7)
    import io

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    out = Path(path).expanduser()
    atomic_write_bytes(out, buf.getvalue(), overwrite=True)
    return out
