"""`hea-campaign evaluate`: the figures of DESIGN.md section 10, printed."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from .options import echo


def _ms(t) -> str:
    return "n/a" if t[0] != t[0] else f"{t[0]:.3f} +/- {t[1]:.3f}"


def _fmt_metrics(m: dict) -> str:
    return f"accuracy {m.get('accuracy', math.nan):.3f}, ROC AUC {m.get('roc_auc', math.nan):.3f} (n={m.get('n', 0)})"


def register(app: typer.Typer) -> None:
    @app.command()
    def evaluate(
        protocol: Annotated[str, typer.Option(metavar="paper", help="Split protocol: paper (10% test, 30% of the rest unlabelled, 20% of that validation).")] = "paper",
        seeds: Annotated[int, typer.Option(metavar="N", help="Number of split seeds (0..N-1), 1 to 100.")] = 5,
        split_file: Annotated[Optional[Path], typer.Option(metavar="CSV", help="Use a fixed split (Alloys,split CSV), e.g. ../shared/data/paper_split.csv.")] = None,
        grouped: Annotated[bool, typer.Option("--grouped", help="Keep near-duplicate compositions (fractions rounded to 0.01) on one side of each split.")] = False,
        baseline: Annotated[bool, typer.Option("--baseline", help="Also train gradient boosting on the same descriptors and labelled rows.")] = False,
        data_efficiency: Annotated[bool, typer.Option("--data-efficiency", help="SSVAE vs supervised-only at 864 and 247 labelled alloys.")] = False,
        external: Annotated[Optional[Path], typer.Option(metavar="CSV", help="Evaluate on an external labelled set, e.g. the MPEA CSV.")] = None,
        flags: Annotated[bool, typer.Option("--flags", help="Accuracy of flagged vs unflagged held-out alloys.")] = False,
        inversion: Annotated[bool, typer.Option("--inversion", help="Invert the multi-phase test alloys with the paper and proximal loops.")] = False,
        epochs: Annotated[Optional[int], typer.Option(metavar="N", help="Override the training epochs (quick checks), 1 to 100000.")] = None,
    ) -> None:
        """Measure the model on the seed dataset: model selection on validation rows only, test scored once.

        Example: hea-campaign evaluate --seeds 5 --baseline
        """
        from hea_campaign.campaign import evaluation as ce
        from hea_campaign.campaign.errors import CampaignError
        from hea_campaign.model import evaluation as me
        from hea_campaign.model.ssvae import SSVAEConfig

        if protocol != "paper":
            raise CampaignError("the only protocol is 'paper'")
        from ..present.checks import integer

        integer(seeds, "--seeds", lo=1, hi=100)
        if epochs is not None:
            integer(epochs, "--epochs", lo=1, hi=100_000)
        config = SSVAEConfig() if epochs is None else SSVAEConfig().replace(epochs=epochs)
        seed_list = list(range(seeds))

        def say(msg: str) -> None:
            print(f"  {msg}", file=sys.stderr, flush=True)

        did = False
        if data_efficiency:
            did = True
            echo(f"Data efficiency (test metrics, mean +/- sd over {seeds} seeds):")
            echo(me.format_data_efficiency(ce.evaluate_data_efficiency(seed_list, config=config)))
        if external:
            did = True
            r = ce.evaluate_external(external, baseline=baseline, config=config)
            echo(f"External set {external.name}: {r.n_rows} rows -> {r.n_alloys} labelled alloys evaluated")
            echo("  left out: " + ", ".join(f"{k} {v}" for k, v in r.excluded.items()))
            echo(f"  SSVAE:             {_fmt_metrics(r.ssvae)}")
            if r.baseline:
                echo(f"  gradient boosting: {_fmt_metrics(r.baseline)}")
        if flags:
            did = True
            f = ce.evaluate_flags(seed_list, grouped=grouped, config=config, progress=say)
            echo(f"Uncertainty flags on held-out test alloys ({seeds} seeds pooled):")
            echo(f"  flagged:   n={f.flagged['n']:>4}  accuracy {f.flagged['accuracy']:.3f}")
            echo(f"  unflagged: n={f.unflagged['n']:>4}  accuracy {f.unflagged['accuracy']:.3f}")
            for name, m in f.per_flag.items():
                echo(f"    {name:<13} n={m['n']:>4}  accuracy {m['accuracy']:.3f}")
            echo("  ROC AUC of each uncertainty score for spotting a wrong prediction:")
            for name, v in f.auc_wrong.items():
                echo(f"    {name:<24} {v:.3f}")
        if inversion:
            did = True
            echo("Inverse design from the multi-phase test alloys (cutoff 0.6):")
            echo(f"  {'loop':<14}{'starts':>7}{'reached':>9}{'median change at.%':>20}{'median steps':>14}"
                       f"{'kept element set':>18}")
            for r in ce.evaluate_inversion(split_file=split_file, config=config):
                echo(f"  {r.loop:<14}{r.n_starts:>7}{r.reached:>9.2f}{r.median_change:>20.1f}"
                           f"{r.median_steps:>14.1f}{r.kept_element_set:>18.2f}")
        if not did or (split_file and not inversion) or (grouped and not flags):
            result = ce.evaluate_paper(seed_list, grouped=grouped, baseline=baseline, split_file=split_file,
                                       config=config, progress=say)
            echo(me.format_protocol(result))
            secs = [s.train_seconds for s in result.seeds]
            echo(f"training time per seed: {sum(secs) / len(secs):.1f} s (mean)")
