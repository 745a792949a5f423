"""The real Textual app driven headlessly; every test checks the store, not only the screen."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import func, select

from hea_campaign.campaign.constraints import Constraints
from hea_campaign.campaign.proposals import ProposalRequest, propose
from hea_campaign.db.tables import AuditEvent, Candidate, ExportBatch, Measurement, ModelVersion, ProposalRun
from hea_campaign.tui.app import ACTIONS, CampaignApp, CampaignCommands
from hea_campaign.tui.app.modals import ErrorModal

from .test_snapshots import fixed_store  # noqa: F401  (seed dataset + model version + six candidates)

SIZE = (140, 48)


def count(store, table, *where) -> int:
    with store.read() as s:
        q = select(func.count()).select_from(table)
        for w in where:
            q = q.where(w)
        return s.exec(q).one()


async def wait_for(pilot, predicate, timeout: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not predicate():
        if loop.time() > end:
            stack = [type(s).__name__ for s in pilot.app.screen_stack]
            raise AssertionError(f"timed out waiting for the app; screens: {stack}, focused: {pilot.app.focused!r}")
        await pilot.pause(0.1)


async def candidates_shown(pilot) -> None:
    """The Candidates tab open, its page read (in a worker) and in the table."""
    await pilot.press("c")
    pane = pilot.app.query_one("#candidates-pane")
    await wait_for(pilot, lambda: pane.loaded and not pane.loading)
    await pilot.pause()


def error_shown(app) -> bool:
    """The error window is up and composed (a pushed screen is the current one before its widgets exist)."""
    from hea_campaign.tui.app.modals import ErrorModal

    return isinstance(app.screen, ErrorModal) and bool(app.screen.query("#error-message"))


async def run_from_palette(pilot, words: str) -> None:
    """Open the command palette, type ``words`` and run the first match once the palette lists it
    (on a busy machine the search can take longer than any fixed pause)."""
    from textual.command import CommandList, CommandPalette

    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, CommandPalette))
    await pilot.press(*words)

    def listed() -> bool:
        results = pilot.app.screen.query(CommandList)
        if not results or results.first().highlighted is None:
            return False
        first = results.first()
        return words.lower() in str(first.get_option_at_index(first.highlighted).prompt).lower()

    await wait_for(pilot, listed)
    await pilot.press("enter")


def with_candidates(store, n: int = 4) -> list[int]:
    req = ProposalRequest(mode="screen", screen_elements=["Fe", "Ni", "Co", "Cr"], step=0.1, batch=n,
                          constraints=Constraints(min_elements=3))
    return propose(store, req, by="setup").candidate_ids


async def test_approve_and_reject_from_the_table(trained_store):
    ids = with_candidates(trained_store)
    app = CampaignApp(trained_store, actor="ui-user")
    async with app.run_test(size=SIZE) as pilot:
        await candidates_shown(pilot)
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("down", "r")
        await pilot.pause()
        await pilot.press(*"too much Cr", "enter")
        await pilot.pause()
    with trained_store.read() as s:
        first, second = s.get(Candidate, ids[0]), s.get(Candidate, ids[1])
        events = s.exec(select(AuditEvent).where(AuditEvent.actor == "ui-user")).all()
    assert first.status == "approved" and second.status == "rejected"
    assert second.status_reason == "too much Cr"
    assert sorted((e.action, e.entity_id) for e in events) == sorted(
        [(events[0].action, ids[0]), (events[1].action, ids[1])]
    ) and len(events) == 2


async def test_a_second_approve_of_the_same_row_is_a_notice_not_a_refusal_dialog(trained_store):
    """A review: `a a` on one row opened 'Cannot do that / candidate 3 is approved (it already is)'."""
    from hea_campaign.tui.app.modals import ErrorModal

    ids = with_candidates(trained_store)
    app = CampaignApp(trained_store, actor="ui-user")
    notices: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await candidates_shown(pilot)
        app.notify = lambda message, **kw: notices.append(str(message))  # noqa: ARG005
        await pilot.press("a")
        await wait_for(pilot, lambda: any("Approved 1" in n for n in notices))
        await pilot.press("a")
        await wait_for(pilot, lambda: any("already approved" in n for n in notices))
        await pilot.press("A")  # with a note: the same, before asking for the note
        await wait_for(pilot, lambda: sum("already approved" in n for n in notices) == 2)
        assert not isinstance(app.screen, ErrorModal)
        assert app.screen is app.screen_stack[0]
    with trained_store.read() as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.actor == "ui-user")).all()
    assert [(e.entity_id) for e in events] == [ids[0]]


async def test_approve_with_a_note_keeps_it_for_the_batch_as_approve_reason_does(trained_store, tmp_path):
    from hea_campaign.campaign.export import export_batch

    ids = with_candidates(trained_store)
    app = CampaignApp(trained_store, actor="ui-user")
    async with app.run_test(size=SIZE) as pilot:
        await candidates_shown(pilot)
        await pilot.press("A")
        await wait_for(pilot, lambda: app.screen.query("#reason"))
        await pilot.press(*"arc melt twice", "enter")
        await pilot.pause()
        await pilot.press("down", "A")
        await wait_for(pilot, lambda: app.screen.query("#reason"))
        await pilot.press("escape")  # cancelled: nothing approved
        await pilot.pause()
    with trained_store.read() as s:
        first, second = s.get(Candidate, ids[0]), s.get(Candidate, ids[1])
    assert (first.status, first.status_reason) == ("approved", "arc melt twice") and second.status == "proposed"
    out = tmp_path / "batch.json"
    export_batch(trained_store, ids=[ids[0]], mass=20, out=out, by="setup")
    import json

    assert json.loads(out.read_text())["candidates"][0]["approval_note"] == "arc melt twice"


async def test_result_form_refuses_a_bad_formula_and_saves_a_good_one(seeded_store):
    before = count(seeded_store, Measurement)
    with seeded_store.read() as s:
        audits = s.exec(select(func.max(AuditEvent.id))).one()
    app = CampaignApp(seeded_store, actor="ui-user")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l")
        await pilot.click("#r-formula")
        await pilot.press(*"Xx2Fe")
        await pilot.pause()
        assert "Xx is not a chemical element" in str(app.query_one("#err-formula").render())
        app.query_one("#r-single").value = "no"
        await pilot.click("#save-result")
        await pilot.pause()
        assert "Not saved" in str(app.query_one("#result-status").render())
        assert count(seeded_store, Measurement) == before
        app.query_one("#r-formula").value = "Al0.3CoCrFeNiTi0.2"
        app.query_one("#r-phases").value = "FCC+BCC"
        app.query_one("#r-method").value = "XRD"
        await pilot.pause()
        assert str(app.query_one("#err-formula").render()) == ""
        await pilot.click("#save-result")
        await pilot.pause()
        assert "Saved result" in str(app.query_one("#result-status").render())
        # the form is cleared for the next result: pressing Save again stores nothing twice
        assert app.query_one("#r-formula").value == "" and app.query_one("#r-single").is_blank()
        await pilot.click("#save-result")
        await pilot.pause()
        assert "Not saved" in str(app.query_one("#result-status").render())
    assert count(seeded_store, Measurement) == before + 1
    with seeded_store.read() as s:
        m = s.exec(select(Measurement).order_by(Measurement.id.desc())).first()
        new_events = s.exec(select(AuditEvent).where(AuditEvent.id > audits)).all()
    assert (m.single_phase, m.phases, m.method) == (False, "FCC+BCC", "XRD")
    # a new alloy and its result: one audit event each, by the person at the keyboard
    assert sorted(e.action for e in new_events) == ["alloy.add", "measurement.add"]
    assert {e.actor for e in new_events} == {"ui-user"}


async def test_retrain_can_be_started_and_cancelled_without_saving(trained_store):
    versions = count(trained_store, ModelVersion)
    app = CampaignApp(trained_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        await pilot.click("#start-training")
        pane = app.query_one("#retrain-pane")
        await wait_for(pilot, lambda: len(pane.curve) >= 1)
        await pilot.click("#cancel-training")
        await wait_for(pilot, lambda: "cancelled" in str(app.query_one("#train-live").render()))
        assert not app.query_one("#start-training").disabled
        bar = app.query_one("#train-progress")
        assert not bar.display and bar.progress == 0 and bar.total is None, "the bar is reset, not left at 30%"
        await pilot.pause(1.0)  # an epoch report on its way when Cancel was pressed changes nothing
        assert not bar.display and "cancelled" in str(app.query_one("#train-live").render())
    assert count(trained_store, ModelVersion) == versions


def _two_more_versions_and_a_shown_comparison(store, monkeypatch) -> tuple[int, int]:
    """Versions `new` and `other` beside the active one; the Retrain tab's (faked) retrain shows `new`
    compared with the active version.  Returns (new, other)."""
    from hea_campaign.campaign import retraining
    from hea_campaign.campaign.model_versions import get_version, train_version

    first = get_version(store).id
    new = train_version(store, epochs=1, seed=1).version.id
    other = train_version(store, epochs=1, seed=2).version.id
    done = retraining.Comparison(new_id=new, active_id=first, n_heldout=40, n_unseen_by_both=40,
                                 new={"n": 40, "accuracy": 0.9, "roc_auc": 0.95}, active={"n": 40, "accuracy": 0.8,
                                 "roc_auc": 0.85}, new_unseen=None, active_unseen=None, new_labels=0,
                                 activated=False, compared_classes=(20, 20))
    monkeypatch.setattr(retraining, "retrain", lambda store, **_: (None, done))
    return new, other


async def _comparison_shown(pilot) -> None:
    app = pilot.app
    await pilot.press("t")
    await pilot.pause()
    app.query_one("#start-training").press()
    await wait_for(pilot, lambda: not app.query_one("#activate").disabled)


async def test_activating_after_a_colleague_activated_another_version_asks_first(trained_store, monkeypatch):
    """The Retrain tab's comparison was made against the version active then; when another terminal
    activates a different one meanwhile, Activate says so and asks (it would otherwise replace a
    version nobody compared with); when the new version itself was activated meanwhile, it says that."""
    from hea_campaign.campaign.model_versions import activate, get_version
    from hea_campaign.tui.app.modals import ConfirmModal

    new, other = _two_more_versions_and_a_shown_comparison(trained_store, monkeypatch)
    app = CampaignApp(trained_store, actor="tester")
    async with app.run_test(size=SIZE) as pilot:
        await _comparison_shown(pilot)
        activate(trained_store, other, "colleague")  # from another terminal
        app.query_one("#activate").press()
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        assert f"active version is now {other}" in str(app.screen.query_one(".modal-title").render())
        app.screen.query_one("#no").press()
        await pilot.pause()
        assert get_version(trained_store).id == other
        activate(trained_store, new, "colleague")
        app.query_one("#activate").press()
        await wait_for(pilot, lambda: app.query_one("#activate").disabled)
        assert not isinstance(app.screen, ConfirmModal) and get_version(trained_store).id == new


async def test_the_retrain_tab_follows_an_activation_made_elsewhere(trained_store, monkeypatch):
    """A review: after `hea-campaign activate 2` in another terminal the tab still said 'New model version v2
    (not active yet)' and 'active v1'; the comparison block now says what happened, without a key press."""
    from hea_campaign.campaign.model_versions import activate

    new, other = _two_more_versions_and_a_shown_comparison(trained_store, monkeypatch)
    app = CampaignApp(trained_store, actor="tester")
    async with app.run_test(size=SIZE) as pilot:
        await _comparison_shown(pilot)
        block = app.query_one("#train-comparison")
        activate(trained_store, other, "colleague")  # from another terminal
        await wait_for(pilot, lambda: f"the active version is now {other}" in str(block.render()))
        assert not app.query_one("#activate").disabled  # activating still asks, as tested above
        activate(trained_store, new, "colleague")
        await wait_for(pilot, lambda: f"v{new} is now active" in str(block.render()))
        assert "activated elsewhere" in str(block.render()) and app.query_one("#activate").disabled


async def test_retrain_form_settings_reach_the_stored_version(trained_store):
    """Seed, epochs and prior r typed on the Retrain tab are the version's, as `retrain --seed --epochs
    --prior-r` would make it; a prior r out of range is refused before anything trains."""
    versions = count(trained_store, ModelVersion)
    app = CampaignApp(trained_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        await pilot.pause()
        app.query_one("#train-prior-r").value = "1.5"
        app.query_one("#start-training").press()
        await wait_for(pilot, lambda: error_shown(app))
        said = str(app.screen.query_one("#error-message").render())
        assert said.startswith("prior r must be in [0.01, 0.99]") and "--" not in said  # the field's own name
        assert not app.query_one("#retrain-pane").running
        await pilot.press("escape")
        await pilot.pause()
        app.query_one("#train-seed").value = "3"
        app.query_one("#train-epochs").value = "2"
        app.query_one("#train-prior-r").value = "0.3"
        app.query_one("#start-training").press()
        await wait_for(pilot, lambda: app.query_one("#retrain-pane").comparison is not None, timeout=240)
    assert count(trained_store, ModelVersion) == versions + 1
    with trained_store.read() as s:
        new = s.exec(select(ModelVersion).order_by(ModelVersion.id.desc())).first()
    assert new.seed == 3 and new.config["prior_r"] == 0.3 and new.config["epochs"] == 2
    assert new.metrics["best_epoch"] <= 2


@pytest.mark.sqlite_only("drawn from a copy of the SQLite seed file")
async def test_cancelling_a_proposal_says_nothing_was_stored_and_resets_the_bar(fixed_store, monkeypatch):  # noqa: F811
    """propose() returns None when it stopped on should_stop (nothing stored); the thread keeps going a
    moment after Cancel (it only looks between chunks), and its late progress reports change nothing."""
    import threading

    from hea_campaign.campaign import proposals

    reached, seen_stop = threading.Event(), threading.Event()

    def slow_propose(store, req, *, by=None, progress=None, should_stop=None):
        for done in range(1, 10_000):
            progress(done, 10_000)
            if done == 3:
                reached.set()
            if should_stop():
                seen_stop.set()
                progress(done + 1, 10_000)  # one more report, already on its way
                return None
            threading.Event().wait(0.05)
        raise AssertionError("never stopped")

    monkeypatch.setattr(proposals, "propose", slow_propose)
    runs = count(fixed_store, ProposalRun)
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        app.query_one("#mode").value = "screen"
        app.query_one("#screen").value = "Fe,Ni,Co,Cr"
        app.query_one("#step").value = "10"
        await pilot.pause()
        app.query_one("#run-proposal").press()
        await wait_for(pilot, lambda: reached.is_set())
        bar, output = app.query_one("#propose-progress"), app.query_one("#propose-result")
        assert bar.display and bar.progress >= 1 and "Working" in str(output.render())
        await run_from_palette(pilot, "Cancel the proposal run")
        await wait_for(pilot, lambda: "Cancelled: nothing was stored." in str(output.render()))
        assert seen_stop.is_set()
        await pilot.pause(0.3)
        assert not bar.display and bar.progress == 0 and bar.total is None
        assert not app.query_one("#run-proposal").disabled and app.query_one("#cancel-proposal").disabled
        assert "Cancelled: nothing was stored." in str(output.render())
    assert count(fixed_store, ProposalRun) == runs


@pytest.mark.sqlite_only("drawn from a copy of the SQLite seed file")
async def test_a_cancel_that_comes_after_training_ended_says_the_version_was_saved(fixed_store, monkeypatch):  # noqa: F811
    """Training that ends on its own (early stopping) just as Cancel is pressed is saved all the same:
    the tab says so rather than "nothing was saved" (the thread, not the worker's state, tells)."""
    import threading
    from types import SimpleNamespace

    from hea_campaign.campaign import retraining

    reached = threading.Event()
    done = retraining.Comparison(new_id=7, active_id=None, n_heldout=0, n_unseen_by_both=0, new={}, active=None,
                                 new_unseen=None, active_unseen=None, new_labels=0, activated=False)

    def finishing_retrain(store, *, by=None, progress=None, should_stop=None, keep_if_cancelled=True, **_):
        progress(SimpleNamespace(epoch=1, epochs=10, losses={"loss": 1.0}, val_accuracy=0.5, val_auc=0.5,
                                 best_epoch=1, elapsed_s=0.1))
        reached.set()
        while not should_stop():  # the last epoch, during which Cancel is pressed
            threading.Event().wait(0.02)
        threading.Event().wait(0.2)
        return None, done  # it had finished: saved as version 7

    monkeypatch.setattr(retraining, "retrain", finishing_retrain)
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        await pilot.pause()
        app.query_one("#start-training").press()
        await wait_for(pilot, lambda: reached.is_set())
        await pilot.pause()
        app.query_one("#cancel-training").press()
        await pilot.pause()
        live = app.query_one("#train-live")
        assert "Cancelling" in str(live.render()) and app.query_one("#start-training").disabled
        await wait_for(pilot, lambda: "too late" in str(live.render()))
        assert "v7" in str(live.render()) and "nothing was saved" not in str(live.render())
        assert not app.query_one("#activate").disabled and not app.query_one("#start-training").disabled
        assert "New model version v7" in str(app.query_one("#train-comparison").render())


async def test_small_proposal_from_the_form(trained_store):
    app = CampaignApp(trained_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        app.query_one("#mode").value = "screen"
        app.query_one("#screen").value = "Fe,Ni,Co,Cr,Mn"  # the default design space: 4-6 elements
        app.query_one("#step").value = "10"
        app.query_one("#batch").value = "3"
        await pilot.pause()
        await pilot.click("#run-proposal")
        await wait_for(pilot, lambda: "Proposal run" in str(app.query_one("#propose-result").render()))
        shown = str(app.query_one("#propose-result").render())
        stored = [line.split()[0] for line in shown.splitlines() if line.split()[:1] and line.split()[0].isdigit()]
        assert "formula" in shown and len(stored) == 3  # the stored candidates' table, as the CLI prints it
        pane = app.query_one("#candidates-pane")
        # the candidates table reads its page in a worker after the run: wait for it, not a fixed moment
        await wait_for(pilot, lambda: len(pane.rows) == 3 and not pane.loading)
    with trained_store.read() as s:
        run = s.exec(select(ProposalRun)).one()
    assert run.mode == "screen" and run.n_candidates == 3
    assert count(trained_store, Candidate, Candidate.proposal_run_id == run.id) == 3


async def test_a_screening_that_can_produce_nothing_is_an_error_and_a_left_out_element_is_named(trained_store):
    """The Propose tab goes through the CLI's plan: a refusal is the error modal (no traceback, nothing
    stored); a banned element is left out with a note in the summary."""
    from hea_campaign.campaign.design_space import update_design_space

    update_design_space(trained_store, banned=frozenset({"Re"}))
    app = CampaignApp(trained_store)
    async with app.run_test(size=SIZE) as pilot:
        message = await _screening_refused(pilot, "Fe,Ni,Co")
        assert "3 elements to screen, but the design space needs at least 4 per alloy" in message, message
        assert "Traceback" not in message
        await pilot.press("escape")
        await wait_for(pilot, lambda: not error_shown(app))
        assert not app.query_one("#run-proposal").disabled
        app.query_one("#screen").value = "Fe,Ni,Co,Re,Cr"
        app.query_one("#batch").value = "2"
        await pilot.pause()
        await pilot.click("#run-proposal")
        await wait_for(pilot, lambda: "Proposal run" in str(app.query_one("#propose-result").render()))
        shown = str(app.query_one("#propose-result").render())
        assert "Left out of the screening: Re (banned by the design space)" in shown
        assert "Screened 149 compositions inside the design space" in shown
    assert count(trained_store, ProposalRun) == 1


async def test_export_a_batch_from_the_table(trained_store, tmp_path):
    from hea_campaign.campaign.lifecycle import approve

    ids = with_candidates(trained_store, 3)
    approve(trained_store, ids[:2], by="setup")
    out = tmp_path / "batch [1].csv"  # brackets: the notice shows the path as typed, not as markup
    app = CampaignApp(trained_store)
    async with app.run_test(size=SIZE) as pilot:
        await candidates_shown(pilot)
        # one page: the short count, which fits beside the filters on an 80-column screen
        assert str(app.query_one("#candidate-count").render()).startswith("3 rows, 0 selected")
        await pilot.press("e")
        await wait_for(pilot, lambda: app.screen.query("#path"))  # the export dialog is up (slow on a busy machine)
        app.screen.query_one("#path").value = str(out)
        await pilot.click("#ok")
        await wait_for(pilot, lambda: out.exists() and count(trained_store, ExportBatch) == 1)
        await wait_for(pilot, lambda: any("written to" in n.message for n in app._notifications))
        notice = next(n.message for n in app._notifications if "written to" in n.message)
        assert str(out) in notice and "USD for one ingot of each" in notice  # the batch cost, as the CLI says
    with trained_store.read() as s:
        statuses = {c.id: c.status for c in s.exec(select(Candidate))}
    assert statuses[ids[0]] == statuses[ids[1]] == "exported" and statuses[ids[2]] == "proposed"
    assert out.read_text().count("\n") >= 3


async def test_a_mode_without_its_input_is_named_in_the_forms_words(trained_store):
    app = CampaignApp(trained_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        await pilot.pause()
        for mode, says in (("invert:proximal", "type start alloys, or N multi-phase"),
                           ("screen", "screening needs the elements to screen"), ("latent", "needs latent points")):
            app.query_one("#mode").value = mode
            await pilot.pause()
            app.query_one("#run-proposal").press()
            await wait_for(pilot, lambda: error_shown(app))
            message = str(app.screen.query_one("#error-message").render())
            assert says in message and "--from" not in message, message
            await pilot.press("escape")
            await wait_for(pilot, lambda: not error_shown(app))
    assert count(trained_store, ProposalRun) == 0


async def _screening_refused(pilot, elements: str) -> str:
    """Screen ``elements`` from the Propose tab; the error modal's message."""
    app = pilot.app
    await pilot.press("p")
    app.query_one("#mode").value = "screen"
    app.query_one("#screen").value = elements
    await pilot.pause()
    await pilot.click("#run-proposal")
    await wait_for(pilot, lambda: error_shown(app))
    return str(app.screen.query_one("#error-message").render())


async def test_worker_failures_show_one_error_modal(trained_store):
    app = CampaignApp(trained_store)
    async with app.run_test(size=SIZE) as pilot:
        assert "outside the model vocabulary" in await _screening_refused(pilot, "Fe,B")
        await pilot.press("escape")
        await pilot.pause()
        assert not app.query_one("#run-proposal").disabled


async def test_quitting_during_training_cancels_it_cleanly(trained_store):
    versions = count(trained_store, ModelVersion)
    app = CampaignApp(trained_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        await pilot.click("#start-training")
        await wait_for(pilot, lambda: len(app.query_one("#retrain-pane").curve) >= 1)
        await pilot.press("q")
        await pilot.pause(0.5)
    await asyncio.sleep(1.0)  # let the worker thread notice and return
    assert count(trained_store, ModelVersion) == versions


async def test_empty_store_imports_a_dataset_from_the_dashboard(store):
    app = CampaignApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.query_one("#import-box").display
        await pilot.click("#import-source")
        await pilot.press(*"yan2021", "enter")
        await wait_for(pilot, lambda: count(store, Measurement) == 1375)
        await wait_for(pilot, lambda: "CONFLICTING" in str(app.screen.query_one("#import-report").render()))
        await pilot.press("escape")
        await wait_for(pilot, lambda: "Alloys: 1369" in str(app.query_one("#status").render()))
        assert app.query_one("#import-box").display  # more can be imported at any time
        assert app.focused is not app.query_one("#import-source")  # a filled store: letter keys switch tabs


async def test_a_new_store_takes_what_is_typed_in_the_import_field(store):
    """The empty dashboard says "type yan2021": typing goes to the field without a click first."""
    app = CampaignApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        field = app.query_one("#import-source")
        assert app.focused is field
        await pilot.press(*"yan2021")
        assert field.value == "yan2021" and count(store, Measurement) == 0


async def test_back_from_an_import_that_wrote_nothing_typing_goes_to_the_field_again(store, tmp_path, monkeypatch):
    """An offline machine: "yan2021" cannot be fetched; after Esc the field still holds what was typed and
    the user corrects it: its letters must land in the field, not run the key bindings (m, d, ...)."""
    from hea_campaign.tui.app.import_screen import ImportScreen

    monkeypatch.chdir(tmp_path)
    app = CampaignApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press(*"missing.csv", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ImportScreen))
        await wait_for(pilot, lambda: "missing.csv" in str(app.screen.query_one("#import-report").render()))
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ImportScreen))
        field = app.query_one("#import-source")
        assert app.focused is field and field.value == "missing.csv"
        await pilot.press(*["backspace"] * len("missing.csv"), *"dm.csv")
        await pilot.pause()
        assert field.value == "dm.csv" and len(app.screen_stack) == 1
        assert app.query_one("TabbedContent").active == "dashboard"


async def test_every_binding_is_in_the_command_palette():
    """Every key of the app, its panes and its screens has a palette entry (F1 lists the same entries)
    whose help names that key; keys that only move or close (arrows, Escape) are left out."""
    import re

    from hea_campaign.tui.app.import_screen import ImportScreen
    from hea_campaign.tui.app.models_screen import ModelsScreen
    from hea_campaign.tui.app.panes.candidate_table import CandidateTable
    from hea_campaign.tui.app.panes.candidates import CandidatesPane
    from hea_campaign.tui.app.panes.latent import LatentPlot
    from hea_campaign.tui.app.results_browser import ResultsBrowser
    from hea_campaign.tui.app.screens import CandidateScreen

    by_title = {title: help_text for _, title, help_text in ACTIONS}
    actions = {a for a, _, _ in ACTIONS}
    for binding in CampaignApp.BINDINGS:
        assert binding.action in actions, binding.action
    palette = {  # (where, action) -> the palette entry that does it
        (CandidatesPane, "approve"): "Approve candidates", (CandidatesPane, "reject"): "Reject candidates",
        (CandidatesPane, "approve_with_note"): "Approve candidates with a note",
        (CandidatesPane, "toggle_select"): "Select candidates", (CandidatesPane, "open"): "Open candidate detail",
        (CandidatesPane, "export"): "Export a synthesis batch", (CandidatesPane, "fail"): "Record a failed synthesis",
        (CandidatesPane, "void"): "Void an export batch", (CandidatesPane, "next_page"): "Next page of candidates",
        (CandidatesPane, "previous_page"): "Previous page of candidates",
        (CandidatesPane, "sort_next"): "Sort candidates by the next column",
        (CandidatesPane, "sort_reverse"): "Reverse the candidates' sort order",
        (CandidateTable, "scroll_top"): "First page of candidates", (CandidateTable, "scroll_bottom"): "Last page of candidates",
        (LatentPlot, "step(1)"): "Next candidate on the latent map",
        (LatentPlot, "step(-1)"): "Previous candidate on the latent map",
        (LatentPlot, "open"): "Open candidate detail", (LatentPlot, "save"): "Save the latent map (PNG)",
        (CandidateScreen, "save_shap"): "Save a candidate's SHAP plot (PNG)",
        (ModelsScreen, "activate"): "Activate a model version", (ModelsScreen, "mark"): "Compare two model versions",
        (ModelsScreen, "save_plot"): "Save the training curves (PNG)",
        (ImportScreen, "save"): "Save the import report (text file)",
        (ResultsBrowser, "correct"): "Correct a lab result", (ResultsBrowser, "withdraw"): "Withdraw (result or failure)",
        (ResultsBrowser, "history"): "History of an alloy", (CandidateScreen, "history"): "History of an alloy",
    }
    moves = {"escape", "left", "right", "up", "down"}
    for where in (CandidatesPane, LatentPlot, CandidateScreen, ModelsScreen, ImportScreen, ResultsBrowser):
        for binding in where.BINDINGS:
            if binding.key in moves:
                continue
            title = palette.get((where, binding.action))
            assert title in by_title, (where.__name__, binding.key, binding.action)
            flags = re.IGNORECASE if len(binding.key) > 1 else 0  # but a letter's case counts: v is not V
            assert re.search(rf"\bkey {re.escape(binding.key)}(?!\w)", by_title[title], flags), (title, binding.key)
    # Ctrl+Home / Ctrl+End on the candidate table: the DataTable's own keys, turning pages there
    table_keys = {key: bindings[-1].action for key, bindings in CandidateTable._merged_bindings.key_to_bindings.items()}
    for key in ("ctrl+home", "ctrl+end"):
        assert f"key {key}" in by_title[palette[(CandidateTable, table_keys[key])]]
    # one key, one action: v opens the model versions from every tab, the candidates' void is V
    pane_keys = {b.key for b in CandidatesPane.BINDINGS}
    assert not pane_keys & {b.key for b in CampaignApp.BINDINGS}, "a pane key hides an app key"
    assert CampaignCommands in CampaignApp.COMMANDS


async def test_candidate_detail_shows_composition_flags_descriptors_shap_and_path(trained_store):
    out = propose(trained_store, ProposalRequest(mode="invert", starts=["Al1.4Co0.9Cr1.4Cu0.5Fe0.9Ni1"],
                                                 inversion="proximal", batch=1))
    assert out.candidate_ids, out.dropped
    app = CampaignApp(trained_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, lambda: "SHAP contributions" in str(app.screen.query_one("#detail").render()))
        text = str(app.screen.query_one("#detail").render())
        for part in ("Composition", "Flags", "Descriptors", "Inversion path", "Latent position", "step  0"):
            assert part in text, part
        steps = text[text.index("Inversion path"):].splitlines()
        assert "\\x0a" not in text and any(line.startswith("            at.% ") for line in steps)  # own line
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.query("#candidate-table")


async def test_latent_map_plots_training_alloys_and_candidates(trained_store):
    with_candidates(trained_store, 3)
    app = CampaignApp(trained_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m")
        await wait_for(pilot, lambda: "training alloys" in str(app.query_one("#map-caption").render()))
        caption = str(app.query_one("#map-caption").render())
    assert "3 candidates" in caption and "single-phase" in caption


async def test_the_same_result_saved_twice_asks_first(seeded_store):
    before = count(seeded_store, Measurement)
    app = CampaignApp(seeded_store, actor="ui-user")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l")
        for attempt in range(2):
            app.query_one("#r-formula").value = "CoCrFeNiMn0.5"
            app.query_one("#r-single").value = "yes"
            app.query_one("#r-method").value = "XRD"
            await pilot.pause()
            await pilot.click("#save-result")
            await pilot.pause()
        assert count(seeded_store, Measurement) == before + 1  # the second one waits for a yes
        await wait_for(pilot, lambda: app.screen.query("#yes"))
        await pilot.click("#no")
        await pilot.pause()
        assert count(seeded_store, Measurement) == before + 1
        app.query_one("#r-formula").value = "CoCrFeNiMn0.5"
        app.query_one("#r-single").value = "yes"
        app.query_one("#r-method").value = "XRD"
        await pilot.pause()
        await pilot.click("#save-result")
        await wait_for(pilot, lambda: app.screen.query("#yes"))
        await pilot.click("#yes")
        await pilot.pause()
    assert count(seeded_store, Measurement) == before + 2


async def test_who_measured_is_recorded_from_the_form_and_defaults_to_who_types(seeded_store):
    """The form's 'measured by' is the CLI's --operator: the person at the diffractometer, not always the
    one at the keyboard; left blank it is the one who enters the result (the app's actor)."""
    from sqlmodel import select

    app = CampaignApp(seeded_store, actor="ui-user")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l")
        for formula, operator in (("CoCrFeNiMn0.5", "  Dr. Ana Ruiz "), ("CoCrFeNiMn0.25", "")):
            app.query_one("#r-formula").value = formula
            app.query_one("#r-single").value = "yes"
            app.query_one("#r-operator").value = operator
            await pilot.pause()
            await pilot.click("#save-result")
            await wait_for(pilot, lambda: "Saved result" in str(app.query_one("#result-status").render()))
            assert app.query_one("#r-operator").value == ""  # cleared with the rest
    with seeded_store.read() as s:
        rows = s.exec(select(Measurement).where(Measurement.source == "lab").order_by(Measurement.id)).all()
    assert [m.operator for m in rows[-2:]] == ["Dr. Ana Ruiz", "ui-user"]


async def test_a_result_contradicting_the_candidates_result_asks_before_storing_both(trained_store, tmp_path):
    from hea_campaign.campaign.export import export_batch
    from hea_campaign.campaign.lifecycle import approve
    from hea_campaign.campaign.results import record_result
    from hea_campaign.tui.app.modals import ConfirmModal

    (cid,) = with_candidates(trained_store, 1)
    approve(trained_store, [cid], by="setup")
    export_batch(trained_store, ids=[cid], mass=20, out=tmp_path / "one.csv", by="setup")
    first = record_result(trained_store, candidate_id=cid, single_phase="yes", by="setup").measurement
    before = count(trained_store, Measurement)
    app = CampaignApp(trained_store, actor="ui-user")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l")
        for answer in ("#no", "#yes"):
            app.query_one("#r-candidate").value = str(cid)
            app.query_one("#r-single").value = "no"
            await pilot.pause()
            await pilot.click("#save-result")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal) and app.screen.query(answer))
            question = str(app.screen.query_one(".modal-title").render())
            assert f"measurement {first.id}" in question and "says single phase yes" in question, question
            assert count(trained_store, Measurement) == before  # nothing until the person says so
            await pilot.click(answer)
            await pilot.pause()
        await wait_for(pilot, lambda: count(trained_store, Measurement) == before + 1)


async def test_failed_synthesis_and_void_from_the_table(trained_store, tmp_path):
    from hea_campaign.campaign.export import export_batch
    from hea_campaign.campaign.lifecycle import approve

    ids = with_candidates(trained_store, 3)
    approve(trained_store, ids, by="setup")
    batch = export_batch(trained_store, ids=ids[:1], mass=20, out=tmp_path / "one.csv", by="setup")
    export_batch(trained_store, ids=ids[1:], mass=20, out=tmp_path / "two.csv", by="setup")
    app = CampaignApp(trained_store, actor="ui-user")
    async with app.run_test(size=SIZE) as pilot:
        await candidates_shown(pilot)
        await pilot.press("f")  # the candidate under the cursor: ids[0]
        await wait_for(pilot, lambda: app.screen.query("#fail-reason"))
        app.screen.query_one("#fail-reason").value = "cracked"
        await pilot.click("#ok")
        await pilot.pause()
        await pilot.press("down", "V")  # shift+v: v opens the model versions
        await wait_for(pilot, lambda: app.screen.query("#reason"))
        await pilot.press("enter")  # no reason: the batch stays, the dialog asks for one
        await pilot.pause()
        assert app.screen.query("#reason") and "give a reason" in str(app.screen.query_one("#reason-error").render())
        await pilot.press(*"wrong furnace", "enter")
        await pilot.pause()
    with trained_store.read() as s:
        statuses = {c.id: (c.status, c.status_reason) for c in s.exec(select(Candidate))}
        voided = s.exec(select(ExportBatch).where(ExportBatch.voided_at.is_not(None))).all()
    assert statuses[ids[0]] == ("failed", "cracked")
    assert statuses[ids[1]][0] == statuses[ids[2]][0] == "approved"
    assert [b.void_reason for b in voided] == ["wrong furnace"] and voided[0].id != batch.batch_id


async def test_a_lab_results_file_imported_as_alloys_points_to_the_screen_s_own_selector(store, tmp_path):
    """A review: the Import screen answered 'record it with hea-campaign result import', a command line,
    beside the selector that does it."""
    from hea_campaign.tui.app.import_screen import ImportScreen

    lab = tmp_path / "xrd.csv"
    lab.write_text("formula,single_phase,operator\nCoCrFeNi,yes,ana\n")
    app = CampaignApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = ImportScreen(str(lab), run=True)
        app.push_screen(screen)

        def report() -> str:
            found = screen.query("#import-report")
            return " ".join(str(found.first().render()).split()) if found else ""

        await wait_for(pilot, lambda: "selector" in report())
        said = report()
        assert "choose 'lab results' in the selector left of the file name" in said and "hea-campaign" not in said


async def test_refresh_with_the_store_unreachable_is_one_dialog_not_a_crash(seeded_store, monkeypatch):
    """F5 with the database server down ended the TUI with a traceback whose locals held the password."""
    from sqlalchemy.exc import OperationalError

    from hea_campaign.tui.app.panes import dashboard

    def down(*_a, **_k):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    app = CampaignApp(seeded_store, actor="ui-user")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        monkeypatch.setattr(dashboard, "campaign_status", down)
        await pilot.press("f5")
        await wait_for(pilot, lambda: error_shown(app))
        assert "connection refused" in str(app.screen.query_one("#error-message").render())
        assert len(app.screen_stack) == 2  # one dialog: the reads after the first failure were not tried
        assert app.is_running


async def test_a_crash_shows_its_traceback_without_local_variables(seeded_store):
    """Textual's crash report lists every local of every frame: a connection string's password among them."""
    app = CampaignApp(seeded_store, actor="ui-user")
    async with app.run_test(size=SIZE):
        def connect():
            conninfo = "host=db password=" + "S3cret" + "PW"  # noqa: F841 - a local; its source line shows no secret
            raise RuntimeError("the server went away")

        try:
            connect()
        except RuntimeError:
            app._fatal_error()
        text = "".join(seg.text for r in app._exit_renderables for seg in r.segments)
    assert "the server went away" in text and "S3cretPW" not in text
