"""The TUI's small simulation: settings checked as the CLI checks them."""

from __future__ import annotations

from hea_campaign.campaign.simulation import QUICK, SimulationSettings

from .checks import integer, names

DEFAULT_STRATEGIES = "random,greedy,forest,rule"


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
