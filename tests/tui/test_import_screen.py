"""Import at any time, from the command palette, with the whole report."""

from __future__ import annotations

from sqlmodel import func, select

from hea_campaign.db.tables import Alloy, Measurement
from hea_campaign.tui.app import CampaignApp
from hea_campaign.tui.app.import_screen import ImportScreen

from .test_app import run_from_palette, wait_for

SIZE = (120, 40)


def count(store, table) -> int:
    with store.read() as s:
        return s.exec(select(func.count()).select_from(table)).one()


def report(app) -> str:
    return str(app.screen.query_one("#import-report").render())


async def test_a_second_file_imported_from_the_palette_shows_its_whole_report(seeded_store, tmp_path):
    csv = tmp_path / "second.csv"
    csv.write_text(
        "formula,single_phase\n"
        "Fe20Ni20Co20Cr20Mn20,yes\n"        # already in the store? either way it is reported
        "W30Mo30Xq40,no\n"                  # not an element: a bad row
        "Al10Cu10Fe30Ni50,yes\n"
        "Al10Cu10Fe30Ni50,no\n"             # the same alloy with the opposite label: a conflict
        "Fe25Ni25Co25Pu25,yes\n"            # an element outside the model vocabulary
        "Ti33.333Zr33.333Hf33.334,yes\n"
        "Ti33.334Zr33.333Hf33.333,yes\n"    # a near-duplicate of the row above
    )
    alloys_before, measurements_before = count(seeded_store, Alloy), count(seeded_store, Measurement)
    app = CampaignApp(seeded_store, actor="ui-user")
    async with app.run_test(size=SIZE) as pilot:
        await run_from_palette(pilot, "import")
        await wait_for(pilot, lambda: isinstance(app.screen, ImportScreen))
        app.screen.query_one("#import-path").value = str(csv)
        await pilot.click("#run-import")
        await wait_for(pilot, lambda: "bad row" in report(app))
        assert "line 3" in report(app) and "Xq" in report(app)
        assert count(seeded_store, Measurement) == measurements_before  # refused: nothing written
        assert app.screen.query_one("#import-path").value == str(csv)  # the form keeps what was typed

        await pilot.click("#skip-bad")
        await pilot.click("#run-import")
        await wait_for(pilot, lambda: "CONFLICTING" in report(app))
        text = report(app)
        assert "skipped 1 bad row" in text and "line 3" in text
        assert "Al0.1Cu0.1Fe0.3Ni0.5" in text or "AlCuFe3Ni5" in text
        assert "Pu" in text and "outside the model vocabulary" in text
        assert "near-duplicates" in text

        saved = tmp_path / "report.txt"
        app.screen.query_one("#report-path").value = str(saved)
        await pilot.click("#save-report")
        await wait_for(pilot, lambda: saved.exists())
        assert saved.read_text().strip() == text.strip()
    assert count(seeded_store, Measurement) == measurements_before + 6
    assert count(seeded_store, Alloy) > alloys_before
