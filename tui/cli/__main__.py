"""``python -m hea_campaign.tui.cli``: the same as the ``hea-campaign`` entry point."""

from .root import entry

entry()
