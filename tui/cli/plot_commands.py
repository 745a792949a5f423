"""Views with a plot: latent-map, curves, reliability (each prints a summary; --plot FILE writes a PNG)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..present.checks import replacing
from .options import CampaignOption, DbOption, echo
from .options import open_store as _open

PlotOption = Annotated[Optional[str], typer.Option("--plot", metavar="FILE",
                                                   help="Also write the plot as a PNG to this file (FILE.png).")]
VersionOption = Annotated[Optional[int], typer.Option("--version", metavar="VERSION",
                                                      help="Model version (default: the active one).")]


def _wrote(path: Path, replaced: str = "") -> None:
    echo(f"plot: {path}{replaced}")


def plot_file(plot: Optional[str], option: str = "--plot") -> Optional[Path]:
    """The PNG file asked for, checked before anything is computed (None: no plot asked for)."""
    if plot is None:
        return None
    from ..present.checks import PNG_SUFFIXES, output_file

    return output_file(plot, option, PNG_SUFFIXES)


def register(app: typer.Typer) -> None:
    @app.command("latent-map")
    def latent_map_command(db: DbOption = None, campaign: CampaignOption = "default", plot: PlotOption = None) -> None:
        """Where the training alloys and every candidate sit in the active model's latent space.

        Example: hea-campaign latent-map --plot latent.png
        """
        from hea_campaign.campaign.latent_map import latent_map

        from ..present.plots import latent_map_png

        png = plot_file(plot)
        m = latent_map(_open(db, campaign))
        echo(f"latent space of model v{m.version_id}: {len(m.single)} single-phase and {len(m.multi)} "
                   f"multi-phase training alloys, {len(m.candidate_ids)} candidates"
                   + (f", {m.unplaced} not placeable" if m.unplaced else ""))
        for cid, formula, status, (x, y) in zip(m.candidate_ids, m.candidate_formulas, m.candidate_status,
                                                m.candidates, strict=True):
            echo(f"  {cid:>6}  {formula:<32} {status:<9} z = ({x:+.2f}, {y:+.2f})")
        if png is not None:
            replaced = replacing(png)
            _wrote(latent_map_png(m, png), replaced)

    @app.command()
    def curves(db: DbOption = None, campaign: CampaignOption = "default", version: VersionOption = None,
               plot: PlotOption = None) -> None:
        """The stored training curve of a model version: losses and validation metrics per epoch.

        Example: hea-campaign curves --version 2 --plot curves.png
        """
        from hea_campaign.campaign.model_catalog import training_curve
        from hea_campaign.campaign.model_versions import get_version

        from ..present.checks import record_id
        from ..present.plots import training_curves_png

        png = plot_file(plot)
        if version is not None:
            record_id(version, "--version")
        store = _open(db, campaign)
        curve = training_curve(store, get_version(store, version).id)
        if not curve.stored:
            from hea_campaign.campaign.errors import CampaignError

            raise CampaignError(f"model version v{curve.version_id} has no stored training curve "
                                "(trained before curves were kept)")
        names = list(curve.series)
        echo(f"model version v{curve.version_id}\n{'epoch':>6}  " + "  ".join(f"{n:>12}" for n in names))
        for i, epoch in enumerate(curve.epochs):
            cells = ("-" if curve.series[n][i] is None else f"{curve.series[n][i]:.4g}" for n in names)
            echo(f"{epoch:>6}  " + "  ".join(f"{c:>12}" for c in cells))
        if png is not None:
            replaced = replacing(png)
            _wrote(training_curves_png(curve, png), replaced)

    @app.command()
    def reliability(db: DbOption = None, campaign: CampaignOption = "default", version: VersionOption = None,
                    bins: Annotated[int, typer.Option(min=2, max=50, metavar="N", help="Number of probability bins.")] = 10,
                    plot: PlotOption = None) -> None:
        """Is p(single phase) calibrated?  Predicted against observed on the version's validation alloys.

        Example: hea-campaign reliability --plot reliability.png
        """
        from hea_campaign.campaign.reliability import reliability as compute

        from ..present.checks import record_id
        from ..present.plots import reliability_png

        png = plot_file(plot)
        if version is not None:
            record_id(version, "--version")
        r = compute(_open(db, campaign), version, bins)
        echo(f"model v{r.version_id}, {r.n} validation alloys: Brier {r.brier:.3f}, ECE {r.ece:.3f}")
        echo(f"{'bin':>11}  {'alloys':>6}  {'mean p':>6}  {'observed':>8}")
        for lo, hi, n, p, o in zip(r.bin_edges[:-1], r.bin_edges[1:], r.counts, r.mean_predicted, r.observed,
                                   strict=True):
            echo(f"{lo:4.1f}-{hi:4.1f}    {n:>6}  " + ("     -         -" if n == 0 else f"{p:6.3f}  {o:8.3f}"))
        if png is not None:
            replaced = replacing(png)
            _wrote(reliability_png(r, png), replaced)
