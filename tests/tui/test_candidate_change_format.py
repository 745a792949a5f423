"""The candidates table writes the change from the start alloy to 0.1 at.%, as `candidates` and the detail do
(it wrote 23.81 beside the CLI's 23.8), at 120 and at 80 columns."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from textual.widgets import DataTable

from hea_campaign.db.tables import Candidate
from hea_campaign.tui.app import CampaignApp
from hea_campaign.tui.present.design_report import format_candidate_table

from .test_app import candidates_shown
from .test_screen_fit import screen_lines
from .test_snapshots import fixed_store  # noqa: F401

pytestmark = pytest.mark.sqlite_only("drawn from a copy of the SQLite seed file")


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_the_change_is_written_to_one_decimal(fixed_store, size):  # noqa: F811
    from hea_campaign.campaign.read_models import candidates_with_ids

    with fixed_store.write() as s:
        s.exec(update(Candidate).where(Candidate.id == 1).values(change_at_pct=23.8123))
    cli_line = format_candidate_table(candidates_with_ids(fixed_store, [1])).splitlines()[1]
    assert " 23.8 " in cli_line and "23.81" not in cli_line, cli_line
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=size) as pilot:
        await app.panes_ready.wait()
        await candidates_shown(pilot)
        table = app.query_one("#candidates-pane").query_one(DataTable)
        assert str(table.get_cell("1", "change")) == "23.8"
        table.scroll_to(x=table.max_scroll_x, animate=False)  # at 80 columns the at.% column follows the reason
        await pilot.pause()
        row = next(line for line in screen_lines(app) if "23.8" in line)
        assert "23.81" not in row, row
