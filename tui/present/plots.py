"""Plots to keep: PNG files (matplotlib) of what the TUI draws in the terminal.

Shared by the TUI (a key on each view) and the CLI (``--plot FILE``), so a
figure in a report is the one on the screen.  Each function writes the file
atomically (a temporary name, then a rename) and returns its path.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

STATUS_COLOURS = {"proposed": "#d4a017", "approved": "#1f77b4", "rejected": "#7f7f7f", "exported": "#9467bd",
                  "measured": "#17becf"}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path) -> Path:
    """Write ``fig`` as a PNG at ``path`` through a temporary file beside it; a failure names ``path``
    (the user's file), never the temporary one, and leaves no temporary file behind."""
    plt = _pyplot()
    path = Path(path).expanduser()
    tmp = path.with_name(f".{path.name}.part")  # hidden, and not *.png: a glob for the plot never finds it half-written
    try:
        if not path.parent.is_dir():
            from hea_campaign.campaign.errors import CampaignError

            raise CampaignError(f"cannot write the plot {path}: the folder {path.parent} does not exist")
        fig.savefig(tmp, dpi=120, format="png")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    finally:
        plt.close(fig)
    return path


def plot_file_name(kind: str, when: datetime, version: int | None = None, candidate: int | None = None) -> str:
    """<kind>[-candidate<id>][-v<version>]-<YYYYmmdd-HHMMSS>.png: saving twice never overwrites, and a
    candidate's plot names the candidate."""
    return (f"{kind}{'' if candidate is None else f'-candidate{candidate}'}"
            f"{'' if version is None else f'-v{version}'}-{when:%Y%m%d-%H%M%S}.png")


def latent_axis_labels(m) -> tuple[str, str]:
    """What the latent map's axes are: the SSVAE's first two latent dimensions (of more, if it has more)."""
    of = f" of {m.dims}" if getattr(m, "dims", 2) != 2 else ""
    return f"z1: latent dimension 1{of}", f"z2: latent dimension 2{of}"


def latent_map_png(m, path, selected: int | None = None) -> Path:
    """Training alloys by label, every candidate by status, the low-density region; ``selected`` ringed."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 6), constrained_layout=True)
    if len(m.low_density):
        ax.scatter(m.low_density[:, 0], m.low_density[:, 1], s=10, c="0.85", marker="s", label="low density")
    ax.scatter(m.multi[:, 0], m.multi[:, 1], s=9, c="#d62728", alpha=0.6, label="multi phase")
    ax.scatter(m.single[:, 0], m.single[:, 1], s=9, c="#2ca02c", alpha=0.6, label="single phase")
    for status, colour in STATUS_COLOURS.items():
        idx = [i for i, s in enumerate(m.candidate_status) if s == status]
        if idx:
            ax.scatter(m.candidates[idx, 0], m.candidates[idx, 1], s=40, c=colour, marker="x",
                       label=f"candidates {status}")
    if selected is not None and selected in m.candidate_ids:
        i = m.candidate_ids.index(selected)
        ax.scatter([m.candidates[i, 0]], [m.candidates[i, 1]], s=220, facecolors="none", edgecolors="k")
        ax.annotate(f"{selected}: {m.candidate_formulas[i]}", m.candidates[i], xytext=(8, 8),
                    textcoords="offset points", fontsize=8)
    xlabel, ylabel = latent_axis_labels(m)
    ax.set_xlabel(f"{xlabel} (encoder mean)")
    ax.set_ylabel(f"{ylabel} (encoder mean)")
    ax.set_title(f"Latent space of model v{m.version_id}: {len(m.candidate_ids)} candidates")
    ax.legend(fontsize=7, loc="best")
    return _save(fig, path)


def training_curves_png(curve, path) -> Path:
    """Training loss and validation metrics per evaluated epoch of one model version."""
    plt = _pyplot()
    if not curve.stored:
        from hea_campaign.campaign.errors import CampaignError

        raise CampaignError(f"model version {curve.version_id} has no stored training curve")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for name, values in curve.series.items():
        pts = [(e, v) for e, v in zip(curve.epochs, values, strict=False) if v is not None]
        if not pts:
            continue
        ax = ax2 if name.startswith("val_") and name != "val_loss" else ax1
        ax.plot([e for e, _ in pts], [v for _, v in pts], label=name)
    ax1.set_title("losses")
    ax2.set_title("SSVAE head: validation accuracy and AUC")
    for ax in (ax1, ax2):
        ax.set_xlabel("epoch")
        ax.legend(fontsize=7)
    fig.suptitle(f"Model version v{curve.version_id}")
    return _save(fig, path)


def shap_png(formula: str, version_id: int, contributions: dict[str, float], path) -> Path:
    """SHAP contributions of each descriptor to one alloy's p(single phase)."""
    plt = _pyplot()
    items = sorted(contributions.items(), key=lambda kv: abs(kv[1]))
    fig, ax = plt.subplots(figsize=(7, 0.4 * len(items) + 1.5), constrained_layout=True)
    ax.barh([k for k, _ in items], [v for _, v in items], color=["#2ca02c" if v >= 0 else "#d62728" for _, v in items])
    ax.axvline(0, color="k", linewidth=0.8)
    ax.set_xlabel("contribution to the SSVAE head's p(single phase)")
    ax.set_title(f"{formula}: SHAP contributions (model v{version_id})")
    return _save(fig, path)


def reliability_png(r, path) -> Path:
    """Predicted p(single phase) against the observed fraction, on a version's validation alloys."""
    plt = _pyplot()
    import numpy as np

    fig, (ax, axh) = plt.subplots(2, 1, figsize=(5.5, 6.5), height_ratios=(3, 1), sharex=True,
                                  constrained_layout=True)
    ax.plot([0, 1], [0, 1], linestyle="--", color="0.5", label="perfect calibration")
    filled = r.counts > 0
    ax.plot(r.mean_predicted[filled], r.observed[filled], marker="o", label=f"model v{r.version_id}")
    ax.set_ylabel("observed fraction single phase")
    ax.set_title(f"Reliability on {r.n} validation alloys: Brier {r.brier:.3f}, ECE {r.ece:.3f}")
    ax.legend(fontsize=8)
    centres = (r.bin_edges[:-1] + r.bin_edges[1:]) / 2
    axh.bar(centres, r.counts, width=np.diff(r.bin_edges) * 0.9, color="0.6")
    axh.set_xlabel("predicted p(single phase)")
    axh.set_ylabel("alloys")
    return _save(fig, path)


def simulation_png(result, path) -> Path:
    """The campaign simulation's targets-found and learning-curve plot (campaign.simulation_report)."""
    from hea_campaign.campaign.simulation_report import plot

    return plot(result, path)



def epoch_ticks(last: int, most: int = 6) -> list[int]:
    """Whole epochs from 0 to ``last`` at the first round step (1, 2, 5, 10, 20, 50, ...) that gives at
    most ``most`` ticks: the terminal charts' own ticks fall between epochs ("102.5")."""
    scale = 1
    while True:
        for step in (scale, 2 * scale, 5 * scale):
            if last // step + 1 <= most:
                return list(range(0, last + 1, step))
        scale *= 10
