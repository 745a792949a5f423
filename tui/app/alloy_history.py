"""Key h on a lab result or a candidate: the alloy's whole history in a dialog, as `hea-campaign history`
prints it (its results, corrections, withdrawals, candidate events, and what the active model did with it).

Read in a worker of the screen that asked (its errors go to the app's one error dialog), shown as typed
text: a note or a name in it is never read as markup.  Only the newest request is shown, and only while
its screen is still the one in front: h pressed twice, or Escape before the read ends, opens nothing twice
and nothing over another screen.
"""

from __future__ import annotations

from functools import partial


def show_history(screen, formula: str) -> None:
    """Read the history of ``formula`` off the UI thread and open it over ``screen``."""
    screen.run_worker(partial(_read, screen, formula), thread=True, exclusive=True, exit_on_error=False,
                      group="history")


def _read(screen, formula: str) -> None:
    from textual.worker import get_current_worker

    from hea_campaign.campaign.results import history
    from hea_campaign.tui.present.report import format_history

    text = format_history(history(screen.app.store, formula, allow_capitals=True))  # a stored formula
    worker = get_current_worker()
    if not worker.is_cancelled:  # a newer h replaced this read
        screen.app.call_from_thread(_open, screen, worker, formula, text)


def _open(screen, worker, formula: str, text: str) -> None:
    from .modals import HelpScreen

    if screen.is_current and not worker.is_cancelled:
        screen.app.push_screen(HelpScreen(text, title=f"History of {formula}"))
