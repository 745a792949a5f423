"""The TUI's small simulation: settings checked as the CLI checks them."""

from __future__ import annotations

from hea_campaign.campaign.simulation import QUICK, SimulationSettings

from .checks import integer, names

DEFAULT_STRATEGIES = "random,greedy,forest,rule"
QUICK_OPTIONS = {"initial": "--initial", "batch": "--batch", "rounds": "--rounds", "repeats": "--repeats",
                 "first_epochs": "--first-epochs", "round_epochs": "--round-epochs"}  # the sizes --quick sets


def quick_settings(settings: SimulationSettings, given: set[str]) -> tuple[SimulationSettings, str]:
    """`simulate --quick`: QUICK's sizes except those the user gave (``given``: field names), which win;
    with a line saying what --quick set."""
    chosen = {k: v for k, v in QUICK.items() if k not in given}
    said = [f"{QUICK_OPTIONS[k]} {v}" for k, v in chosen.items() if k in QUICK_OPTIONS]
    kept = [f"{QUICK_OPTIONS[k]} {getattr(settings, k)}" for k in QUICK_OPTIONS if k in given]
    note = (f"--quick: a {QUICK['max_pool']}-alloy pool" + "".join(f", {s}" for s in said)
            + (f"; {', '.join(kept)} as given" if kept else ""))
    return SimulationSettings(**{**settings.__dict__, **chosen}), note


def small_simulation_settings(repeats: str, rounds: str, strategies: str) -> SimulationSettings:
    """`hea-campaign simulate --quick` with the repeats, rounds and strategies typed, in one process.

    The rest is the CLI's --quick: a 400-alloy pool, 30 initial alloys, rounds
    of 4, 40 epochs for each repeat's first model and 10 for each round.
    """
    return SimulationSettings(**{
        **QUICK,
        "repeats": integer(repeats, "repeats", lo=1, hi=20),
        "rounds": integer(rounds, "rounds", lo=1, hi=50),
        "strategies": tuple(names(strategies, "strategies")),
        "jobs": 1,  # in the TUI's worker thread, so a cancel stops it between two trainings
    })
