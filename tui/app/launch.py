"""Running the cockpit from the command line, and leaving it at once.

Textual runs thread workers in the event loop's default executor, and both
``asyncio.run`` and the interpreter's exit join those threads: a SHAP
computation or a training epoch still running kept a blank screen for 2 to 10
seconds after ``q``.  Here the app runs on a loop of its own (no executor
join), and when threads are still busy after the terminal is restored, the
process ends without waiting for them.  That is safe for the store: every
write is one transaction (an interrupted one is rolled back by the database),
and a training run that was cancelled writes nothing.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import Callable


def busy_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t is not threading.main_thread() and t.is_alive() and not t.daemon]


def run_app(app) -> int:
    """Run ``app`` until it exits; return its exit code, leaving worker threads behind."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    app.run(loop=loop)
    code = app.return_code or 0
    if busy_threads():
        sys.stdout.flush()
        sys.stderr.flush()
        _close_stores()  # os._exit skips the exit hook that folds a SQLite store's log into its file
        os._exit(code)
    return code


def _close_stores() -> None:
    store = sys.modules.get("hea_campaign.campaign.store")  # not imported: no store was opened
    if store is not None:
        store.close_sqlite_stores()


def cockpit_for(db: str | None, campaign: str, open_store: Callable[[], object], actor: str | None = None):
    """The app for ``--db``/``--campaign``, acting as ``actor`` (``--by``; None: the OS user): a plain
    SQLite file with a current schema and that campaign starts from a status read with the standard
    library and is opened after the first frame (store_opening); anything else is opened first by
    ``open_store``, which says what is wrong (no such store or campaign, an older schema) exactly as
    every command does."""
    from hea_campaign.campaign.status import quick_status

    from .campaign_app import CampaignApp
    from .panes.dashboard import RECENT
    from .store_opening import StoreOpening

    first = quick_status(db, campaign, recent=RECENT)
    if first is None:
        return CampaignApp(open_store(), actor)

    def open_existing():
        from hea_campaign.campaign.store import CampaignStore

        return CampaignStore.open(db, campaign=campaign, create=False)

    return CampaignApp(actor=actor, opening=StoreOpening(open_existing, first.campaign, first.store_url),
                       first_status=first)
