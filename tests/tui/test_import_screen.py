"""Import at any time, from the command palette, with the whole report."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from hea_campaign.db.tables import Alloy, Measurement
from hea_campaign.tui.app import CampaignApp
from hea_campaign.tui.app.import_screen import ImportScreen

from .test_app import run_from_palette, wait_for
from .test_snapshots import fixed_store  # noqa: F401  (seed dataset + model version + six candidates)

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


@pytest.mark.sqlite_only("drawn from a copy of the SQLite seed file")
async def test_a_refused_path_stays_in_the_dashboards_field_until_an_import_succeeds(fixed_store, tmp_path,  # noqa: F811
                                                                                      monkeypatch):
    """A path with a typo, then a file with a bad row: each refusal leaves the path typed in the dashboard's
    import field, so a one-character mistake is corrected there, not the whole path typed again; after the
    import that succeeds the field is empty (Import again would not import the same file twice)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "alloys.csv").write_text("formula,single_phase\nAl10Cu10Fe30Ni50,yes\nW30Mo30Xq40,no\n")
    measurements = count(fixed_store, Measurement)
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=SIZE) as pilot:
        await app.panes_ready.wait()
        field = app.query_one("#import-source")

        async def import_from_the_field(outcome: str) -> None:
            field.focus()
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, ImportScreen) and app.screen.query("#import-status"))
            screen = app.screen
            await wait_for(pilot, lambda: str(screen.query_one("#import-status").render()).startswith(outcome))
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, ImportScreen))
            await pilot.pause()

        field.focus()
        await pilot.press(*"alloyz.csv")  # no such file
        await import_from_the_field("Refused")
        assert field.value == "alloyz.csv"
        field.focus()
        await pilot.press("end", *["left"] * 4, "backspace", "s")  # the typo corrected: alloys.csv (a bad row)
        assert field.value == "alloys.csv"
        await import_from_the_field("Refused")
        assert field.value == "alloys.csv" and count(fixed_store, Measurement) == measurements
        (tmp_path / "alloys.csv").write_text("formula,single_phase\nAl10Cu10Fe30Ni50,yes\n")  # the row fixed
        await import_from_the_field("Imported")
        assert field.value == "" and count(fixed_store, Measurement) == measurements + 1


# ------------------------------------------------------------------ a results file with a second ingot


def _refused_with_a_question(app) -> bool:
    from hea_campaign.tui.app.modals import ConfirmModal

    return isinstance(app.screen, ConfirmModal) and bool(app.screen.query("#yes"))


async def _import_results_file(pilot, csv, done=lambda screen: "bad row" in report_of(screen)) -> ImportScreen:
    """The import screen open on ``csv`` as a lab-results file, Import pressed, ``done`` (the refusal) shown."""
    app = pilot.app
    await app.panes_ready.wait()
    app.action_import_data(str(csv), run=False)
    await wait_for(pilot, lambda: isinstance(app.screen, ImportScreen) and app.screen.query("#import-kind"))
    screen = app.screen
    screen.query_one("#import-kind").value = "results"
    await pilot.pause()
    await pilot.click("#run-import")
    await wait_for(pilot, lambda: done(screen))
    return screen


def report_of(screen) -> str:
    return str(screen.query_one("#import-report").render())


def _measured_candidate(store) -> tuple[str, int]:
    """Candidate 5 of the fixed store (exported) with a lab result: single phase yes, BCC."""
    from hea_campaign.campaign.read_models import candidates_with_ids
    from hea_campaign.campaign.results import add_result

    formula = candidates_with_ids(store, [5])[0].formula
    return formula, add_result(store, candidate_id=5, single_phase=True, phases="BCC", by="lab").id


def _measurements_of(store, formula) -> list:
    from hea_campaign.campaign.results import history

    return [e for e in history(store, formula).entries if e.kind == "measurement"]


@pytest.mark.sqlite_only("drawn from a copy of the SQLite seed file")
async def test_a_second_ingot_refused_for_contradicting_a_stored_result_is_imported_after_yes(
        fixed_store, tmp_path):  # noqa: F811
    from .test_dialogs import shown_text

    formula, first = _measured_candidate(fixed_store)
    csv = tmp_path / "ingot-[red]2.csv"  # a name that reads as markup is shown as it is
    csv.write_text("candidate_id,single_phase,phases,method\n"
                   "5,no,BCC+HCP,XRD\n"
                   "5,no,BCC+HCP,SEM\n")
    before = count(fixed_store, Measurement)
    app = CampaignApp(fixed_store, actor="ui-user")
    async with app.run_test(size=SIZE) as pilot:
        screen = await _import_results_file(pilot, csv)
        assert screen.query_one("#import-status").render().plain == "Refused: nothing was written."
        text = report_of(screen)
        assert f"line 2: measurement {first} (candidate 5" in text and "line 3:" in text
        assert "--allow-conflicts" not in text, "the TUI asks instead of naming the CLI's flag"
        assert "import it as a further result (the import asks whether to)" in text
        await wait_for(pilot, lambda: _refused_with_a_question(app), timeout=120)
        question = shown_text(app.screen.query_one(".modal-title"))
        assert "2 rows of ingot-[red]2.csv contradict a lab result already stored" in question, question
        assert "Import them as further results?" in question
        assert count(fixed_store, Measurement) == before  # nothing yet

        app.screen.query_one("#yes").press()
        await wait_for(pilot, lambda: "Imported" in str(screen.query_one("#import-status").render()))
        assert "2 measurement(s) added" in str(screen.query_one("#import-status").render())
    assert count(fixed_store, Measurement) == before + 2
    kept = _measurements_of(fixed_store, formula)
    assert [m.entity_id for m in kept][0] == first and len(kept) == 3  # both in the history
    assert [m.details["single_phase"] for m in kept] == [True, False, False]
    assert {m.details["method"] for m in kept[1:]} == {"XRD", "SEM"}


def _file_for_a_measured_candidate(store, csv, text):
    """(formula, its first measurement, the results file written, measurements stored before)."""
    formula, first = _measured_candidate(store)
    csv.write_text(text)
    return formula, first, csv, count(store, Measurement)


@pytest.mark.sqlite_only("drawn from a copy of the SQLite seed file")
async def test_no_to_a_second_ingot_stores_nothing(fixed_store, tmp_path):  # noqa: F811
    formula, first, csv, before = _file_for_a_measured_candidate(fixed_store, tmp_path / "ingot-2.csv",
                                                                 "candidate_id,single_phase,phases\n5,no,BCC+HCP\n")
    app = CampaignApp(fixed_store, actor="ui-user")
    async with app.run_test(size=SIZE) as pilot:
        screen = await _import_results_file(pilot, csv)
        await wait_for(pilot, lambda: _refused_with_a_question(app), timeout=120)
        app.screen.query_one("#no").press()
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.pause(0.5)
        assert not screen.query_one("#run-import").disabled
        assert screen.query_one("#import-status").render().plain == "Refused: nothing was written."
        assert "--allow-conflicts" not in report_of(screen)
    assert count(fixed_store, Measurement) == before
    assert [m.entity_id for m in _measurements_of(fixed_store, formula)] == [first]


@pytest.mark.sqlite_only("drawn from a copy of the SQLite seed file")
async def test_a_contradiction_beside_other_bad_rows_is_not_offered(fixed_store, tmp_path):  # noqa: F811
    """Importing the contradicting rows would still be refused for the other bad rows: no question, and
    the advice says when the question will come."""
    formula, first, csv, before = _file_for_a_measured_candidate(
        fixed_store, tmp_path / "mixed.csv", "candidate_id,formula,single_phase\n5,,no\n,W30Mo30Xq40,no\n")
    app = CampaignApp(fixed_store, actor="ui-user")
    async with app.run_test(size=SIZE) as pilot:
        screen = await _import_results_file(pilot, csv)
        await pilot.pause(1.0)
        assert app.screen is screen, "no question: fix the other rows first"
        text = report_of(screen)
        assert "Xq" in text and f"measurement {first}" in text and "--allow-conflicts" not in text
        assert "once the other bad rows are fixed" in text
    assert count(fixed_store, Measurement) == before


@pytest.mark.sqlite_only("drawn from a copy of the SQLite seed file")
async def test_a_row_stored_beside_a_result_of_another_day_is_named_on_the_screen(fixed_store, tmp_path):  # noqa: F811
    """A file whose measured-on date was fixed: stored (another day may be another ingot), and the report
    names the line, both measurements and how to withdraw the new one."""
    from hea_campaign.campaign.read_models import candidates_with_ids
    from hea_campaign.campaign.results import add_result

    formula = candidates_with_ids(fixed_store, [5])[0].formula
    first = add_result(fixed_store, candidate_id=5, single_phase=True, phases="BCC", measured_on="2026-11-02",
                       by="lab").id
    csv = tmp_path / "fixed-date.csv"
    csv.write_text("candidate_id,single_phase,phases,measured_on\n5,yes,BCC,2026-11-03\n")
    app = CampaignApp(fixed_store, actor="ui-user")
    async with app.run_test(size=SIZE) as pilot:
        screen = await _import_results_file(
            pilot, csv, done=lambda screen: "Imported" in str(screen.query_one("#import-status").render()))
        text = " ".join(report_of(screen).split())  # the screen wraps long lines
    new = max(m.entity_id for m in _measurements_of(fixed_store, formula))
    assert new != first
    assert (f"line 2: {formula} (candidate 5) already had a single-phase result measured 2026-11-02 "
            f"(measurement {first}); stored beside it as measurement {new} (measured 2026-11-03). If only the "
            f"date was wrong: hea-campaign result withdraw {new} --reason ...") in text, text
