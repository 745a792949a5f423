"""The results browser: corrections with their chain, filters, correcting from a row."""

from __future__ import annotations

from sqlmodel import select

from hea_campaign.campaign.chemistry import parse_formula
from hea_campaign.campaign.results import add_result, correct_result
from hea_campaign.campaign.results_browser import ResultCounts, build_filter, count_results, list_results
from hea_campaign.tui.app import CampaignApp
from hea_campaign.tui.app.results_browser import ResultsBrowser

from .test_app import wait_for
from .test_dialogs import shown_text


async def test_the_browser_lists_a_corrected_result_with_its_chain(seeded_store):
    first = add_result(seeded_store, "Al0.3CoCrFeNiTi0.2", single_phase="yes", phases="FCC", method="XRD", by="ana")
    second = correct_result(seeded_store, first.id, single_phase="no", phases="FCC+BCC", by="ben", notes="re-measured")
    third = correct_result(seeded_store, second.id, single_phase="no", phases="FCC+BCC+L12", by="ben")
    app = CampaignApp(seeded_store, actor="ui-user")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsBrowser) and app.screen.rows)
        screen = app.screen
        screen.query_one("#f-alloy").value = "CoCrFeNiAl0.3Ti0.2"  # any way of writing it finds the alloy
        screen.query_one("#apply-filter").press()
        await wait_for(pilot, lambda: set(screen.rows) == {first.id, second.id, third.id})
        table = screen.query_one("#results-table")
        assert str(table.get_cell(str(first.id), "state")) == f"corrected by {second.id}"
        assert str(table.get_cell(str(second.id), "state")) == f"corrected by {third.id}"
        assert str(table.get_cell(str(third.id), "state")) == "current"
        for i in (first.id, second.id, third.id):  # the whole chain in the panel, from any of its results
            table.move_cursor(row=table.get_row_index(str(i)))
            await pilot.pause()
            text = str(screen.query_one("#result-chain").render())
            assert "2 correction(s)" in text and "re-measured" in text and f"superseded by {second.id}" in text
            assert f"({first.id} > {second.id} > {third.id})" in text.splitlines()[0]
            assert [line.split()[0] for line in text.splitlines()[1:]] == [str(first.id), str(second.id), str(third.id)]
        table.move_cursor(row=table.get_row_index(str(first.id)))
        await pilot.pause()
        await pilot.press("c")  # correcting starts from the newest result of the chain
        await wait_for(pilot, lambda: not isinstance(app.screen, ResultsBrowser))
        assert app.query_one("#r-corrects").value == str(third.id)
        assert app.focused is app.query_one("#r-single")


def test_filters_by_operator_candidate_and_date(seeded_store):
    m = add_result(seeded_store, "CoCrFeNiMn0.5", single_phase="yes", operator="Dana", measured_on="2025-03-01")
    by_op = list_results(seeded_store, build_filter(operator="dana"))
    assert [r.id for r in by_op] == [m.id]
    in_range = list_results(seeded_store, build_filter(since="2025-02-28", until="2025-03-01"))
    assert m.id in [r.id for r in in_range]
    assert m.id not in [r.id for r in list_results(seeded_store, build_filter(until="2025-02-28"))]
    assert list_results(seeded_store, build_filter(candidate="999")) == []


def _two_failures(store, tmp_path) -> list[int]:
    """Three candidates exported; the first failed (cracked), the second failed and was approved again."""
    from hea_campaign.campaign.export import export_batch
    from hea_campaign.campaign.lifecycle import approve, fail

    from .test_app import with_candidates

    ids = with_candidates(store, 3)
    approve(store, ids, by="setup")
    export_batch(store, ids=ids, mass=20, out=tmp_path / "batch.csv", by="setup")
    fail(store, [ids[0]], "cracked", notes="at the first remelt", by="ana")
    fail(store, [ids[1]], "oxidised", by="ben")
    approve(store, [ids[1]], by="ben")  # another try: the failure stays in the history
    return ids


def test_failed_syntheses_are_listed_with_their_reason_and_filtered(trained_store, tmp_path):
    from hea_campaign.campaign.results_browser import list_failures

    ids = _two_failures(trained_store, tmp_path)
    found = list_failures(trained_store)
    assert [(f.candidate_id, f.reason, f.operator, f.candidate_status) for f in found] == [
        (ids[1], "oxidised", "ben", "approved"), (ids[0], "cracked: at the first remelt", "ana", "failed")]
    first = found[1]
    assert [f.candidate_id for f in list_failures(trained_store, build_filter(formula=first.formula))] == [ids[0]]
    assert [f.candidate_id for f in list_failures(trained_store, build_filter(operator="ANA"))] == [ids[0]]
    assert [f.candidate_id for f in list_failures(trained_store, build_filter(candidate=str(ids[1])))] == [ids[1]]
    day = first.day.isoformat()
    assert len(list_failures(trained_store, build_filter(since=day, until=day))) == 2
    assert list_failures(trained_store, build_filter(until="2000-01-01")) == []
    assert list_failures(trained_store, build_filter(candidate=str(ids[2]))) == []  # exported, not failed


def test_a_withdrawn_failure_stays_listed_marked_withdrawn(trained_store, tmp_path):
    from hea_campaign.campaign.lifecycle import withdraw_failure
    from hea_campaign.campaign.results_browser import list_failures
    from hea_campaign.tui.present.results_text import failure_cells, format_failure

    ids = _two_failures(trained_store, tmp_path)
    withdraw_failure(trained_store, [ids[0]], "[b]meant[/b] candidate 3", by="cy")
    (f,) = list_failures(trained_store, build_filter(candidate=str(ids[0])))
    assert (f.reason, f.operator, f.candidate_status) == ("cracked: at the first remelt", "ana", "exported")
    assert f.withdrawn.startswith("by cy ") and f.withdrawn.endswith(": [b]meant[/b] candidate 3")
    assert failure_cells(f)["state"] == "withdrawn; now exported"
    assert "WITHDRAWN (recorded by mistake) by cy" in format_failure(f)
    (other,) = list_failures(trained_store, build_filter(candidate=str(ids[1])))
    assert other.withdrawn is None


async def test_the_browser_lists_failed_syntheses_among_the_results(trained_store, tmp_path):
    ids = _two_failures(trained_store, tmp_path)
    add_result(trained_store, "CoCrFeNiMn0.5", single_phase="yes", method="XRD", by="ana")
    app = CampaignApp(trained_store, actor="ui-user")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsBrowser) and app.screen.failures)
        screen = app.screen
        table = screen.query_one("#results-table")
        shown = sorted((str(table.get_cell(key, "single")), str(table.get_cell(key, "phases")),
                        str(table.get_cell(key, "state"))) for key in screen.failures)
        # the reason where a result's phases go (cut with an ellipsis if the screen is short of room)
        assert [(single, state) for single, _, state in shown] == [("failed", "synthesis failed"),
                                                                   ("failed", "failed; now approved")]
        reasons = [phases for _, phases, _ in shown]
        assert "cracked: at the first remelt".startswith(reasons[0].removesuffix("…")) and reasons[1] == "oxidised"
        assert "2 failed synthesis(es)" in str(screen.query_one("#results-count").render())
        screen.query_one("#f-candidate").value = str(ids[0])  # filtered like the results
        screen.query_one("#apply-filter").press()
        await wait_for(pilot, lambda: len(screen.failures) == 1 and not screen.rows)
        (key,) = screen.failures
        assert str(table.get_cell(key, "candidate")) == str(ids[0]) and str(table.get_cell(key, "operator")) == "ana"
        table.focus()
        table.move_cursor(row=0)
        await pilot.pause()
        assert "reason: cracked: at the first remelt" in str(screen.query_one("#result-chain").render())
        await pilot.press("c")  # nothing to correct: the browser stays
        await pilot.pause()
        assert app.screen is screen


async def _open_browser_on(pilot, app, formula: str, measurement_id: int) -> ResultsBrowser:
    """The results browser, filtered to ``formula``, its rows read (``measurement_id`` among them)."""
    await pilot.press("escape", "b")  # out of the form's text field first
    await wait_for(pilot, lambda: isinstance(app.screen, ResultsBrowser) and app.screen.rows)
    screen = app.screen
    screen.query_one("#f-alloy").value = formula
    screen.query_one("#apply-filter").press()
    await wait_for(pilot, lambda: measurement_id in screen.rows and len({r.formula for r in screen.rows.values()}) == 1)
    return screen


async def _correct_from_browser(pilot, app, formula: str, measurement_id: int) -> None:
    """Open the browser on ``formula`` and press Enter on ``measurement_id``: the form is then correcting it."""
    screen = await _open_browser_on(pilot, app, formula, measurement_id)
    table = screen.query_one("#results-table")
    table.move_cursor(row=table.get_row_index(str(measurement_id)))
    await pilot.pause()
    await pilot.press("enter")
    await wait_for(pilot, lambda: not isinstance(app.screen, ResultsBrowser))
    await pilot.pause()


async def test_a_correction_shows_every_field_of_the_result_it_corrects(seeded_store):
    """A "yes" left in the form does not survive a correction of a multi-phase result: Save keeps its label;
    a form saved unchanged stores nothing."""
    from hea_campaign.db.tables import Measurement
    from hea_campaign.tui.app.modals import ErrorModal

    old = add_result(seeded_store, "Al0.3CoCrFeNiTi0.2", single_phase="no", phases="FCC+BCC", method="SEM",
                     measured_on="2025-03-01", notes="arc melted twice", by="ana")
    app = CampaignApp(seeded_store, actor="ui-user")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("l")
        app.query_one("#r-single").value = "yes"  # left over from a result being typed
        await pilot.pause()
        await _correct_from_browser(pilot, app, "Al0.3CoCrFeNiTi0.2", old.id)
        field = {key: app.query_one(f"#r-{key}") for key in ("formula", "candidate", "single", "phases", "method",
                                                               "measured-on", "notes", "corrects")}
        assert field["single"].value == "no"
        assert {k: w.value for k, w in field.items() if k != "single"} == {
            "formula": parse_formula("Al0.3CoCrFeNiTi0.2").formula, "candidate": "", "phases": "FCC+BCC", "method": "SEM",
            "measured-on": "2025-03-01", "notes": "arc melted twice", "corrects": str(old.id)}
        # which result it corrects is shown, not editable; the alloy and the candidate may change (a move)
        assert [k for k, w in field.items() if w.disabled] == ["corrects"]
        assert app.focused is field["single"]
        assert "Correcting result" in str(app.query_one("#result-status").render())
        await pilot.click("#save-result")  # saved as shown: nothing changed, so nothing is saved
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorModal))
        assert "nothing to correct" in shown_text(app.screen.query_one("#error-message"))
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ErrorModal))
        with seeded_store.read() as s:
            assert s.exec(select(Measurement).where(Measurement.supersedes_id == old.id)).first() is None
        field["notes"].value = "arc melted twice; second peak checked"
        await pilot.click("#save-result")  # a real correction of the notes keeps the label: still multi phase
        await wait_for(pilot, lambda: "Saved result" in str(app.query_one("#result-status").render()))
        with seeded_store.read() as s:
            new = s.exec(select(Measurement).where(Measurement.supersedes_id == old.id)).one()
        assert (new.single_phase, new.phases, new.method) == (False, "FCC+BCC", "SEM")
        # saved: the form is a plain one again, every field editable and empty
        assert not any(w.disabled for w in field.values()) and field["formula"].value == ""
        assert field["single"].is_blank()


async def test_a_result_entered_for_the_wrong_candidate_is_moved_from_the_browser(seeded_store):
    """Changing the candidate of a correction moves the result: the right candidate is measured, the wrong one
    awaits its own result again, and the status line says both."""
    from hea_campaign.db.tables import Measurement
    from hea_campaign.tui.app.modals import ErrorModal

    from ..lab.conftest import candidate_statuses, insert_candidates

    was, now = parse_formula("Co30Cr20Fe20Ni30").formula, parse_formula("Co10Cr30Fe30Ni30").formula
    wrong, right = insert_candidates(seeded_store, [was, now], status="exported")
    old = add_result(seeded_store, candidate_id=wrong, single_phase="yes", phases="FCC", by="ana")
    app = CampaignApp(seeded_store, actor="ui-user")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("l")
        await _correct_from_browser(pilot, app, was, old.id)
        assert app.query_one("#r-candidate").value == str(wrong)
        app.query_one("#r-formula").value = now  # another alloy beside the same candidate: refused, as in the CLI
        await pilot.pause()
        await pilot.click("#save-result")
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorModal))
        assert f"candidate {wrong} is {was}, not {now}" in shown_text(app.screen.query_one("#error-message"))
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ErrorModal))
        app.query_one("#r-formula").value = was
        app.query_one("#r-candidate").value = str(right)
        await pilot.pause()
        await pilot.click("#save-result")
        await wait_for(pilot, lambda: "Saved." in str(app.query_one("#result-status").render()))
        status = str(app.query_one("#result-status").render())
        assert f"for {now} (candidate {right})" in status and f"of {was} (candidate {wrong})" in status
        assert f"awaiting their own result: candidate {wrong}" in status
    with seeded_store.read() as s:
        new = s.exec(select(Measurement).where(Measurement.supersedes_id == old.id)).one()
    assert (new.candidate_id, new.single_phase, new.phases) == (right, True, "FCC")
    assert candidate_statuses(seeded_store, [wrong, right]) == {wrong: "exported", right: "measured"}


async def test_a_correction_typed_by_hand_with_another_alloy_is_refused(seeded_store):
    """A correction is of the alloy of the result it corrects: a formula typed beside it would be ignored."""
    from .test_user_text import snapshot

    old = add_result(seeded_store, "CoCrFeNiMn0.5", single_phase="yes", by="ana")
    before = snapshot(seeded_store)
    app = CampaignApp(seeded_store, actor="ui-user")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("l")
        app.query_one("#r-corrects").value = str(old.id)
        app.query_one("#r-formula").value = "AlCoCrFeNi"
        app.query_one("#r-single").value = "no"
        await pilot.pause()
        assert "a correction keeps the alloy" in str(app.query_one("#err-formula").render())
        await pilot.click("#save-result")
        await pilot.pause()
        assert "Not saved" in str(app.query_one("#result-status").render())
        app.query_one("#r-formula").value = ""  # blank: the correction is of the corrected result's alloy
        await pilot.pause()
        assert str(app.query_one("#err-formula").render()) == ""
    assert snapshot(seeded_store) == before


async def test_correcting_a_published_result_asks_first(seeded_store):
    """As in the CLI (--literature): a correction of a dataset's row waits for a yes, and says why."""
    from hea_campaign.db.tables import Measurement

    from .test_user_text import snapshot

    with seeded_store.read() as s:
        row = s.exec(select(Measurement).where(Measurement.single_phase.is_(True))).first()
    before = snapshot(seeded_store)
    app = CampaignApp(seeded_store, actor="ui-user")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("l")
        for answer in ("#no", "#yes"):
            app.query_one("#r-corrects").value = str(row.id)
            app.query_one("#r-single").value = "no"
            await pilot.pause()
            await pilot.click("#save-result")
            await wait_for(pilot, lambda: app.screen.query("#yes"))
            assert "is a published result" in app.screen.question and "--literature" not in app.screen.question
            assert "corrects a published result" in str(app.query_one("#result-status").render())
            assert snapshot(seeded_store) == before
            await pilot.click(answer)
            await pilot.pause()
    with seeded_store.read() as s:
        fixed = s.exec(select(Measurement).where(Measurement.supersedes_id == row.id)).one()
    assert fixed.single_phase is False and fixed.operator == "ui-user"


def _many_results(store, n: int) -> None:
    """``n`` more lab results of one alloy, written at once (add_result would take minutes)."""
    from hea_campaign.db.tables import Alloy, Measurement

    with store.write() as s:
        alloy = s.exec(select(Alloy).where(Alloy.campaign_id == store.campaign_id)).first()
        s.add_all(Measurement(alloy_id=alloy.id, single_phase=i % 2 == 0, operator="bulk", source="lab")
                  for i in range(n))


def test_the_counts_cover_every_result_the_filter_matches(trained_store, tmp_path):
    from hea_campaign.campaign.results_browser import count_results, list_failures

    _two_failures(trained_store, tmp_path)
    first = add_result(trained_store, "CoCrFeNiMn0.5", single_phase="yes", operator="Dana", measured_on="2025-03-01")
    correct_result(trained_store, first.id, single_phase="no", by="ben")
    for flt in (build_filter(), build_filter(formula="CoCrFeNiMn0.5"), build_filter(operator="dana"),
                build_filter(since="2025-02-28", until="2025-03-01"), build_filter(until="2000-01-01"),
                build_filter(operator="ANA")):
        rows = list_results(trained_store, flt, limit=10**6)
        counts = count_results(trained_store, flt)
        assert (counts.results, counts.corrected, counts.failures) == (
            len(rows), sum(not r.current for r in rows), len(list_failures(trained_store, flt, limit=10**6)))
    assert count_results(trained_store, build_filter(formula="CoCrFeNiMn0.5")).corrected == 1


async def test_the_browser_gives_the_true_totals_when_it_lists_only_the_newest(seeded_store):
    LISTED = 5000  # the browser lists the newest 5,000 (campaign.results_browser.LISTED)
    first = add_result(seeded_store, "CoCrFeNiMn0.5", single_phase="yes", by="ana")
    correct_result(seeded_store, first.id, single_phase="no", operator="ben", by="ben")  # ben measured it again
    _many_results(seeded_store, LISTED)
    total = len(list_results(seeded_store, limit=10**6))
    assert total > LISTED + 1000
    app = CampaignApp(seeded_store, actor="ui-user")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsBrowser) and app.screen.rows)
        screen = app.screen
        assert len(screen.rows) == LISTED
        line = str(screen.query_one("#results-count").render())
        assert line.startswith(f"{total:,} result(s) (newest {LISTED:,} listed; filter to narrow), 1 corrected, "), line
        screen.query_one("#f-operator").value = "ben"  # narrowed: all listed, nothing said about the newest
        screen.query_one("#apply-filter").press()
        await wait_for(pilot, lambda: len(screen.rows) == 1)
        await pilot.pause()
        assert str(screen.query_one("#results-count").render()).startswith("1 result(s), 0 corrected, 0 failed")


async def test_a_mistyped_mass_is_corrected_from_the_browser_as_the_cli_does(seeded_store):
    """The weighed masses can be typed only in a correction; they are checked as --weighed-g checks them
    (far from the alloy: refused at the field, nothing saved) and give the composition made."""
    from hea_campaign.campaign.weigh_sheet import made_composition
    from hea_campaign.db.tables import Measurement

    old = add_result(seeded_store, "FeNi", single_phase="yes", phases="FCC", by="ana")
    app = CampaignApp(seeded_store, actor="ui-user")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("l")
        await pilot.pause()
        masses = app.query_one("#r-weighed-g")
        assert masses.disabled and not masses.display  # a new result has no masses to correct: not shown
        await _correct_from_browser(pilot, app, "FeNi", old.id)
        assert masses.display and not masses.disabled and masses.value == ""
        masses.value = "Fe:10.00,Ni:1.05"  # a slip of the finger: far from FeNi
        await pilot.pause()
        assert "at.% apart" in str(app.query_one("#err-weighed-g").render())
        await pilot.click("#save-result")
        await pilot.pause()
        with seeded_store.read() as s:
            assert s.exec(select(Measurement).where(Measurement.supersedes_id == old.id)).first() is None
        masses.value = "Fe:10.00,Ni:10.51"
        await pilot.pause()
        assert str(app.query_one("#err-weighed-g").render()).strip() == ""
        await pilot.click("#save-result")
        await wait_for(pilot, lambda: "Saved result" in str(app.query_one("#result-status").render()))
        assert not masses.display and masses.value == ""  # a plain form again
        with seeded_store.read() as s:
            new = s.exec(select(Measurement).where(Measurement.supersedes_id == old.id)).one()
        screen = await _open_browser_on(pilot, app, "FeNi", new.id)  # the panel shows the masses kept
        table = screen.query_one("#results-table")
        table.move_cursor(row=table.get_row_index(str(new.id)))
        await pilot.pause()
        assert "weighed 10.00 g Fe, 10.51 g Ni (total 20.51 g)" in str(screen.query_one("#result-chain").render())
    assert new.made_composition == made_composition({"Fe": 10.00, "Ni": 10.51})
    assert new.weighed_g == {"Fe": "10.00", "Ni": "10.51"}  # the masses as typed, kept with the result
    assert (new.single_phase, new.phases) == (True, "FCC")


async def test_a_correction_shows_the_masses_weighed_as_typed_and_keeps_them_when_left(seeded_store):
    """The form of a correction shows the masses the result recorded, digits as stored (10.250 stays 10.250);
    saved with another label and the masses left as shown, the correction keeps them and their composition."""
    from hea_campaign.db.tables import Measurement

    old = add_result(seeded_store, "FeNi", single_phase="yes", phases="FCC", by="ana")
    weighed = correct_result(seeded_store, old.id, single_phase="yes", weighed_g="Fe:9.75,Ni:10.250", by="ana")
    app = CampaignApp(seeded_store, actor="ui-user")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("l")
        await pilot.pause()
        await _correct_from_browser(pilot, app, "FeNi", weighed.id)
        assert app.query_one("#r-weighed-g").value == "Fe:9.75,Ni:10.250"
        assert str(app.query_one("#err-weighed-g").render()).strip() == ""
        app.query_one("#r-phases").value = "FCC+BCC"
        app.query_one("#r-single").value = "no"
        await pilot.pause()
        await pilot.click("#save-result")
        await wait_for(pilot, lambda: "Saved result" in str(app.query_one("#result-status").render()))
    with seeded_store.read() as s:
        new = s.exec(select(Measurement).where(Measurement.supersedes_id == weighed.id)).one()
        before = s.get(Measurement, weighed.id)
    assert (new.single_phase, new.phases) == (False, "FCC+BCC")
    assert new.weighed_g == {"Fe": "9.75", "Ni": "10.250"} and new.made_composition == before.made_composition


def test_the_operator_filter_finds_names_with_capitals_outside_ascii(trained_store, tmp_path):
    """SQLite's lower() changes only A-Z: a result entered --by "Zoë Ødegård" was not found by the browser's
    operator filter even when the name was typed exactly as stored (Ø stayed Ø in the store, became ø here)."""
    from hea_campaign.campaign.lifecycle import fail

    ids = _two_failures(trained_store, tmp_path)
    fail(trained_store, [ids[2]], "other", by="Zoë Ødegård")
    zoe = add_result(trained_store, "CoCrFeNiMn0.5", single_phase="yes", by="Zoë Ødegård")
    other = add_result(trained_store, "CoCrFeNiMn0.25", single_phase="yes", operator="ÉMILE Ångström", by="ana")
    for typed in ("Zoë Ødegård", "zoë ødegård", "ZOË ØDEGÅRD"):
        assert [r.id for r in list_results(trained_store, build_filter(operator=typed))] == [zoe.id], typed
        assert count_results(trained_store, build_filter(operator=typed)) == ResultCounts(1, 0, 1)
    assert [r.id for r in list_results(trained_store, build_filter(operator="émile ångström"))] == [other.id]
    assert list_results(trained_store, build_filter(operator="Zoe Odegard")) == []
    assert count_results(trained_store, build_filter(operator="ANA")).failures == 1  # ASCII as before


def test_a_result_moved_to_another_alloy_says_moved_where_history_does(seeded_store):
    """The browser listed a moved result as 'corrected by N' while `history` says 'moved to ...'."""
    from hea_campaign.campaign.result_moves import move_result
    from hea_campaign.tui.present.results_text import result_cells

    from ..lab.conftest import insert_candidates

    was, now = parse_formula("Co30Cr20Fe20Ni30").formula, parse_formula("Co10Cr30Fe30Ni30").formula
    wrong, right = insert_candidates(seeded_store, [was, now], status="exported")
    old = add_result(seeded_store, candidate_id=wrong, single_phase="yes", phases="FCC", by="ana")
    kept = add_result(seeded_store, candidate_id=right, single_phase="no", phases="FCC+BCC", by="ana")
    fixed = correct_result(seeded_store, kept.id, single_phase="yes", phases="FCC", by="ana")  # same alloy
    moved = move_result(seeded_store, old.id, single_phase="yes", phases="FCC", candidate_id=right,
                        by="ana").measurement
    by_id = {r.id: r for r in list_results(seeded_store)}
    assert by_id[old.id].moved_to == now and result_cells(by_id[old.id])["state"] == f"moved to {now} ({moved.id})"
    assert by_id[kept.id].moved_to is None and result_cells(by_id[kept.id])["state"] == f"corrected by {fixed.id}"
    assert result_cells(by_id[moved.id])["state"] == "current"


async def test_correcting_a_result_with_notes_over_several_lines_keeps_them(seeded_store):
    """A raw line break in the one-line notes field broke the form's layout; the notes show ⏎ for each break
    and are stored with their line breaks."""
    from hea_campaign.db.tables import Measurement

    notes = "split on cooling\nsecond peak at 44 deg"
    old = add_result(seeded_store, "Al0.3CoCrFeNiTi0.2", single_phase="no", phases="FCC+BCC", notes=notes, by="ana")
    app = CampaignApp(seeded_store, actor="ui-user")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("l")
        await _correct_from_browser(pilot, app, "Al0.3CoCrFeNiTi0.2", old.id)
        field = app.query_one("#r-notes")
        assert field.value == "split on cooling\u23cesecond peak at 44 deg"
        app.query_one("#r-phases").value = "FCC+BCC+L12"
        await pilot.click("#save-result")
        await wait_for(pilot, lambda: "Saved result" in str(app.query_one("#result-status").render()))
        with seeded_store.read() as s:
            new = s.exec(select(Measurement).where(Measurement.supersedes_id == old.id)).one()
        assert (new.phases, new.notes) == ("FCC+BCC+L12", notes)


async def test_a_result_is_withdrawn_from_the_browser_with_a_reason(seeded_store):
    """Key w asks why in a dialog with its own keys; a blank or escape-laden reason is refused under the
    field; OK withdraws the result, whose row then reads WITHDRAWN, and the withdrawal is a row of its own."""

    m = add_result(seeded_store, "CoCrFeNiMn0.5", single_phase="yes", phases="FCC", by="ana")
    app = CampaignApp(seeded_store, actor="ui-user")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_browser_on(pilot, app, "CoCrFeNiMn0.5", m.id)
        table = screen.query_one("#results-table")
        table.move_cursor(row=table.get_row_index(str(m.id)))
        table.focus()
        await pilot.pause()
        await _withdraw_under_cursor(pilot, f"Withdraw result {m.id}", "[b]test[/b] entry")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsBrowser) and len(app.screen.rows) == 2)
        await wait_for(pilot, lambda: str(table.get_cell(str(m.id), "state")).startswith("WITHDRAWN"))
        w = max(screen.rows)
        assert screen.rows[w].withdrawal and screen.rows[w].notes == "[b]test[/b] entry"
        assert screen.rows[w].operator == "ui-user"
        header = str(screen.query_one("#results-count").render())  # the withdrawal is not a result of its own
        assert header.startswith("1 result(s), 0 corrected, 1 withdrawn, "), header
        await pilot.press("c")  # nothing of a withdrawn chain is corrected: the browser stays, and says why
        await pilot.pause()
        assert isinstance(app.screen, ResultsBrowser)
    assert count_results(seeded_store).results >= 2
    assert [r.id for r in list_results(seeded_store, build_filter(formula="CoCrFeNiMn0.5")) if r.current] == []


def test_withdrawing_a_named_failure_refuses_one_withdrawn_already_or_failed_again_since(trained_store, tmp_path):
    """The browser names the failure of its row: the service withdraws that one or refuses in one line."""
    import pytest

    from hea_campaign.campaign.errors import CampaignError
    from hea_campaign.campaign.export import export_batch
    from hea_campaign.campaign.lifecycle import (check_failure_withdrawable, check_failure_withdrawal_reason, fail,
                                                 withdraw_failure)
    from hea_campaign.campaign.results_browser import list_failures

    ids = _two_failures(trained_store, tmp_path)
    export_batch(trained_store, ids=[ids[1]], mass=20, out=tmp_path / "again.csv", by="setup")
    fail(trained_store, [ids[1]], "cracked", by="ben")  # the second try failed too
    old, new = sorted(f.event_id for f in list_failures(trained_store, build_filter(candidate=str(ids[1]))))
    with pytest.raises(CampaignError, match=f"candidate {ids[1]} failed again since"):
        withdraw_failure(trained_store, [ids[1]], "typo", by="cy", failure_event_id=old)
    with pytest.raises(CampaignError, match="failed again since"):
        check_failure_withdrawable(trained_store, ids[1], old)
    with pytest.raises(CampaignError, match="say why the failure is withdrawn"):
        check_failure_withdrawal_reason("  ")
    (done,) = withdraw_failure(trained_store, [ids[1]], "typo", by="cy", failure_event_id=new)
    assert done.status == "exported"
    for event in (old, new):  # nothing stands now: the one withdrawn says so, the other is of a candidate not failed
        with pytest.raises(CampaignError) as refused:
            check_failure_withdrawable(trained_store, ids[1], event)
        said = str(refused.value)
        assert "\n" not in said
        assert ("withdrawn already" in said) == (event == new), said
    with pytest.raises(CampaignError, match=f"candidate {ids[1]} is exported, not failed"):
        withdraw_failure(trained_store, [ids[1]], "typo", by="cy", failure_event_id=old)


async def test_a_failure_is_withdrawn_from_the_browser_with_a_reason(trained_store, tmp_path):
    """Key w on a failed synthesis asks why (the CLI's check, under the field); OK withdraws that failure as
    result not-failed does: the row reads withdrawn, the candidate table says exported.  Again on that row,
    or on the failure of a candidate approved again since, the service's refusal is shown."""

    from .test_app import candidates_shown, error_shown

    ids = _two_failures(trained_store, tmp_path)
    app = CampaignApp(trained_store, actor="ui-user")
    async with app.run_test(size=(120, 40)) as pilot:
        await candidates_shown(pilot)
        candidates = app.query_one("#candidate-table")
        assert candidates.get_cell(str(ids[0]), "status") == "failed"
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsBrowser) and len(app.screen.failures) == 2)
        screen = app.screen
        table = screen.query_one("#results-table")
        key = next(k for k, f in screen.failures.items() if f.candidate_id == ids[0])
        table.focus()
        table.move_cursor(row=table.get_row_index(key))
        await pilot.pause()
        await _withdraw_under_cursor(pilot, f"Withdraw the failure of candidate {ids[0]}", "[b]meant[/b] 3")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsBrowser))
        await wait_for(pilot, lambda: str(table.get_cell(key, "state")) == "withdrawn; now exported")
        assert screen.failures[key].withdrawn.endswith(": [b]meant[/b] 3")
        assert screen.failures[key].withdrawn.startswith("by ui-user ")
        await wait_for(pilot, lambda: candidates.get_cell(str(ids[0]), "status") == "exported")
        await pilot.press("w")  # withdrawn already: refused, nothing asked
        await wait_for(pilot, lambda: error_shown(app))
        said = shown_text(app.screen.query_one("#error-message"))
        assert f"that failure of candidate {ids[0]} was withdrawn already" in said, said
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        other = next(k for k, f in screen.failures.items() if f.candidate_id == ids[1])
        table.move_cursor(row=table.get_row_index(other))
        await pilot.pause()
        await pilot.press("w")  # approved again since: no failure stands
        await wait_for(pilot, lambda: error_shown(app))
        said = shown_text(app.screen.query_one("#error-message"))
        assert f"candidate {ids[1]} is approved, not failed" in said, said
    from hea_campaign.campaign.results_browser import list_failures

    assert [f.candidate_status for f in list_failures(trained_store)] == ["approved", "exported"]


async def _withdraw_under_cursor(pilot, title: str, reason: str) -> None:
    """Key w on the row under the cursor: a dialog with its own keys titled ``title`` refuses a blank reason
    under its field, then takes ``reason``."""
    from hea_campaign.tui.app.footer import KeyFooter
    from hea_campaign.tui.app.modals import ReasonModal

    app = pilot.app
    await pilot.press("w")
    await wait_for(pilot, lambda: isinstance(app.screen, ReasonModal) and app.screen.query("#reason"))
    assert app.screen.query(KeyFooter)  # its own keys
    assert title in shown_text(app.screen.query_one(".modal-title"))
    app.screen.query_one("#reason").focus()
    await pilot.press("space", "enter")
    await pilot.pause()
    assert isinstance(app.screen, ReasonModal)
    assert "kept with the withdrawal" in shown_text(app.screen.query_one("#reason-error"))
    await pilot.press(*reason, "enter")


def test_a_current_result_of_a_conflicting_alloy_does_not_read_as_used(seeded_store):
    """A review: after a result that contradicts CoCrFeNi's (--allow-conflict), the browser still said
    'current' and '[counts]' for both, which a scientist reads as 'this label is used'."""
    from hea_campaign.campaign.results_browser import result_chain
    from hea_campaign.tui.present.results_text import format_chain, result_cells

    first = add_result(seeded_store, "CoCrFeMnNi0.7", single_phase="yes", phases="FCC", by="ana")
    other = add_result(seeded_store, "Co1Cr1Fe1Mn1Ni0.7", single_phase="no", phases="FCC+BCC", by="bo",
                       check_conflicts=False)
    quiet = add_result(seeded_store, "AlCoCrFeNiTi0.13", single_phase="no", phases="BCC+B2", by="ana")
    by_id = {r.id: r for r in list_results(seeded_store)}
    for m in (first, other):
        assert result_cells(by_id[m.id])["state"] == "current, conflict"
        assert "[counts, but the alloy's current results conflict: training leaves it out]" in format_chain(
            result_chain(seeded_store, m.id), m.id)
    assert result_cells(by_id[quiet.id])["state"] == "current"
    assert "[counts]" in format_chain(result_chain(seeded_store, quiet.id), quiet.id)


async def _correcting_from_the_lab_tab(pilot, formula: str, measurement_id: int) -> None:
    await pilot.press("l")
    await pilot.pause()
    await _correct_from_browser(pilot, pilot.app, formula, measurement_id)


async def test_a_correction_that_lost_a_race_offers_to_correct_the_newer_result(seeded_store):
    """A review: while the form corrected 1376, the CLI corrected it (1381); Save said 'correct 1381 instead'
    but the form's 'corrects result' is locked, so everything had to be typed again."""
    from hea_campaign.db.tables import Measurement
    from hea_campaign.tui.app.modals import ConfirmModal

    old = add_result(seeded_store, "Al0.3CoCrFeNiTi0.2", single_phase="no", phases="FCC+BCC", by="ana")
    app = CampaignApp(seeded_store, actor="ui-user")
    async with app.run_test(size=(120, 40)) as pilot:
        await _correcting_from_the_lab_tab(pilot, "Al0.3CoCrFeNiTi0.2", old.id)
        app.query_one("#r-notes").value = "second pattern: BCC peak is B2"
        newer = correct_result(seeded_store, old.id, single_phase="no", phases="BCC+B2", by="bo")  # the CLI
        await pilot.click("#save-result")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        question = str(app.screen.query_one(".modal-title").render())
        assert f"Result {old.id} was corrected meanwhile: result {newer.id} counts now" in question
        await pilot.press("y")
        await wait_for(pilot, lambda: "Saved result" in str(app.query_one("#result-status").render()))
    with seeded_store.read() as s:
        last = s.exec(select(Measurement).where(Measurement.supersedes_id == newer.id)).one()
    assert last.notes == "second pattern: BCC peak is B2" and last.phases == "FCC+BCC"


async def test_a_lost_race_against_a_move_says_so_and_the_form_s_alloy_is_kept(seeded_store):
    """A review: the newer result had been moved to another alloy; a yes saved the correction there, while
    the form showed the first alloy, without a word."""
    from hea_campaign.campaign.result_moves import move_result
    from hea_campaign.db.tables import Measurement
    from hea_campaign.tui.app.modals import ConfirmModal

    old = add_result(seeded_store, "Al0.3CoCrFeNiTi0.2", single_phase="no", phases="FCC+BCC", by="ana")
    app = CampaignApp(seeded_store, actor="ui-user")
    async with app.run_test(size=(120, 40)) as pilot:
        await _correcting_from_the_lab_tab(pilot, "Al0.3CoCrFeNiTi0.2", old.id)
        app.query_one("#r-notes").value = "checked again"
        moved = move_result(seeded_store, old.id, formula="Al0.5CoCrFeNiTi0.2", single_phase="no",
                            by="bo").measurement  # another terminal
        await pilot.click("#save-result")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        question = str(app.screen.query_one(".modal-title").render())
        assert (f"result {moved.id} counts now (it is on {parse_formula('Al0.5CoCrFeNiTi0.2').formula} now, and "
                "saving moves it to this form's alloy)") in question, question
        await pilot.press("y")
        await wait_for(pilot, lambda: "Saved" in str(app.query_one("#result-status").render()))
    from hea_campaign.campaign.results_browser import result_chain

    last = result_chain(seeded_store, moved.id)[-1]
    assert last.id != moved.id and last.formula == parse_formula("Al0.3CoCrFeNiTi0.2").formula
    assert last.notes == "checked again"
    with seeded_store.read() as s:
        assert s.get(Measurement, last.id).supersedes_id == moved.id


def test_the_count_line_names_every_letter_key_of_the_browser():
    """The line over the table is where the browser says what its keys do: a key missing from it is a key
    a scientist does not know is there (``h`` was missing)."""
    from hea_campaign.tui.present.results_text import count_line

    line = count_line(ResultCounts(results=3, corrected=1, failures=0, withdrawn=0), 3, 0)
    letters = [b.key for b in ResultsBrowser.BINDINGS if len(b.key) == 1]
    assert letters and all(f"{key}:" in line or f"{key}/" in line for key in letters), (letters, line)
