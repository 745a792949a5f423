"""The Propose tab asks about a start alloy typed all in capitals that spells another alloy (CONI: C O N I,
or CoNi?), as `propose --from` refuses it without --yes; No runs nothing (the results form: test_result_form)."""

from __future__ import annotations

import pytest

from hea_campaign.tui.app import CampaignApp
from hea_campaign.tui.app.modals import ConfirmModal

from .test_app import wait_for
from .test_snapshots import fixed_store  # noqa: F401  (seed dataset + model version + six candidates)

pytestmark = pytest.mark.sqlite_only("drawn from a copy of the SQLite seed file")


async def test_a_start_alloy_in_capitals_is_asked_about_before_proposing(fixed_store):  # noqa: F811
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(100, 30)) as pilot:
        await app.panes_ready.wait()
        await pilot.press("p")
        await pilot.pause()
        app.query_one("#mode").value = "invert:paper"
        app.query_one("#starts").value = "CoCrFeNi, CONI"
        await pilot.pause()
        app.query_one("#propose-pane").start()
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        question = app.screen.question
        assert "'CONI' read as C O N I; did you mean CoNi?" in question and "--yes" not in question
        assert question.endswith("Read it as C O N I anyway (No: type CoNi instead)?")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.screen_stack[0]
        assert not app.query_one("#run-proposal").disabled  # nothing started
