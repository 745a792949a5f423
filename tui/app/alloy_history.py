"""Key h on a lab result or a candidate: the alloy's whole history in a dialog, as `hea-campaign history`
prints it (its results, corrections, withdrawals, candidate events, and what the active model did with it).

Read in a worker of the screen that asked (its errors go to the app's one error dialog), shown as typed
text: a note or a name in it is never read as markup.
"""

from __future__ import annotations

from functools import partial


def show_history(screen, formula: str) -> None:
    """Read the history of ``formula`` off the UI thread and open it over ``screen``."""
    screen.run_worker(partial(_read, screen.app, formula), thread=True, exclusive=True, exit_on_error=False,
                      group="history")


def _read(app, formula: str) -> None:
    from hea_campaign.campaign.results import history
    from hea_campaign.tui.present.report import format_history

    from .modals import HelpScreen

    text = format_history(history(app.store, formula, allow_capitals=True))  # a stored formula, not a typed one
    app.call_from_thread(app.push_screen, HelpScreen(text, title=f"History of {formula}"))
