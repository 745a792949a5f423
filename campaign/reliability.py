"""Is p(single phase) calibrated?  A reliability table on a version's own validation alloys.

The SSVAE never trains on the validation alloys (ids kept beside the
checkpoint), but the kept scorer refits its trees on them after choosing its
members, so its p there is in-sample.  A version therefore stores ``val_p``:
p on those alloys from the scorer fitted without them (the one conformal
calibration uses).  Predicted probability against observed frequency on them
is an honest check.  Labels are the current ones: a label corrected since
training counts as corrected.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import CampaignError
from .model_versions import get_version, load_version, version_arrays
from .store import CampaignStore
from .training_set import snapshot


@dataclass
class Reliability:
    version_id: int
    n: int
    bin_edges: np.ndarray  # (bins + 1,)
    mean_predicted: np.ndarray  # (bins,) nan where a bin is empty
    observed: np.ndarray  # (bins,) fraction single phase in the bin
    counts: np.ndarray  # (bins,)
    brier: float
    ece: float  # expected calibration error, weighted by bin counts


def reliability(store: CampaignStore, version_id: int | None = None, bins: int = 10) -> Reliability:
    version = get_version(store, version_id)
    model, _, _ = load_version(version)
    ref = version_arrays(version)  # the rows it used are stored with it (inside the checkpoint)
    if "val_ids" not in ref or not len(ref["val_ids"]):
        raise CampaignError(f"model version {version.id} kept no validation alloys: no reliability diagram")
    ts = snapshot(store, model.vocabulary)
    wanted = np.isin(ts.lab_ids, ref["val_ids"])
    if not wanted.any():
        raise CampaignError(f"none of model version {version.id}'s validation alloys has a label now")
    y = ts.y_lab[wanted].astype(float)
    p = _held_out_p(version, model, ref, ts.lab_ids[wanted], ts.X_lab[wanted])
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    counts = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_p = np.bincount(which, weights=p, minlength=bins) / counts
        observed = np.bincount(which, weights=y, minlength=bins) / counts
    filled = counts > 0
    ece = float(np.sum(counts[filled] * np.abs(mean_p[filled] - observed[filled])) / len(y))
    return Reliability(version.id, int(len(y)), edges, mean_p, observed, counts, float(np.mean((p - y) ** 2)), ece)


def _held_out_p(version, model, ref, ids: np.ndarray, X: np.ndarray) -> np.ndarray:
    """p on validation alloys from a model that never trained on them."""
    if "val_p" in ref:
        by_id = dict(zip(np.asarray(ref["val_ids"]).tolist(), np.asarray(ref["val_p"], dtype=float).tolist(),
                         strict=True))
        return np.array([by_id[i] for i in ids.tolist()], dtype=float)
    if (version.metrics or {}).get("scorer", "ssvae") != "ssvae":
        raise CampaignError(f"model version {version.id} refitted its scorer on its validation alloys and kept no "
                            "p from before (it predates this check): train a new version for an honest diagram")
    return np.asarray(model.predict_proba(X), dtype=float).ravel()
