"""One line describing the machine a benchmark ran on (shared with `hea-campaign simulate`)."""

from hea_campaign.tui.present.machine import cores, describe

__all__ = ["cores", "describe"]
