"""`hea-campaign simulate`: replay a campaign on labelled data and compare strategies with random choice."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from .errors import end_progress_line, progress_line
from ..present.text import counted
from .options import echo


def register(app: typer.Typer) -> None:
    @app.command()
    def simulate(
        ctx: typer.Context,
        dataset: Annotated[str, typer.Option(metavar="NAME", help="Named labelled dataset to replay.")] = "yan2021",
        csv: Annotated[Optional[Path], typer.Option(metavar="CSV", help="Replay a CSV instead (formula + label or phase columns).")] = None,
        initial: Annotated[int, typer.Option(metavar="N", help="Labelled alloys the campaign starts from.")] = 50,
        batch: Annotated[int, typer.Option(metavar="N", help="Alloys revealed per round.")] = 8,
        rounds: Annotated[int, typer.Option(metavar="N", help="Rounds per run.")] = 20,
        repeats: Annotated[int, typer.Option(metavar="N", help="Repeats with different seeds and initial alloys.")] = 10,
        strategies: Annotated[str, typer.Option(metavar="LIST", help="Comma-separated from random, greedy, exploit, explore, balanced (this tool) and forest, rule (reference strategies a lab could use without it); random is required.")] = "random,greedy,forest,rule",
        target: Annotated[str, typer.Option(metavar="TEXT", help="What counts as a find.")] = "single phase with at least 4 elements",
        out: Annotated[str, typer.Option(metavar="CSV", help="Per-round CSV (one row per strategy, repeat and round), a .csv or .txt file.")] = "simulation.csv",
        plot: Annotated[Optional[str], typer.Option(metavar="PNG", help="PNG of targets found vs experiments \\[default: OUT with .png].")] = None,
        jobs: Annotated[int, typer.Option(metavar="N", show_default=False, help="Processes (one repeat each), 0 for one per CPU core \\[default: CPU cores].")] = 0,
        first_epochs: Annotated[int, typer.Option(metavar="N", help="Epochs of each repeat's first model.")] = 300,
        round_epochs: Annotated[int, typer.Option(metavar="N", help="Epochs of each later round (warm start from the previous model).")] = 40,
        seed: Annotated[int, typer.Option(metavar="N", help="Base seed (repeat k uses seed + 1009 k).")] = 0,
        quick: Annotated[bool, typer.Option("--quick", help="A small run for checks: a 400-alloy pool, --initial 30, --batch 4, --rounds 3, --repeats 2, --first-epochs 40, --round-epochs 10; any of those options you give wins, and the run says what --quick set.")] = False,
        keep_stores: Annotated[Optional[Path], typer.Option(metavar="FOLDER", help="Keep each run's SQLite store and round CSVs in this folder.")] = None,
        scheduler: Annotated[Optional[str], typer.Option(metavar="ADDRESS", help="Run the repeats on this Dask cluster, e.g. tcp://10.0.0.5:8786 (one task each).")] = None,
    ) -> None:
        """Replay a campaign with hidden labels: does the loop find targets faster than random choice?

        The pool is a labelled dataset; each run starts from a few revealed alloys
        and every round retrains, scores the pool, picks a batch with the strategy
        and reveals those labels. Prints medians and IQRs of targets found,
        enhancement factor (EF) and acceleration factor (AF) against random, and
        the learning curve on held-out alloys.

        Example: hea-campaign simulate --quick --out sim.csv
        """
        from hea_campaign.campaign.simulation import SimulationSettings, load_pool, parse_target, simulate
        from hea_campaign.campaign.simulation_report import plot as save_plot
        from hea_campaign.campaign.simulation_report import summarise
        from hea_campaign.campaign.simulation import write_records

        from ..present.machine import cores, describe
        from ..present.simulation_text import default_verdict, format_summary, verdict

        from ..present.checks import integer, names as name_list, seed as check_seed

        for value, option, top in ((initial, "--initial", 100_000), (batch, "--batch", 10_000), (rounds, "--rounds", 1000),
                                   (repeats, "--repeats", 1000), (first_epochs, "--first-epochs", 100_000),
                                   (round_epochs, "--round-epochs", 100_000)):
            integer(value, option, lo=1, hi=top)
        integer(jobs, "--jobs", lo=0, hi=1024)
        check_seed(seed)
        names = tuple(name_list(strategies, "--strategies"))
        settings = SimulationSettings(
            initial=initial, batch=batch, rounds=rounds, repeats=repeats, strategies=names,
            target=parse_target(target), first_epochs=first_epochs, round_epochs=round_epochs, seed=seed,
            jobs=jobs if jobs > 0 else cores(),
        )  # fmt: skip
        if quick:
            from ..present.simulation_request import QUICK_OPTIONS, quick_settings

            given = {k for k in QUICK_OPTIONS if ctx.get_parameter_source(k).name != "DEFAULT"}
            settings, quick_note = quick_settings(settings, given)
        from ..present.checks import CSV_SUFFIXES, PNG_SUFFIXES, output_file

        out = output_file(out, "--out", CSV_SUFFIXES)
        png = output_file(plot, "--plot", PNG_SUFFIXES) if plot is not None else out.with_suffix(".png")
        pool = load_pool(None if csv else dataset, csv)
        settings.check_pool(pool)  # unknown strategies, too small a pool: said before "simulating ..."
        from ..present.checks import replacing

        replaced = {path: replacing(path) for path in (out, png)}
        for path, note in replaced.items():
            if note:
                echo(f"note: {path} exists; the simulation will replace it", err=True)

        start = time.perf_counter()
        interactive = sys.stderr.isatty()

        def progress(done: int, total: int, msg: str) -> None:
            el = time.perf_counter() - start
            eta = el / done * (total - done)
            line = f"  [{done}/{total}] {msg}  {el:.0f} s, about {eta:.0f} s left"
            if interactive:
                progress_line(line.ljust(90))
            elif done == total or done % max(1, total // 20) == 0:
                print(line, file=sys.stderr, flush=True)

        from ..present.proposal_request import scheduler_address

        scheduler = scheduler_address(scheduler)
        where = f"on the Dask cluster at {scheduler}" if scheduler else \
            f"in {counted(min(settings.jobs, settings.repeats), 'process', 'processes')}"
        if quick:  # said once every check has passed: a refusal stays one line
            echo(quick_note, err=True)
        echo(f"simulating {counted(settings.trainings, 'training')} {where}...", err=True)  # fmt: skip
        result = simulate(pool, settings, workdir=keep_stores, progress=progress, scheduler=scheduler)
        end_progress_line()
        rows = summarise(result)
        echo(format_summary(result, rows))  # printed before the files are written: a failed write loses no figure
        echo("")
        echo(verdict(result, rows))
        for line in default_verdict(result):
            echo(line)
        write_records(result, out)
        save_plot(result, png)
        echo(f"per-round CSV: {out}{replaced[out]}; plot: {png}{replaced[png]}")
        echo(f"wall time {result.wall_s:.0f} s on {describe()}")
