"""SHAP attributions of the classifier head over the eight descriptors.

The head q(y | f(x)) sees only the standardised descriptors, so its output
p(single phase) is explained descriptor by descriptor with shap's
KernelExplainer. The background is the k-means summary of the training
descriptors stored with the model (``model.background``), so explanations
work from a loaded checkpoint without the training data. With 8 descriptors
all 2^8 coalitions are enumerated, so the values are exact Shapley values of
the head relative to that background, and they add up:
``base_value + sum(contributions) == p(single phase)``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .descriptors import DESCRIPTOR_NAMES
from .ssvae import SSVAE

__all__ = ["Explanation", "explain_one", "explain_many", "global_importance"]

_NSAMPLES = 2 ** len(DESCRIPTOR_NAMES) + 64  # > 2^8 - 2: every coalition enumerated


@dataclass
class Explanation:
    descriptor_names: tuple[str, ...]
    descriptors: np.ndarray  # raw descriptor values of the alloy (8,)
    contributions: np.ndarray  # SHAP value per descriptor (8,), in probability units
    base_value: float  # expected p over the background
    prediction: float  # p(single phase) of the alloy

    def as_dict(self) -> dict:
        return {
            "base_value": float(self.base_value),
            "prediction": float(self.prediction),
            "contributions": {n: float(c) for n, c in zip(self.descriptor_names, self.contributions)},
            "descriptors": {n: float(v) for n, v in zip(self.descriptor_names, self.descriptors)},
        }


def _background(model: SSVAE, fallback: np.ndarray | None):
    import shap

    bg = model.background.detach().double().numpy() if model.background.numel() else None
    w = model.background_weights.detach().double().numpy() if model.background_weights.numel() else None
    if bg is None:
        if fallback is None:
            raise ValueError("model has no stored background; pass background fractions")
        bg = model.scaler.transform(model.descriptors(fallback))
        if len(bg) > 32:
            return shap.kmeans(bg, 16)
        return bg
    try:  # weighted background (cluster sizes) when this shap version exposes DenseData
        from shap.utils._legacy import DenseData

        return DenseData(bg, list(DESCRIPTOR_NAMES), None, w)
    except Exception:  # pragma: no cover - older/newer shap layouts
        return bg


def _explainer(model: SSVAE, background_fractions: np.ndarray | None = None):
    import shap

    bg = _background(model, background_fractions)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return shap.KernelExplainer(model.predict_proba_descriptors, bg)


def _shap(explainer, d_std: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        vals = explainer.shap_values(d_std, nsamples=_NSAMPLES, silent=True)
    vals = np.asarray(vals, dtype=np.float64)
    return vals.reshape(len(d_std), len(DESCRIPTOR_NAMES))


def explain_many(model: SSVAE, fractions: np.ndarray, background_fractions: np.ndarray | None = None
                 ) -> tuple[np.ndarray, float]:
    """SHAP values (N, 8) of p(single phase) for each row, and the base value."""
    f = np.atleast_2d(np.asarray(fractions, dtype=np.float64))
    ex = _explainer(model, background_fractions)
    d_std = model.scaler.transform(model.descriptors(f))
    return _shap(ex, d_std), float(np.ravel(ex.expected_value)[0])


def explain_one(model: SSVAE, fraction_row: np.ndarray, background_fractions: np.ndarray | None = None
                ) -> Explanation:
    """Per-descriptor contributions to one alloy's p(single phase), plus the base value."""
    row = np.asarray(fraction_row, dtype=np.float64).reshape(1, -1)
    ex = _explainer(model, background_fractions)
    raw = model.descriptors(row)
    d_std = model.scaler.transform(raw)
    vals = _shap(ex, d_std)[0]
    return Explanation(
        tuple(DESCRIPTOR_NAMES), raw[0], vals, float(np.ravel(ex.expected_value)[0]),
        float(model.predict_proba(row)[0]),
    )


def global_importance(model: SSVAE, fractions: np.ndarray, background_fractions: np.ndarray | None = None
                      ) -> dict[str, float]:
    """Mean |SHAP| per descriptor over the given alloys, largest first."""
    vals, _ = explain_many(model, fractions, background_fractions)
    imp = np.abs(vals).mean(axis=0)
    order = np.argsort(-imp)
    return {DESCRIPTOR_NAMES[i]: float(imp[i]) for i in order}
