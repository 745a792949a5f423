"""One line describing the machine a benchmark ran on (shared with `hea-campaign simulate`), and its load."""

import os

from hea_campaign.tui.present.machine import cores, describe


def load() -> str:
    """The 1, 5 and 15 minute load averages, as a benchmark prints them beside a figure."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "load unknown"
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} on {cores()} cores"


__all__ = ["cores", "describe", "load"]
