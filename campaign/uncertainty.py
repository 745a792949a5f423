"""Flags that say when the model cannot vouch for a candidate.

Each flag comes with a one-line reason a scientist can check (DESIGN.md
section 6):

- ``uncertain``: the split-conformal prediction set at the stated level
  (90 % by default) holds both classes, or neither.  Calibrated on the
  version's validation rows with the nonconformity 1 - p(true class), p the
  scorer's (crepes ``ConformalClassifier``, no smoothing, so it is
  deterministic).  Chosen on validation rows (``evaluate --flags``, 5
  grouped and 5 system-holdout splits, p from a scorer fitted without those
  rows): the ambiguity of the ensemble scorer's p ranked errors better than
  that of the mean of p and the second opinion's p (error ROC AUC 0.782 vs
  0.740 grouped, 0.709 vs 0.635 system holdout).  References stored before
  this choice keep the mean (``conformal_on`` 0), so their sets stay
  consistent with their calibration;
  The uncertainty score that ranks candidates is the same calibration read as
  a number: the conformal p-value of the class p does not predict
  (``uncertainty_scores``), so candidates of different versions rank on one
  footing;
- ``novel``: the nearest labelled training alloy is farther (half-L1, at.%)
  than the 95th percentile of the training alloys' own nearest-neighbour
  distances; the reason names that alloy;
- ``low_density``: the seed paper's latent novelty signal.  Training alloys
  and candidates are encoded the same way (with the SSVAE head's own p, never
  a true label), and a candidate is flagged when its Gaussian kernel density
  among the training alloys is below the 5th percentile of the training
  alloys' own leave-one-out densities;
- ``disputed``: an independent model of another family (``second_opinion``),
  trained on the same labels, puts the alloy in the other class;
- ``out_of_range``: a descriptor lies outside the labelled training range;
- ``inconsistent``: re-scoring a decoded alloy gives a p far from the p it
  was decoded for.

The reference (training rows, latent points, thresholds, conformal
calibration scores) is built once when a model version is trained and stored
inside its checkpoint (``to_arrays`` / ``from_arrays``), so the checkpoint's
sha256 covers it.

``p_single`` is the scorer's probability: ``model.predict_proba``, which for
a model version is its scorer (``campaign.scoring.ScoredModel``, the ensemble
chosen on validation rows), the same p that proposals rank by.  The latent
space is the SSVAE's and is always entered with the SSVAE head's own p
(training alloys and candidates alike).  Conformal calibration needs p on
validation rows from a scorer that never trained on them: ``build_reference``
takes it as ``scorer`` (``campaign.scoring.fit_version_scorer`` gives it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from hea_campaign.model.descriptors import DESCRIPTOR_NAMES, DESCRIPTOR_UNITS, featurize

from . import second_opinion

CONFORMAL_LEVEL = 0.90
DENSITY_PERCENTILE = 5.0
NOVELTY_PERCENTILE = 95.0
CLASS_NAMES = ("multi", "single")  # index = label
CONFORMAL_ON_MEAN = 0.0  # conformal p: mean of the scorer's and the second opinion's (references before the choice)
CONFORMAL_ON_SCORER = 1.0  # conformal p: the scorer's own (chosen on validation rows)


def head_scorer(model) -> Callable[[np.ndarray], np.ndarray]:
    """The SSVAE classifier head's p (what the latent space is conditioned on), whatever scorer ranks."""
    from .scoring import head_of

    return head_of(model).predict_proba


DENSITY_BLOCK = 2_000_000  # point-centre pairs per block: memory stays bounded whatever the sizes


def latent_density(points: np.ndarray, centres: np.ndarray, h: float, leave_one_out: bool = False) -> np.ndarray:
    """Gaussian kernel density of each point among the centres, in blocks of bounded memory
    (leave_one_out: the points are the centres, and each leaves itself out)."""
    points, centres = np.asarray(points, np.float64), np.asarray(centres, np.float64)
    out = np.empty(len(points))
    step = max(1, DENSITY_BLOCK // max(len(centres), 1))
    for a in range(0, len(points), step):
        b = min(a + step, len(points))
        d2 = ((points[a:b, None, :] - centres[None, :, :]) ** 2).sum(-1)
        k = np.exp(-0.5 * d2 / (h * h))
        if leave_one_out:
            k[np.arange(b - a), np.arange(a, b)] = 0.0
        out[a:b] = k.sum(1)
    m = len(centres) - 1 if leave_one_out else len(centres)
    dim = centres.shape[1]
    return out / (max(m, 1) * (2 * np.pi * h * h) ** (dim / 2))


def nearest_neighbour(X: np.ndarray, ref: np.ndarray, leave_one_out: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(index, half-L1 distance in at.%) of each row's nearest reference row (in blocks:
    no N x M matrix; leave_one_out: X is ref, and each row's own entry is skipped)."""
    from .known_alloys import nearest_rows

    X = np.atleast_2d(np.asarray(X, np.float64))
    if not leave_one_out:
        idx, d = nearest_rows(X, ref, 1)
        return idx[:, 0], d[:, 0]
    idx, d = nearest_rows(X, ref, 2)
    own = idx[:, 0] == np.arange(len(X))
    j = np.where(own, idx[:, 1], idx[:, 0])  # a duplicate at distance 0 may come first: it is the nearest
    dist = np.where(own, d[:, 1], d[:, 0])
    return j, dist


@dataclass
class Reference:
    X_train: np.ndarray  # (M, V) labelled training rows
    y_train: np.ndarray  # (M,)
    latent: np.ndarray  # (M, L) latent means of the training rows, encoded with the head's own p
    bandwidth: float
    density_threshold: float
    training_densities: np.ndarray  # sorted leave-one-out densities, for percentiles
    descriptor_min: np.ndarray
    descriptor_max: np.ndarray
    nn_distances: np.ndarray  # sorted leave-one-out nearest-neighbour distances of training rows (at.%)
    novelty_threshold: float
    conformal_scores: np.ndarray  # nonconformity 1 - p(true class) of the validation rows (empty: none)
    vocabulary: tuple[str, ...]
    percentile: float = DENSITY_PERCENTILE
    novelty_percentile: float = NOVELTY_PERCENTILE
    conformal_level: float = CONFORMAL_LEVEL
    inconsistency_threshold: float = 0.2
    conformal_on: float = CONFORMAL_ON_SCORER  # what p the sets use: 1 the scorer's, 0 the mean with the second opinion
    key: str = ""  # cache key of the second opinion (checkpoint sha256)
    _formulas: dict[int, str] = field(default_factory=dict, repr=False)

    def formula(self, i: int) -> str:
        """The canonical formula of training row i (written when first asked: a batch names a few)."""
        if i not in self._formulas:
            from .training_set import formula_of

            self._formulas[i] = formula_of(self.X_train[i], self.vocabulary)
        return self._formulas[i]

    def second_opinion(self):
        return second_opinion.fitted(self.key or f"id:{id(self)}", self.X_train, self.y_train, self.vocabulary)

    def conformal_p_values(self, p: np.ndarray) -> np.ndarray:
        """(N, 2) conformal p-values of multi and single phase for p(single) (N x 0 if uncalibrated)."""
        p = np.asarray(p, dtype=np.float64)
        if len(self.conformal_scores) == 0:
            return np.zeros((len(p), 0))
        from crepes import ConformalClassifier

        cc = ConformalClassifier()
        cc.fit(self.conformal_scores)
        return np.asarray(cc.predict_p(np.column_stack([p, 1.0 - p]), smoothing=False), dtype=np.float64)

    def conformal_sets(self, p: np.ndarray) -> np.ndarray:
        """(N, 2) 0/1: which classes the prediction set at ``conformal_level`` holds (empty if uncalibrated)."""
        p = np.asarray(p, dtype=np.float64)
        if len(self.conformal_scores) == 0:
            return np.zeros((len(p), 0), dtype=int)
        from crepes import ConformalClassifier

        cc = ConformalClassifier()
        cc.fit(self.conformal_scores)
        alphas = np.column_stack([p, 1.0 - p])  # 1 - p(multi), 1 - p(single)
        return np.asarray(cc.predict_set(alphas, confidence=self.conformal_level, smoothing=False), dtype=int)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Plain arrays for the checkpoint (covered by its sha256)."""
        scalars = [self.bandwidth, self.density_threshold, self.novelty_threshold, self.percentile,
                   self.novelty_percentile, self.conformal_level, self.inconsistency_threshold, self.conformal_on]
        return {
            "ref_X_train": self.X_train, "ref_y_train": self.y_train, "ref_latent": self.latent,
            "ref_training_densities": self.training_densities, "ref_descriptor_min": self.descriptor_min,
            "ref_descriptor_max": self.descriptor_max, "ref_nn_distances": self.nn_distances,
            "ref_conformal_scores": self.conformal_scores, "ref_scalars": np.array(scalars, dtype=np.float64),
        }

    @classmethod
    def from_arrays(cls, a: dict, vocabulary, key: str = "") -> Reference:
        s = [float(v) for v in np.asarray(a["ref_scalars"], dtype=np.float64)]
        return cls(
            X_train=np.asarray(a["ref_X_train"], np.float64), y_train=np.asarray(a["ref_y_train"], np.float64),
            latent=np.asarray(a["ref_latent"], np.float64), bandwidth=s[0], density_threshold=s[1],
            training_densities=np.asarray(a["ref_training_densities"], np.float64),
            descriptor_min=np.asarray(a["ref_descriptor_min"], np.float64),
            descriptor_max=np.asarray(a["ref_descriptor_max"], np.float64),
            nn_distances=np.asarray(a["ref_nn_distances"], np.float64), novelty_threshold=s[2],
            conformal_scores=np.asarray(a["ref_conformal_scores"], np.float64), vocabulary=tuple(vocabulary),
            percentile=s[3], novelty_percentile=s[4], conformal_level=s[5], inconsistency_threshold=s[6],
            conformal_on=s[7] if len(s) > 7 else CONFORMAL_ON_MEAN, key=key,
        )


def has_reference(arrays: dict) -> bool:
    return "ref_scalars" in arrays


def novelty_cutoff(arrays: dict) -> tuple[float, float] | None:
    """(cutoff in at.%, its percentile) of the ``novel`` flag stored with a version, or None without a
    reference: a candidate farther than the cutoff from every labelled training alloy is flagged novel."""
    if not has_reference(arrays):
        return None
    s = [float(v) for v in np.asarray(arrays["ref_scalars"], dtype=np.float64)]
    return s[2], s[4]


def conformal_scores(p_val: np.ndarray, y_val: np.ndarray) -> np.ndarray:
    """Nonconformity 1 - p(true class) of calibration rows."""
    p_val, y_val = np.asarray(p_val, np.float64), np.asarray(y_val)
    return np.where(y_val == 1, 1.0 - p_val, p_val)


def build_reference(
    model,
    X_lab: np.ndarray,
    y_lab: np.ndarray,
    X_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    *,
    scorer: Callable[[np.ndarray], np.ndarray] | None = None,
    percentile: float = DENSITY_PERCENTILE,
    novelty_percentile: float = NOVELTY_PERCENTILE,
    conformal_level: float = CONFORMAL_LEVEL,
    inconsistency_threshold: float = 0.2,
    key: str = "",
) -> Reference:
    """Reference statistics of a model's labelled training rows (and validation rows for conformal).

    ``scorer``: p(single) on the validation rows for the conformal scores, from
    a scorer that did not train on them (default ``model.predict_proba``:
    right for a bare SSVAE, whose validation rows only chose its epoch, wrong
    for a scorer refitted on them).
    """
    X_lab = np.asarray(X_lab, np.float64)
    p_head = head_scorer(model)(X_lab)
    latent, _ = model.encode(X_lab, p_head)  # as candidates are encoded: with the head's own p
    n, dim = latent.shape
    sigma = float(np.mean(latent.std(axis=0))) or 1.0
    h = sigma * n ** (-1.0 / (dim + 4))  # Scott's rule
    own = _own_densities(latent, h)
    desc = featurize(X_lab, model.vocabulary)
    _, nn = _own_nearest(X_lab)
    scores = np.zeros(0)
    if X_val is not None and len(X_val):
        X_val = np.asarray(X_val, np.float64)
        p_val = np.asarray((scorer or model.predict_proba)(X_val), np.float64)
        scores = conformal_scores(p_val, y_val)
    return Reference(
        X_train=X_lab, y_train=np.asarray(y_lab, np.float64), latent=latent, bandwidth=h,
        density_threshold=float(np.percentile(own, percentile)), training_densities=np.sort(own),
        descriptor_min=desc.min(axis=0), descriptor_max=desc.max(axis=0), nn_distances=np.sort(nn),
        novelty_threshold=float(np.percentile(nn, novelty_percentile)), conformal_scores=np.sort(scores),
        vocabulary=tuple(model.vocabulary), percentile=percentile, novelty_percentile=novelty_percentile,
        conformal_level=conformal_level, inconsistency_threshold=inconsistency_threshold, key=key,
    )


def _own_nearest(X_lab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-out nearest-neighbour distances of the training alloys, for the percentile:
    every alloy up to DENSITY_SAMPLE, beyond that the same fixed sample as the densities
    (each still against all M), so the work grows with M, not M^2."""
    n = len(X_lab)
    if n <= DENSITY_SAMPLE:
        return nearest_neighbour(X_lab, X_lab, leave_one_out=True)
    pick = np.sort(np.random.default_rng(0).choice(n, size=DENSITY_SAMPLE, replace=False))
    from .known_alloys import nearest_rows

    idx, d = nearest_rows(X_lab[pick], X_lab, 2)
    own = idx[:, 0] == pick
    return np.where(own, idx[:, 1], idx[:, 0]), np.where(own, d[:, 1], d[:, 0])


DENSITY_SAMPLE = 5_000  # training alloys whose own densities set the percentile (all of them below this)


def _own_densities(latent: np.ndarray, h: float) -> np.ndarray:
    """Leave-one-out densities of the training alloys among all of them, for the percentile.

    Up to DENSITY_SAMPLE alloys every one is used; beyond, a fixed random
    sample of that many (each still among all M), so the work grows with M,
    not M^2; a 5th percentile from 5,000 values is within about 0.3
    percentile points of the full one.
    """
    n = len(latent)
    if n <= DENSITY_SAMPLE:
        return latent_density(latent, latent, h, leave_one_out=True)
    pick = np.sort(np.random.default_rng(0).choice(n, size=DENSITY_SAMPLE, replace=False))
    d = latent_density(latent[pick], latent, h)  # includes each point's own kernel: take it out
    own_kernel = 1.0 / (n * (2 * np.pi * h * h) ** (latent.shape[1] / 2))
    return (d - own_kernel) * n / (n - 1)


@dataclass
class Assessment:
    p_single: np.ndarray
    spread: np.ndarray
    latent: np.ndarray
    density: np.ndarray
    density_percentile: np.ndarray
    out_of_range: list[list[str]]
    flags: list[list[dict]]
    gap: np.ndarray | None = None
    p_second: np.ndarray | None = None
    conformal: np.ndarray | None = None  # (N, 2) 0/1 or (N, 0) when uncalibrated
    nearest_index: np.ndarray | None = None
    nearest_distance: np.ndarray | None = None
    nearest_percentile: np.ndarray | None = None
    nearest_formula: list[str] = field(default_factory=list)
    conformal_level: float = CONFORMAL_LEVEL
    conformal_on: float = CONFORMAL_ON_SCORER
    other_p: np.ndarray | None = None  # conformal p-value of the class p does not predict (None: uncalibrated)

    @property
    def ambiguity(self) -> np.ndarray:
        """0 (sure) to 1 (a coin): ambiguity of the p the conformal sets use (the scorer's)."""
        return 1.0 - 2.0 * np.abs(_conformal_p(self.conformal_on, self.p_single, self.p_second) - 0.5)

    @property
    def uncertainty_score(self) -> np.ndarray:
        """How plausible the other class is: see ``uncertainty_scores`` (the ambiguity if uncalibrated)."""
        return uncertainty_scores(self.other_p, self.ambiguity)

    def conformal_set(self, i: int) -> list[str] | None:
        if self.conformal is None or self.conformal.shape[1] == 0:
            return None
        return [CLASS_NAMES[c] for c in (1, 0) if self.conformal[i, c]]

    def uncertainty(self, i: int) -> dict:
        out = {
            "spread": round(float(self.spread[i]), 4),
            "latent_density": float(self.density[i]),
            "density_percentile": round(float(self.density_percentile[i]), 1),
            "uncertainty_score": round(float(self.uncertainty_score[i]), 4),
        }
        if self.other_p is not None:  # the score is the other class's p-value: the ambiguity kept beside it
            out["ambiguity"] = round(float(self.ambiguity[i]), 4)
        if self.gap is not None:
            out["consistency_gap"] = round(float(self.gap[i]), 4)
        if self.p_second is not None:
            out["second_opinion"] = {"model": second_opinion.FAMILY, "p_single": round(float(self.p_second[i]), 4)}
        cs = self.conformal_set(i)
        if cs is not None:
            out["conformal"] = {"level": self.conformal_level, "set": cs}
        if self.nearest_distance is not None:
            out["nearest_training_alloy"] = {
                "formula": self.nearest_formula[i], "distance_at_pct": round(float(self.nearest_distance[i]), 2),
                "percentile": round(float(self.nearest_percentile[i]), 1),
            }
        return out


TIE_BREAK = 1e-6  # orders alloys the calibration rows cannot tell apart by their ambiguity


def uncertainty_scores(other_p: np.ndarray | None, ambiguity: np.ndarray) -> np.ndarray:
    """The uncertainty score: the conformal p-value of the class p does not predict, 0 (no calibration
    alloy was that wrong) to 1, ties broken by the ambiguity; the ambiguity where uncalibrated.

    Within one model version it ranks alloys exactly as the ambiguity of p does; across versions it
    puts each p on its version's calibration scale, so candidates proposed by different versions
    (a store holds several) rank on one footing.  Chosen on validation rows (README, *Do the flags
    mean something?*).  The conformal set holds the other class exactly when it reaches 1 - level.
    """
    if other_p is None or len(other_p) != len(ambiguity):
        return np.asarray(ambiguity, np.float64)
    return np.asarray(other_p, np.float64) + TIE_BREAK * np.asarray(ambiguity, np.float64)


def other_class_p(p_values: np.ndarray, p: np.ndarray) -> np.ndarray | None:
    """The p-value of the class that p(single) does not predict (None without calibration)."""
    if p_values.shape[1] == 0:
        return None
    return np.where(np.asarray(p) >= 0.5, p_values[:, 0], p_values[:, 1])


def leave_one_out_scores(ref: Reference, p_cal: np.ndarray, y_cal: np.ndarray) -> np.ndarray:
    """Uncertainty scores of the calibration rows themselves, each on the other rows' calibration
    (in-sample p-values would know each row's own error): for choosing the score on validation rows."""
    p_cal = np.asarray(_conformal_p(ref.conformal_on, np.asarray(p_cal, np.float64), None), np.float64)
    own = conformal_scores(p_cal, y_cal)
    amb = 1.0 - 2.0 * np.abs(p_cal - 0.5)
    out = np.empty(len(p_cal))
    for i in range(len(p_cal)):
        j = int(np.searchsorted(ref.conformal_scores, own[i]))  # one copy of the row's own score leaves
        if j >= len(ref.conformal_scores) or not np.isclose(ref.conformal_scores[j], own[i]):
            raise ValueError("p_cal and y_cal are not the rows the reference was calibrated on")
        others = replace(ref, conformal_scores=np.delete(ref.conformal_scores, j))
        out[i] = uncertainty_scores(other_class_p(others.conformal_p_values(p_cal[i:i + 1]), p_cal[i:i + 1]),
                                    amb[i:i + 1])[0]
    return out


def _conformal_p(kind: float, p: np.ndarray, p2: np.ndarray | None) -> np.ndarray:
    return p if kind == CONFORMAL_ON_SCORER or p2 is None else 0.5 * (p + p2)


def _fmt(value: float) -> str:
    return f"{value:.3g}"


def _cls(p: float) -> str:
    return "single phase" if p >= 0.5 else "multi phase"


def _p(p: float) -> str:
    """p to two decimals, or three where two would read 0.50 and hide the side of 0.5 it is on."""
    return f"{p:.3f}" if f"{p:.2f}" == "0.50" else f"{p:.2f}"


CONFORMAL_HELD = {2: "both classes: single and multi phase are each plausible at that level",
                  0: "neither class: the set is empty, single and multi phase each too unlikely at that level"}


def assess(model, ref: Reference, X: np.ndarray, p_target: np.ndarray | None = None,
           scorer: Callable[[np.ndarray], np.ndarray] | None = None) -> Assessment:
    """Score, place and flag compositions X (N, V).

    p_single and its spread are ``model.predict_proba``'s (the version's scorer);
    ``scorer`` overrides p.  The latent point is found with the head's own p,
    as for the training alloys in the reference.
    """
    X = np.atleast_2d(np.asarray(X, np.float64))
    p_model, spread = model.predict_proba(X, return_std=True)
    p = np.asarray(p_model if scorer is None else scorer(X), np.float64)
    latent, _ = model.encode(X, head_scorer(model)(X))
    dens = latent_density(latent, ref.latent, ref.bandwidth)
    pct = 100.0 * np.searchsorted(ref.training_densities, dens) / max(len(ref.training_densities), 1)
    desc = featurize(X, model.vocabulary)
    gap = None if p_target is None else np.abs(np.asarray(p_target) - p)
    p2 = second_opinion.predict(ref.second_opinion(), X, ref.vocabulary)
    p_conf = _conformal_p(ref.conformal_on, p, p2)
    sets = ref.conformal_sets(p_conf)
    other_p = other_class_p(ref.conformal_p_values(p_conf), p_conf)
    nn_idx, nn_d = nearest_neighbour(X, ref.X_train)
    nn_pct = 100.0 * np.searchsorted(ref.nn_distances, nn_d, side="right") / max(len(ref.nn_distances), 1)
    nn_formula = [ref.formula(int(j)) for j in nn_idx]
    flags: list[list[dict]] = []
    oor_all: list[list[str]] = []
    level = f"{100 * ref.conformal_level:g} %"
    for i in range(len(X)):
        f: list[dict] = []
        if sets.shape[1] and sets[i].sum() != 1:
            f.append({"flag": "uncertain",
                      "reason": f"the {level} conformal prediction set holds {CONFORMAL_HELD[int(sets[i].sum())]} "
                      f"(p {_p(p[i])}, independent p {_p(p2[i])})"})
        if nn_d[i] > ref.novelty_threshold:
            f.append({"flag": "novel",
                      "reason": f"nearest labelled alloy {nn_formula[i]} is {nn_d[i]:.1f} at.% away, beyond "
                      f"{ref.novelty_percentile:g} % of training alloys' own distances ({ref.novelty_threshold:.1f})"})
        if dens[i] < ref.density_threshold:
            f.append({
                "flag": "low_density",
                "reason": f"latent density {_fmt(dens[i])} is below the {ref.percentile:g}th percentile "
                f"({_fmt(ref.density_threshold)}) of the labelled training alloys",
            })
        if (p2[i] >= 0.5) != (p[i] >= 0.5):
            f.append({"flag": "disputed",
                      "reason": f"independent {second_opinion.DESCRIPTION} says {_cls(p2[i])} "
                      f"(p {_p(p2[i])}), the scorer {_cls(p[i])} (p {_p(p[i])})"})
        oor = []
        for j, name in enumerate(DESCRIPTOR_NAMES):
            lo, hi = ref.descriptor_min[j], ref.descriptor_max[j]
            if desc[i, j] < lo - 1e-9 or desc[i, j] > hi + 1e-9:
                unit = DESCRIPTOR_UNITS[name]
                oor.append(f"{name} = {_fmt(desc[i, j])} {unit}".rstrip() + f" outside [{_fmt(lo)}, {_fmt(hi)}]")
        if oor:
            f.append({"flag": "out_of_range", "reason": "; ".join(oor) + " (labelled training range)"})
        oor_all.append(oor)
        if gap is not None and gap[i] > ref.inconsistency_threshold:
            f.append({
                "flag": "inconsistent",
                "reason": f"re-scored p {p[i]:.2f} differs from the target {float(np.asarray(p_target)[i]):.2f} "
                f"by {gap[i]:.2f} (> {ref.inconsistency_threshold:g})",
            })
        flags.append(f)
    return Assessment(p, spread, latent, dens, pct, oor_all, flags, gap, p2, sets, nn_idx, nn_d, nn_pct,
                      nn_formula, ref.conformal_level, ref.conformal_on, other_p)


FLAGS = ("uncertain", "novel", "low_density", "disputed", "out_of_range", "inconsistent")
