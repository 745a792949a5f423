"""Flags that say when the model cannot vouch for a candidate.

Each flag comes with a one-line reason a scientist can check:

- ``low_density``: the candidate's latent point lies where the labelled
  training alloys are sparse (Gaussian kernel density of their latent means,
  below a percentile of the training alloys' own leave-one-out densities);
- ``out_of_range``: a descriptor lies outside the labelled training range;
- ``inconsistent``: re-scoring a decoded alloy gives a p far from the p it
  was decoded for;
- ``high_spread``: the classifier heads disagree (ensemble standard deviation).

The reference (latent means, descriptor ranges, density threshold) is built
from the labelled rows a model version was trained on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hea_campaign.model.descriptors import DESCRIPTOR_NAMES, DESCRIPTOR_UNITS, featurize


@dataclass
class Reference:
    latent: np.ndarray  # (M, L) latent means of labelled training alloys
    bandwidth: float
    density_threshold: float
    training_densities: np.ndarray  # sorted leave-one-out densities, for percentiles
    descriptor_min: np.ndarray
    descriptor_max: np.ndarray
    percentile: float
    spread_threshold: float
    inconsistency_threshold: float


def latent_density(points: np.ndarray, centres: np.ndarray, h: float, leave_one_out: bool = False) -> np.ndarray:
    d2 = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
    k = np.exp(-0.5 * d2 / (h * h))
    if leave_one_out:
        np.fill_diagonal(k, 0.0)
        m = len(centres) - 1
    else:
        m = len(centres)
    dim = centres.shape[1]
    return k.sum(1) / (max(m, 1) * (2 * np.pi * h * h) ** (dim / 2))


def build_reference(
    model,
    X_lab: np.ndarray,
    y_lab: np.ndarray,
    *,
    percentile: float = 5.0,
    spread_threshold: float = 0.15,
    inconsistency_threshold: float = 0.2,
) -> Reference:
    """Reference statistics of a model's labelled training rows."""
    latent, _ = model.encode(X_lab, y_lab)
    n, dim = latent.shape
    sigma = float(np.mean(latent.std(axis=0))) or 1.0
    h = sigma * n ** (-1.0 / (dim + 4))  # Scott's rule
    own = latent_density(latent, latent, h, leave_one_out=True)
    desc = featurize(X_lab, model.vocabulary)
    return Reference(
        latent=latent,
        bandwidth=h,
        density_threshold=float(np.percentile(own, percentile)),
        training_densities=np.sort(own),
        descriptor_min=desc.min(axis=0),
        descriptor_max=desc.max(axis=0),
        percentile=percentile,
        spread_threshold=spread_threshold,
        inconsistency_threshold=inconsistency_threshold,
    )


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

    def uncertainty(self, i: int) -> dict:
        out = {
            "spread": round(float(self.spread[i]), 4),
            "latent_density": float(self.density[i]),
            "density_percentile": round(float(self.density_percentile[i]), 1),
        }
        if self.gap is not None:
            out["consistency_gap"] = round(float(self.gap[i]), 4)
        return out


def _fmt(value: float) -> str:
    return f"{value:.3g}"


def assess(model, ref: Reference, X: np.ndarray, p_target: np.ndarray | None = None) -> Assessment:
    """Score, place and flag compositions X (N, V)."""
    X = np.atleast_2d(X)
    p, spread = model.predict_proba(X, return_std=True)
    latent, _ = model.encode(X, p)
    dens = latent_density(latent, ref.latent, ref.bandwidth)
    pct = 100.0 * np.searchsorted(ref.training_densities, dens) / max(len(ref.training_densities), 1)
    desc = featurize(X, model.vocabulary)
    gap = None if p_target is None else np.abs(np.asarray(p_target) - p)
    flags: list[list[dict]] = []
    oor_all: list[list[str]] = []
    for i in range(len(X)):
        f: list[dict] = []
        if dens[i] < ref.density_threshold:
            f.append({
                "flag": "low_density",
                "reason": f"latent density {_fmt(dens[i])} is below the {ref.percentile:g}th percentile "
                f"({_fmt(ref.density_threshold)}) of the labelled training alloys",
            })
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
        if spread[i] > ref.spread_threshold:
            f.append({
                "flag": "high_spread",
                "reason": f"classifier heads disagree: spread {spread[i]:.2f} (> {ref.spread_threshold:g})",
            })
        flags.append(f)
    return Assessment(p, spread, latent, dens, pct, oor_all, flags, gap)
