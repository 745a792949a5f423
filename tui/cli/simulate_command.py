"""`hea-campaign simulate`: replay a campaign on labelled data and compare strategies with random choice."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def simulate(
        dataset: Annotated[str, typer.Option(help="Named labelled dataset to replay.")] = "yan2021",
        csv: Annotated[Optional[Path], typer.Option(help="Replay a CSV instead (formula + label or phase columns).")] = None,
        initial: Annotated[int, typer.Option(help="Labelled alloys the campaign starts from.")] = 50,
        batch: Annotated[int, typer.Option(help="Alloys revealed per round.")] = 8,
        rounds: Annotated[int, typer.Option(help="Rounds per run.")] = 20,
        repeats: Annotated[int, typer.Option(help="Repeats with different seeds and initial alloys.")] = 10,
        strategies: Annotated[str, typer.Option(help="Comma-separated: random,exploit,explore,balanced (random is required).")] = "random,exploit,explore,balanced",
        target: Annotated[str, typer.Option(help="What counts as a find.")] = "single phase with at least 4 elements",
        out: Annotated[Path, typer.Option(help="Per-round CSV (one row per strategy, repeat and round).")] = Path("simulation.csv"),
        plot: Annotated[Optional[Path], typer.Option(help="PNG of targets found vs experiments [default: OUT with .png].")] = None,
        jobs: Annotated[int, typer.Option(help="Processes (one repeat each) [default: CPU cores].")] = 0,
        first_epochs: Annotated[int, typer.Option(help="Epochs of each repeat's first model.")] = 300,
        round_epochs: Annotated[int, typer.Option(help="Epochs of each later round (warm start from the previous model).")] = 40,
        seed: Annotated[int, typer.Option(help="Base seed (repeat k uses seed + 1009 k).")] = 0,
        quick: Annotated[bool, typer.Option("--quick", help="A small run for checks: 400-alloy pool, 2 repeats, 3 rounds of 4, short trainings.")] = False,
        keep_stores: Annotated[Optional[Path], typer.Option(help="Keep each run's SQLite store and round CSVs in this folder.")] = None,
        scheduler: Annotated[Optional[str], typer.Option(help="Run the repeats on this Dask cluster, e.g. tcp://10.0.0.5:8786 (one task each).")] = None,
    ) -> None:
        """Replay a campaign with hidden labels: does the loop find targets faster than random choice?

        The pool is a labelled dataset; each run starts from a few revealed alloys
        and every round retrains, scores the pool, picks a batch with the strategy
        and reveals those labels. Prints medians and IQRs of targets found,
        enhancement factor (EF) and acceleration factor (AF) against random, and
        the learning curve on held-out alloys.
        """
        from hea_campaign.campaign.simulation import QUICK, SimulationSettings, load_pool, parse_target, simulate
        from hea_campaign.campaign.simulation_report import plot as save_plot
        from hea_campaign.campaign.simulation_report import summarise
        from hea_campaign.campaign.simulation import write_records

        from ..present.machine import cores, describe
        from ..present.simulation_text import format_summary, verdict

        names = tuple(s.strip() for s in strategies.split(",") if s.strip())
        settings = SimulationSettings(
            initial=initial, batch=batch, rounds=rounds, repeats=repeats, strategies=names,
            target=parse_target(target), first_epochs=first_epochs, round_epochs=round_epochs, seed=seed,
            jobs=jobs if jobs > 0 else cores(),
        )  # fmt: skip
        if quick:
            settings = SimulationSettings(**{**settings.__dict__, **QUICK})
        pool = load_pool(None if csv else dataset, csv)
        png = plot or out.with_suffix(".png")
        for path in (out, png):
            if not path.parent.is_dir():
                raise FileNotFoundError(f"the folder {path.parent} does not exist")

        start = time.perf_counter()
        interactive = sys.stderr.isatty()

        def progress(done: int, total: int, msg: str) -> None:
            el = time.perf_counter() - start
            eta = el / done * (total - done)
            line = f"  [{done}/{total}] {msg}  {el:.0f} s, about {eta:.0f} s left"
            if interactive:
                print("\r" + line.ljust(90), end="", file=sys.stderr, flush=True)
            elif done == total or done % max(1, total // 20) == 0:
                print(line, file=sys.stderr, flush=True)

        from ..present.proposal_request import scheduler_address

        scheduler = scheduler_address(scheduler)
        where = f"on the Dask cluster at {scheduler}" if scheduler else \
            f"in {min(settings.jobs, settings.repeats)} process(es)"
        typer.echo(f"simulating {settings.trainings} trainings {where}...", err=True)  # fmt: skip
        result = simulate(pool, settings, workdir=keep_stores, progress=progress, scheduler=scheduler)
        if interactive:
            print(file=sys.stderr)
        rows = summarise(result)
        write_records(result, out)
        save_plot(result, png)
        typer.echo(format_summary(result, rows))
        typer.echo("")
        typer.echo(verdict(result, rows))
        typer.echo(f"per-round CSV: {out}; plot: {png}")
        typer.echo(f"wall time {result.wall_s:.0f} s on {describe()}")
