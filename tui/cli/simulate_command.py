"""`hea-campaign simulate`: replay a campaign on labelled data and compare strategies with random choice."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import typer


def format_summary(result, rows) -> str:
    """The table: one line per strategy and milestone, medians [IQR] over repeats."""
    s = result.settings
    last = int(result.experiments[-1])
    lines = [
        f"Simulated campaign on {result.pool_name}: {result.pool_size} alloys, {result.pool_targets} targets "
        f"({s.target.text}); {result.eligible_targets_rate:.0%} of the alloys a strategy may pick are targets.",
        f"{s.repeats} repeats x {len(s.strategies)} strategies; {s.initial} initial alloys, then {s.rounds} rounds "
        f"of {s.batch}; {s.test_fraction:.0%} held out for test accuracy. Median [IQR] over repeats.",
        "EF = found / found by random at the same experiments; AF = experiments random needs for the same count / "
        f"experiments used (>x: random did not get there within the run's {last} experiments).",
        "",
        f"{'strategy':<9} {'exp.':>4}  {'found':<20} {'EF':<19} {'AF':<20} {'test accuracy':<21}",
    ]
    for r in rows:
        ef = "(reference)" if r.strategy == "random" else r.ef.format(2)
        af = "(reference)" if r.strategy == "random" else r.af.format(2, bound=last / r.experiments)
        lines.append(f"{r.strategy:<9} {r.experiments:>4}  {r.found.format(1):<20} {ef:<19} {af:<20} "
                     f"{r.test_accuracy.format(3)}".rstrip())  # fmt: skip
    return "\n".join(lines)


def verdict(result, rows, at: int = 40, bar: float = 1.5) -> str:
    """One sentence: did a strategy beat random with EF above ``bar`` at ``at`` experiments?"""
    here = [r for r in rows if r.experiments == at and r.strategy != "random"]
    if not here:
        return f"(the run does not reach {at} experiments; no verdict on EF at {at})"
    best = max(here, key=lambda r: r.ef.median if r.ef.n else -1)
    if best.ef.n and best.ef.median > bar:
        return f"At {at} experiments {best.strategy} beats random: EF {best.ef.format(2)} (> {bar})."
    return (f"At {at} experiments no strategy reaches EF {bar}: the best, {best.strategy}, has EF "
            f"{best.ef.format(2)}, {bar - best.ef.median:.2f} short.")  # fmt: skip


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

        from .machine import cores, describe

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

        typer.echo(f"simulating {settings.trainings} trainings in {min(settings.jobs, settings.repeats)} "
                   f"process(es)...", err=True)  # fmt: skip
        result = simulate(pool, settings, workdir=keep_stores, progress=progress)
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
