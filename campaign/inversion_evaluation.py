"""How good are inverted candidates?  Reach, change, and what an independent model and the flags say.

A model is trained on a split's labelled rows (the paper's own split file,
or a seeded one), with the campaign's scorer beside it as a model version
holds it (p_single and the cutoff test are the scorer's; gradient steps go
through the SSVAE head); the multi-phase alloys of its test rows are inverted with
each loop; for those reaching the cutoff we report the median change, the
share the independent second opinion (k nearest neighbours on composition,
trained on the same labelled rows) calls single phase, and the share
flagged ``uncertain`` by the conformal set calibrated on the validation rows.

``starts="tuning"`` inverts the multi-phase alloys of the validation and
unlabelled rows instead: that is where the proximal loop's cautious settings
were chosen, never on test rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

LOOPS = ("paper", "latent-steps", "proximal", "proximal (not cautious)")


@dataclass
class InversionFigures:
    loop: str
    n_starts: int
    reached: float  # fraction of starts that reached the cutoff
    median_change: float  # at.%, over the starts that reached it
    median_steps: float
    kept_element_set: float  # fraction of reached candidates with exactly the starting elements
    independent_single: float = math.nan  # share of reached ones the second opinion calls single phase
    uncertain: float = math.nan  # share of reached ones whose conformal set is not one class
    disputed: float = math.nan


def seed_words(seeds: int | Sequence[int]) -> str:
    """'seed 0', 'seeds 0-4', 'seeds 0, 2'."""
    seeds = [int(seeds)] if isinstance(seeds, int) else [int(s) for s in seeds]
    if len(seeds) == 1:
        return f"seed {seeds[0]}"
    run = seeds == list(range(seeds[0], seeds[0] + len(seeds)))
    return f"seeds {seeds[0]}-{seeds[-1]}" if run else "seeds " + ", ".join(map(str, seeds))


def split_description(split_file=None, seed: int | Sequence[int] = 0, *, grouped: bool = False,
                      protocol: str = "paper") -> str:
    """Which split ``evaluate_inversion`` inverts the test alloys of, in words for its report
    (``seed``: one seed, or the seeds of ``evaluate_inversion_seeds``)."""
    many = not isinstance(seed, int) and len(seed) > 1
    if split_file:
        return f"split in {Path(split_file).name}" + (f", training {seed_words(seed)}" if many else "")
    kind = "system-holdout" if protocol == "system-holdout" else ("grouped" if grouped else "random")
    return f"{kind} paper-proportion split{'s' if many else ''}, {seed_words(seed)}"


def _trained(split_file, seed: int, config, grouped: bool = False, protocol: str = "paper"):
    from hea_campaign.model import evaluation as ev
    from hea_campaign.model.ssvae import SSVAEConfig

    from .evaluation import seed_rows, split_from_file

    rows = seed_rows()
    split = (split_from_file(rows, split_file) if split_file
             else ev.make_split(rows.X, rows.y, seed, protocol=protocol, grouped=grouped))
    res, _ = ev.train_on_split(rows.X, rows.y, split, (config or SSVAEConfig()).replace(seed=seed))
    return rows, split, _with_scorer(res.model, rows, split, seed)


def _with_scorer(ssvae, rows, split, seed: int):
    """The SSVAE with the campaign's scorer beside it, as a model version holds them (p_single, the
    cutoff test of every loop), and the calibration scorer for the conformal reference."""
    from .scoring import ScoredModel, fit_version_scorer

    y = rows.y.astype(float)
    L, V = split.labelled, split.validation
    sc, calibration = fit_version_scorer(ssvae, rows.X[L], y[L], rows.X[V], y[V], seed=seed)
    model = ScoredModel(ssvae, sc)
    model.calibration = calibration
    return model


def evaluate_inversion_seeds(seeds: Sequence[int], **kwargs) -> list[list[InversionFigures]]:
    """``evaluate_inversion`` once per seed: that seed's split (unless a split file) and training."""
    return [evaluate_inversion(seed=int(s), **kwargs) for s in seeds]


def evaluate_inversion(
    *,
    split_file: str | Path | None = None,
    seed: int = 0,
    cutoff: float = 0.6,
    config=None,
    loops: Sequence[str] = LOOPS,
    starts: str = "test",
    caution_grid: Sequence[tuple[float, float]] | None = None,
    trained=None,
    grouped: bool = False,
    protocol: str = "paper",
    progress=None,
) -> list[InversionFigures]:
    """Invert multi-phase alloys with each loop; see the module docstring.

    ``caution_grid`` (pairs of caution, data weight) adds a proximal row per
    pair, for choosing the settings on the tuning starts.  Without ``split_file``
    the split is seeded: ``protocol`` and ``grouped`` as in ``model.evaluation.make_split``
    (``split_description`` says which).  ``progress(message)`` hears of each step.
    """
    from .inversion import Caution, invert
    from .uncertainty import assess, build_reference

    if progress and trained is None:
        progress(f"training on the labelled rows of the {split_description(split_file, seed, grouped=grouped, protocol=protocol)}")
    rows, split, model = trained or _trained(split_file, seed, config, grouped, protocol)
    y = rows.y.astype(float)
    if starts == "tuning":
        pool = np.concatenate([split.validation, split.unlabelled])
    else:
        pool = split.test
    X0 = rows.X[pool][y[pool] == 0]
    calibration = getattr(model, "calibration", None)  # a bare SSVAE (``trained`` given): its head is the scorer
    ref = build_reference(model, rows.X[split.labelled], y[split.labelled], rows.X[split.validation],
                          y[split.validation], key=f"inversion-eval-{seed}-{split_file}",
                          scorer=None if calibration is None else calibration.predict_proba)
    cautious = Caution(data_rows=ref.X_train, data_radius=ref.novelty_threshold)
    runs = []
    for loop in loops:
        if loop == "proximal (not cautious)":
            runs.append((loop, "proximal", Caution(caution=0.0, data_weight=0.0)))
        else:
            runs.append((loop, loop, cautious))
    for lam, mu in caution_grid or ():
        runs.append((f"proximal caution {lam:g} data {mu:g}", "proximal",
                     Caution(caution=lam, data_weight=mu, data_rows=ref.X_train, data_radius=ref.novelty_threshold)))
    out = []
    for name, mode, caution in runs:
        if progress:
            progress(f"inverting {len(X0)} multi-phase alloys with the {name} loop")
        r = invert(model, X0, mode=mode, cutoff=cutoff, caution=caution)
        ok = r.reached
        same = [(r.final[i] > 0).tolist() == (X0[i] > 0).tolist() for i in np.flatnonzero(ok)]
        fig = InversionFigures(
            loop=name, n_starts=len(X0), reached=float(ok.mean()) if len(X0) else math.nan,
            median_change=float(np.median(r.change_at_pct[ok])) if ok.any() else math.nan,
            median_steps=float(np.median(r.steps[ok])) if ok.any() else math.nan,
            kept_element_set=float(np.mean(same)) if same else math.nan,
        )
        if ok.any():
            a = assess(model, ref, r.final[ok])
            flags = [{f["flag"] for f in fl} for fl in a.flags]
            fig.independent_single = float(np.mean(a.p_second >= 0.5))
            fig.uncertain = float(np.mean(["uncertain" in f for f in flags]))
            fig.disputed = float(np.mean(["disputed" in f for f in flags]))
        out.append(fig)
    return out
