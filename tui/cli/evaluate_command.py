"""`hea-campaign evaluate`: the figures of DESIGN.md section 10, printed."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..present.text import counted
from .options import echo


def register(app: typer.Typer) -> None:
    @app.command()
    def evaluate(
        protocol: Annotated[str, typer.Option(metavar="paper|system-holdout", help="Split protocol: paper (10% test, 30% of the rest unlabelled, 20% of that validation) or system-holdout (the same proportions, whole element systems on one side: the out-of-distribution figure).")] = "paper",
        seeds: Annotated[int, typer.Option(metavar="N", help="Number of split seeds (0..N-1), 1 to 100.")] = 5,
        split_file: Annotated[Optional[Path], typer.Option(metavar="CSV", help="Use a fixed split (Alloys,split CSV), e.g. ../shared/data/paper_split.csv.")] = None,
        grouped: Annotated[bool, typer.Option("--grouped/--ungrouped", help="Keep near-duplicate compositions (fractions within 0.01 of each other) on one side of each split: the headline figure, and the default. --ungrouped cuts rows at random as the seed paper did, so near-duplicates may straddle a split (for comparison with the paper only).")] = True,
        baseline: Annotated[bool, typer.Option("--baseline", help="Also train the reference models (gradient boosting, random forest) on the same descriptors and labelled rows.")] = False,
        data_efficiency: Annotated[bool, typer.Option("--data-efficiency", help="Semi-supervised SSVAE vs supervised-only vs random forest vs the scorer at 50, 100, 247 and 864 labelled alloys (the rest of the pool unlabelled).")] = False,
        external: Annotated[Optional[Path], typer.Option(metavar="CSV", help="Evaluate on an external labelled set, e.g. the MPEA CSV (near-duplicates of seed alloys, within 1 at.%, left out): models trained on the seed set once per seed, mean +/- sd over --seeds.")] = None,
        flags: Annotated[bool, typer.Option("--flags", help="Do the flags mean something? Error ROC AUC of each uncertainty signal, accuracy flagged vs unflagged, conformal coverage, calibration; on grouped splits (default), --protocol system-holdout or --external.")] = False,
        reliability_png: Annotated[Optional[str], typer.Option("--reliability-png", metavar="PNG", help="With --flags: write the reliability diagram here (a .png file).")] = None,
        inversion: Annotated[bool, typer.Option("--inversion", help="Invert the multi-phase test alloys with the paper and proximal loops: of each seed's split (grouped unless --ungrouped, or --protocol system-holdout), or of --split-file's split with one training per seed; mean +/- sd over --seeds.")] = False,
        epochs: Annotated[Optional[int], typer.Option(metavar="N", help="Override the training epochs (quick checks), 1 to 100000 \\[default: the model's, with early stopping].")] = None,
    ) -> None:
        """Measure the model on the seed dataset: model selection on validation rows only, test scored once.

        Splits are grouped (near-duplicates never straddle one) unless --ungrouped is given.

        Example: hea-campaign evaluate --seeds 5 --baseline
        """
        from hea_campaign.campaign import evaluation as ce
        from hea_campaign.campaign.errors import CampaignError
        from hea_campaign.model import evaluation as me
        from hea_campaign.model.ssvae import SSVAEConfig

        if protocol not in ("paper", "system-holdout"):
            raise CampaignError(f"unknown protocol '{protocol}'; choose paper or system-holdout")
        from ..present.checks import integer

        integer(seeds, "--seeds", lo=1, hi=100)
        for option, path in (("--external", external), ("--split-file", split_file)):
            if path is not None and not path.is_file():  # said now, not after the other figures' trainings
                raise CampaignError(f"{option} {path}: " + ("is a folder, not a file" if path.is_dir()
                                                            else "no such file"))
        if reliability_png is not None and not flags:  # it would be ignored: no diagram is drawn without --flags
            raise CampaignError("--reliability-png needs --flags (the reliability diagram is part of the flag figures)")
        if reliability_png is not None:  # checked before hours of training, not after
            from ..present.checks import PNG_SUFFIXES, output_file

            reliability_png = output_file(reliability_png, "--reliability-png", PNG_SUFFIXES)
        if epochs is not None:
            integer(epochs, "--epochs", lo=1, hi=100_000)
        config = SSVAEConfig() if epochs is None else SSVAEConfig().replace(epochs=epochs)
        seed_list = list(range(seeds))

        def say(msg: str) -> None:
            print(f"  {msg}", file=sys.stderr, flush=True)

        did = False
        if data_efficiency:
            did = True
            split_name = "system-holdout" if protocol == "system-holdout" else ("grouped" if grouped else "random")
            echo(f"Data efficiency ({split_name} paper-proportion splits; test metrics, mean +/- sd over "
                 f"{counted(seeds, 'seed')}; the labelled rows left over join the unlabelled pool):")
            echo(me.format_data_efficiency(ce.evaluate_data_efficiency(
                seed_list, config=config, grouped=grouped, protocol=protocol, progress=say)))
        if external and not flags:
            did = True
            from hea_campaign.campaign.inversion_evaluation import seed_words

            from ..present.evaluation_text import format_external

            runs = ce.evaluate_external_seeds(external, seed_list, baseline=baseline, config=config, progress=say)
            for line in format_external(external.name, runs, seed_words(seed_list)):
                echo(line)
        if flags:
            did = True
            from hea_campaign.campaign.flag_evaluation import evaluate_flags

            from ..present.flag_report import format_flag_figures

            from ..present.checks import replacing

            replaced = replacing(reliability_png) if reliability_png is not None else ""
            f = evaluate_flags(seed_list, protocol=protocol, grouped=grouped, external=external, config=config,
                               png=reliability_png, progress=say)
            echo(format_flag_figures(f) + replaced)
        if inversion:
            did = True
            from hea_campaign.campaign.inversion_evaluation import evaluate_inversion_seeds, split_description

            from ..present.flag_report import format_inversion_over_seeds

            figures = evaluate_inversion_seeds(seed_list, split_file=split_file, config=config, grouped=grouped,
                                               protocol=protocol, progress=say)
            echo(format_inversion_over_seeds(figures, split=split_description(split_file, seed_list, grouped=grouped,
                                                                              protocol=protocol)))
        if not did or (split_file and not inversion) or (
                protocol != "paper" and not (flags or data_efficiency or inversion)):
            result = ce.evaluate_paper(seed_list, grouped=grouped, baseline=baseline, split_file=split_file,
                                       config=config, progress=say, protocol=protocol)
            echo(me.format_protocol(result))
            secs = [s.train_seconds for s in result.seeds]
            echo(f"SSVAE training time per seed: {sum(secs) / len(secs):.1f} s (mean; the other models not counted)")
