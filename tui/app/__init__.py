"""The Textual application: ``campaign_app`` (the app, its actions and command palette),
``panes/`` (one per tab), ``screens`` and ``modals``, and ``app.tcss``.

Panes build their requests and render their results with ``tui.present``, the
same code the command line uses, and call campaign services only.
"""

from .campaign_app import ACTIONS, CampaignApp, CampaignCommands
from .launch import cockpit_for, run_app

__all__ = ["ACTIONS", "CampaignApp", "CampaignCommands", "cockpit_for", "run_app"]
