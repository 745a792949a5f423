"""Saving a plot from the TUI: the same PNG the CLI's ``--plot FILE`` writes, in the current folder."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

PLOT_KINDS = ("latent-map", "training-curves", "shap", "reliability")


def write_plot(store, kind: str, version: int | None, payload, folder: Path) -> Path:
    """Compute what the plot needs (if not given) and write it under a name that never collides."""
    from hea_campaign.tui.present import plots

    path = folder / plots.plot_file_name(kind, datetime.now(), version)
    if kind == "latent-map":
        m, selected = payload
        return plots.latent_map_png(m, path, selected)
    if kind == "training-curves":
        from hea_campaign.campaign.model_catalog import list_versions, training_curve

        if version is None:  # the active version's (Ctrl+P "Save the training curves" outside Models)
            from hea_campaign.campaign.errors import CampaignError

            active = [v.id for v in list_versions(store) if v.active]
            if not active:
                raise CampaignError("no active model: train one on the Retrain tab")
            version = active[0]
            path = folder / plots.plot_file_name(kind, datetime.now(), version)
        return plots.training_curves_png(training_curve(store, version), path)
    if kind == "shap":
        formula, contributions, candidate = payload
        path = folder / plots.plot_file_name(kind, datetime.now(), version, candidate)
        return plots.shap_png(formula, version, contributions, path)
    if kind == "reliability":
        from hea_campaign.campaign.reliability import reliability

        r = reliability(store, version)
        return plots.reliability_png(r, folder / plots.plot_file_name(kind, datetime.now(), r.version_id))
    raise ValueError(f"unknown plot {kind!r}; one of {', '.join(PLOT_KINDS)}")


def save_plot(app, kind: str, version: int | None = None, payload=None) -> None:
    """Write the PNG in a worker; say where it went (or why not) in a notification."""
    folder = Path.cwd()

    def work() -> None:
        path = write_plot(app.store, kind, version, payload, folder)
        app.call_from_thread(app.notify, f"Saved {path}", title="plot", markup=False, timeout=10)

    app.notify(f"Saving the {kind.replace('-', ' ')} as a PNG...", markup=False)
    app.run_worker(work, thread=True, group="plot", exit_on_error=False)
