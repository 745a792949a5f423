"""Models screen, latent map by keyboard, and plots kept as PNG (TUI and CLI)."""

from __future__ import annotations

import pytest

from sqlmodel import select

from hea_campaign.db.tables import ModelVersion
from hea_campaign.tui.app import CampaignApp
from hea_campaign.tui.app.modals import ConfirmModal
from hea_campaign.tui.app.models_screen import ModelsScreen
from hea_campaign.tui.app.screens import CandidateScreen
from hea_campaign.tui.cli.root import main

from .test_app import error_shown, wait_for, with_candidates
from .test_snapshots import fixed_store  # noqa: F401  (seed dataset + model version + six candidates)

PNG = b"\x89PNG\r\n\x1a\n"
SIZE = (120, 40)


async def press_button(pilot, selector: str) -> None:
    """Press a dialog button as Enter on it would; a click can land where the button was before a relayout."""
    from textual.widgets import Button

    pilot.app.screen.query_one(selector, Button).press()
    await pilot.pause()


def second_version(store) -> int:
    """Another version row for the same checkpoint (inactive), as a colleague's training would add."""
    with store.write() as s:
        v = s.exec(select(ModelVersion)).one()
        copy = ModelVersion(**{k: getattr(v, k) for k in ("campaign_id", "created_by", "config", "metrics", "data_hash",
                                                          "seed", "library_versions", "checkpoint_path",
                                                          "checkpoint_sha256", "n_labelled", "n_unlabelled")},
                            active=False)
        s.add(copy)
        s.flush()
        return copy.id


async def test_the_models_screen_opens_on_the_active_version(trained_store):
    """Newest first, the active version can be below the rows an 80x24 screen shows: the cursor starts on it."""
    new = second_version(trained_store)
    app = CampaignApp(trained_store, actor="ui-user")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.panes_ready.wait()
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, ModelsScreen) and app.screen.versions)
        table = app.screen.query_one("#versions-table")
        assert table.get_row_index(str(new)) == 0, "newest first"
        assert app.screen.selected_id() != new and app.screen.versions[app.screen.selected_id()].active


async def test_activating_a_version_on_the_models_screen_changes_the_propose_tabs_model(trained_store):
    new = second_version(trained_store)
    app = CampaignApp(trained_store, actor="ui-user")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        await pilot.pause()
        old_line = str(app.query_one("#propose-model").render())
        assert f"v{new}" not in old_line and "active model v" in old_line
        await pilot.press("escape", "v")
        await wait_for(pilot, lambda: isinstance(app.screen, ModelsScreen) and app.screen.versions)
        table = app.screen.query_one("#versions-table")
        table.move_cursor(row=table.get_row_index(str(new)))
        await pilot.pause()
        await wait_for(pilot, lambda: "training curve" in str(app.screen.query_one("#version-detail").render()))
        await pilot.press("a")  # asks first (the Models screen's yes/no), then activates on a yes
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await wait_for(pilot, lambda: str(table.get_cell(str(new), "active")) == "active")
        await pilot.press("escape")
        await wait_for(pilot, lambda: f"active model v{new}" in str(app.query_one("#propose-model").render()))
    with trained_store.read() as s:
        assert s.exec(select(ModelVersion.id).where(ModelVersion.active == True)).all() == [new]  # noqa: E712


async def test_the_models_screen_shows_a_stored_training_curve_and_compares_two_versions(trained_store):
    new = second_version(trained_store)
    app = CampaignApp(trained_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, ModelsScreen) and app.screen.versions)
        screen = app.screen
        table = screen.query_one("#versions-table")
        table.move_cursor(row=table.get_row_index(str(new - 1)))
        await wait_for(pilot, lambda: screen.curve is not None and screen.curve.version_id == new - 1)
        assert screen.curve.stored and "loss" in screen.curve.series and "val_accuracy" in screen.curve.series
        await pilot.press("space")
        table.move_cursor(row=table.get_row_index(str(new)))
        await pilot.press("space")
        await pilot.pause()
        text = str(screen.query_one("#version-comparison").render())
        assert f"v{new - 1}" in text and f"v{new}" in text and "same configuration" in text
        assert "scorer val acc" in text and "SSVAE head val acc" in text  # each figure named as whose it is


async def test_the_latent_map_selects_candidates_by_keyboard_and_opens_one(trained_store, tmp_path, monkeypatch):
    ids = with_candidates(trained_store, 4)
    monkeypatch.chdir(tmp_path)
    app = CampaignApp(trained_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m")
        pane = app.query_one("#latent-pane")
        await wait_for(pilot, lambda: pane.map is not None)
        assert sorted(pane.map.candidate_ids) == sorted(ids)
        assert app.focused is app.query_one("#latent-plot")
        seen = {pane.selected_id()}
        for key in ("n", "n", "n", "right", "left", "up", "down"):
            await pilot.press(key)
            seen.add(pane.selected_id())
            named = str(app.query_one("#map-selected").render())
            i = pane.map.candidate_ids.index(pane.selected_id())
            assert f"candidate {pane.selected_id()}" in named and pane.map.candidate_formulas[i] in named
        assert seen == set(ids)  # n steps through every candidate
        chosen = pane.selected_id()
        await pilot.press("s")
        await wait_for(pilot, lambda: list(tmp_path.glob("latent-map-v*.png")))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CandidateScreen))
        assert app.screen.candidate_id == chosen
        await wait_for(pilot, lambda: app.screen.detail is not None)
        await pilot.press("s")
        await wait_for(pilot, lambda: list(tmp_path.glob(f"shap-candidate{chosen}-v*.png")))
        await pilot.press("escape", "v")
        await wait_for(pilot, lambda: isinstance(app.screen, ModelsScreen) and app.screen.curve is not None)
        await pilot.press("s")
        await wait_for(pilot, lambda: list(tmp_path.glob("training-curves-v*.png")))
        app.action_save_reliability()
        await wait_for(pilot, lambda: list(tmp_path.glob("reliability-v*.png")))
    for pattern in ("latent-map-v*.png", "shap-candidate*-v*.png", "training-curves-v*.png", "reliability-v*.png"):
        (png,) = tmp_path.glob(pattern)
        assert png.read_bytes()[:8] == PNG, pattern


def test_every_plot_has_a_cli_plot_option(trained_store, tmp_path, capsys):
    with_candidates(trained_store, 2)
    db = trained_store.url
    runs = {
        "latent": ["latent-map", "--db", db],
        "curves": ["curves", "--db", db],
        "reliability": ["reliability", "--db", db],
        "shap": ["explain", "AlCoCrFeNi", "--db", db],
    }
    for name, argv in runs.items():
        out = tmp_path / f"{name}.png"
        assert main([*argv, "--plot", str(out)]) == 0, capsys.readouterr()
        assert out.read_bytes()[:8] == PNG, name
    printed = capsys.readouterr().out
    assert "2 candidates" in printed and "val_accuracy" in printed and "Brier" in printed and "SHAP" in printed


async def test_export_names_do_not_collide_and_a_refused_export_keeps_the_dialogs_entries(trained_store, tmp_path,
                                                                                          monkeypatch):
    from datetime import date

    from hea_campaign.campaign.lifecycle import approve
    from hea_campaign.tui.app.modals import ExportModal

    ids = with_candidates(trained_store, 3)
    approve(trained_store, ids, by="setup")
    monkeypatch.chdir(tmp_path)
    app = CampaignApp(trained_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportModal))
        first = app.screen.query_one("#path").value
        assert first.endswith(f"synthesis-batch-1-{date.today().isoformat()}.csv")
        taken = tmp_path / "taken.csv"
        taken.write_text("someone else's file")
        app.screen.query_one("#mass").value = "12.5"
        app.screen.query_one("#path").value = str(taken)
        await press_button(pilot, "#ok")
        await pilot.pause()
        assert isinstance(app.screen, ExportModal), "refused at once, the dialog stays"
        assert "already exists" in str(app.screen.query_one("#export-error").render())
        assert app.screen.query_one("#mass").value == "12.5"
        missing = tmp_path / "no-such-folder" / "batch.csv"  # refused by the export itself, in its worker
        app.screen.query_one("#path").value = str(missing)
        await press_button(pilot, "#ok")
        await wait_for(pilot, lambda: error_shown(app))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportModal))
        assert app.screen.query_one("#mass").value == "12.5"  # the entries, as they were
        assert app.screen.query_one("#path").value == str(missing)
        assert "does not exist" in str(app.screen.query_one("#export-error").render())
        assert app.screen.focused is app.screen.query_one("#path"), "the cursor where the refusal points"
        app.screen.query_one("#path").value = first
        await press_button(pilot, "#ok")
        await wait_for(pilot, lambda: (tmp_path / first).exists())
        await pilot.pause()
        await wait_for(pilot, lambda: app.query_one("#candidates-pane").rows[ids[0]].status == "exported")
        approve(trained_store, with_candidates(trained_store, 1), by="setup")
        await pilot.press("c")
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportModal))
        assert app.screen.query_one("#path").value.endswith(f"synthesis-batch-2-{date.today().isoformat()}.csv")


async def on_the_propose_tab_without_live_refresh(app, pilot) -> None:
    """The Propose tab open, live refresh stopped: the test says when the store is read again."""
    await app.panes_ready.wait()
    app.live.stop()
    await pilot.press("p")
    await pilot.pause()


@pytest.mark.sqlite_only("drawn from a copy of the SQLite seed file")
async def test_the_propose_tab_reads_the_design_space_again(fixed_store):  # noqa: F811
    """`hea-campaign space set` from another shell: the panel and the hints of the form's fields follow
    when the tab is shown, on F5, and after a save in the TUI (live refresh is stopped here, so those
    three are what the test sees)."""
    from hea_campaign.campaign.design_space import update_design_space

    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=SIZE) as pilot:
        await on_the_propose_tab_without_live_refresh(app, pilot)
        panel, max_el = app.query_one("#space-text"), app.query_one("#max-elements")

        def shown(text: str) -> bool:
            return text in str(panel.render())

        assert shown("maximum raw-material cost: none")
        before = max_el.placeholder
        update_design_space(fixed_store, by="colleague", max_cost_per_kg=40.0, granularity=0.02, min_elements=3,
                            max_elements=5, banned=frozenset({"Co"}))
        await pilot.press("d", "p")  # the tab shown again
        await wait_for(pilot, lambda: shown("40 USD/kg"))
        assert shown("granularity: 2 at.%")
        assert max_el.placeholder == "the design space's (5)" != before
        assert app.query_one("#min-elements").placeholder == "the design space's (3)"
        assert app.query_one("#granularity").placeholder == "the design space's (2)"
        assert app.query_one("#banned").placeholder == "the design space's (Co)"

        update_design_space(fixed_store, by="colleague", max_cost_per_kg=55.0, max_elements=6)
        await pilot.press("f5")
        await wait_for(pilot, lambda: shown("55 USD/kg"))
        assert max_el.placeholder == "the design space's (6)"

        update_design_space(fixed_store, by="colleague", max_elements=4, min_elements=4)  # read with the save below
        app.query_one("#space-granularity").value = "5"
        app.query_one("#space-granularity").focus()
        await pilot.press("enter")  # saves the design space
        await wait_for(pilot, lambda: shown("granularity: 5 at.%"))
        assert app.query_one("#granularity").placeholder == "the design space's (5)"
        assert max_el.placeholder == "the design space's (4)"

        # every setting `space set` has: allowed elements and per-element bounds, and the word that clears each
        for wid, value in (("space-allowed", "Al,Cr,Fe,Mn,Ni"), ("space-min", "Fe:10"), ("space-max", "Cr:30")):
            app.query_one(f"#{wid}").value = value
        app.query_one("#space-max").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: shown("required minimum: Fe 10 at.%"))
        assert shown("elements allowed: Al, Cr, Fe, Mn, Ni") and shown("element maximum: Cr 30 at.%")
        assert app.query_one("#space-min").value == ""  # saved: the fields are blank again
        for wid, value in (("space-allowed", "any"), ("space-min", "none"), ("space-max", "none")):
            app.query_one(f"#{wid}").value = value
        app.query_one("#space-max").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: shown("elements allowed: all of the model vocabulary"))
        assert not shown("required minimum") and not shown("element maximum")


@pytest.mark.sqlite_only("drawn from a copy of the SQLite seed file")
async def test_the_palette_saves_the_map_shap_and_curves_and_selects(fixed_store, tmp_path, monkeypatch):  # noqa: F811
    from .test_app import run_from_palette

    monkeypatch.chdir(tmp_path)
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=SIZE) as pilot:
        await app.panes_ready.wait()
        await run_from_palette(pilot, "Save the latent map")  # opens the map, saves it once drawn
        await wait_for(pilot, lambda: list(tmp_path.glob("latent-map-v*.png")))
        pane = app.query_one("#latent-pane")
        first = pane.selected_id()
        await run_from_palette(pilot, "Next candidate on the latent map")
        await wait_for(pilot, lambda: pane.selected_id() != first)
        await run_from_palette(pilot, "Save the training curves")  # outside Models: the active version's,
        await wait_for(pilot, lambda: error_shown(app))  # which in this store was written without its curve
        active = fixed_store_active_version(fixed_store)
        assert f"model version {active} has no stored training curve" in str(app.screen.query_one("#error-message")
                                                                             .render())
        await pilot.press("escape")
        await pilot.press("c")
        cands = app.query_one("#candidates-pane")
        await wait_for(pilot, lambda: cands.loaded and not cands.loading)
        await run_from_palette(pilot, "Select candidates")
        await wait_for(pilot, lambda: cands.selected == {cands.cursor_id()})
        await run_from_palette(pilot, "Save a candidate's SHAP")  # the one under the cursor, opened
        await wait_for(pilot, lambda: list(tmp_path.glob(f"shap-candidate{cands.cursor_id()}-v*.png")), timeout=120)
        assert isinstance(app.screen, CandidateScreen)
    for pattern in ("latent-map-v*.png", "shap-candidate*-v*.png"):
        (png,) = tmp_path.glob(pattern)
        assert png.read_bytes()[:8] == PNG, pattern


def fixed_store_active_version(store) -> int:
    with store.read() as s:
        return s.exec(select(ModelVersion).where(ModelVersion.active)).one().id


@pytest.mark.sqlite_only("drawn from a copy of the SQLite seed file")
async def test_the_propose_tab_imports_a_price_list_and_resets_the_design_space(fixed_store, tmp_path):  # noqa: F811
    """`space set --prices` and `--reset` from the TUI: a bad list changes nothing and says why; a good
    one overrides pymatgen's prices; Reset asks first, then restores the defaults (the list stays)."""
    from hea_campaign.campaign.constraints import HEA_DEFAULTS
    from hea_campaign.campaign.design_space import load_design_space, load_prices, update_design_space
    from hea_campaign.tui.app.modals import ConfirmModal

    update_design_space(fixed_store, by="colleague", max_elements=5, granularity=0.02)
    bad, good = tmp_path / "bad.csv", tmp_path / "lab [prices].csv"
    bad.write_text("element,usd_per_kg\nFe,-3\n", encoding="utf-8")
    good.write_text("element,usd_per_kg\nFe,123.5\nNi,40\n", encoding="utf-8")
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=SIZE) as pilot:
        await on_the_propose_tab_without_live_refresh(app, pilot)
        prices = app.query_one("#space-prices")
        app.query_one("#space-granularity").value = "5"
        prices.value = str(bad)
        prices.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: error_shown(app))
        await pilot.press("escape")
        await pilot.pause()
        assert load_design_space(fixed_store).granularity == 0.02, "nothing saved when the list is refused"
        assert load_prices(fixed_store).prices.get("Fe") != 123.5
        prices.value = str(good)
        prices.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: prices.value == "")
        assert load_prices(fixed_store).prices.get("Fe") == 123.5
        assert load_design_space(fixed_store).granularity == 0.05
        assert "lab [prices].csv" in str(app.query_one("#space-text").render())
        assert "Fe 123.5" in str(app.query_one("#space-text").render())  # the lab's prices, not only its elements

        app.query_one("#reset-space").press()
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("escape")  # No: nothing changes
        await pilot.pause()
        assert load_design_space(fixed_store).max_elements == 5
        app.query_one("#reset-space").press()
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        app.screen.query_one("#yes").press()
        await wait_for(pilot, lambda: load_design_space(fixed_store) == HEA_DEFAULTS)
        assert load_prices(fixed_store).prices.get("Fe") == 123.5, "the lab's price list stays"
        prices.value = "None"  # removes it, as `space set --no-prices`
        prices.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: load_prices(fixed_store).prices.get("Fe") != 123.5)
        assert "lab [prices].csv" not in str(app.query_one("#space-text").render())


@pytest.mark.sqlite_only("drawn from a copy of the SQLite seed file")
async def test_the_propose_forms_errors_name_their_fields(fixed_store):  # noqa: F811
    """A refused value on the Propose tab names the field a user sees ('step at.%'), not the CLI's --step;
    the map from options to labels matches the labels the two forms show."""
    from textual.widgets import Label

    from hea_campaign.tui.present.form_words import PROPOSE_FORM, SPACE_FORM

    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=SIZE) as pilot:
        await on_the_propose_tab_without_live_refresh(app, pilot)
        for form, labels in (("#propose-form", PROPOSE_FORM), ("#space-form", SPACE_FORM)):
            shown = {str(w.render()) for w in app.query(f"{form} Label")}
            assert set(labels.values()) <= shown, set(labels.values()) - shown
        app.query_one("#mode").value = "screen"
        app.query_one("#screen").value = "Fe,Ni,Co,Cr"
        app.query_one("#step").value = "3"
        app.query_one("#run-proposal").press()
        await wait_for(pilot, lambda: error_shown(app))
        said = str(app.screen.query_one("#error-message").render())
        assert said.startswith("'step at.%' must divide 100 at.% evenly") and "--" not in said
        await pilot.press("escape")
        await pilot.pause()
        app.query_one("#space-max-cost").value = "-2"
        app.query_one("#space-max-cost").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: error_shown(app))
        said = str(app.screen.query_one("#error-message").render())
        assert said.startswith("'max cost USD/kg' must be more than 0") and "--" not in said
        await pilot.press("escape")
        await pilot.pause()
        from hea_campaign.campaign.design_space import update_design_space

        update_design_space(fixed_store, by="colleague", granularity=0.02)  # the step of 5 no longer fits
        app.query_one("#step").value = "5"
        app.query_one("#run-proposal").press()  # refused while running, in the worker
        await wait_for(pilot, lambda: error_shown(app))
        said = str(app.screen.query_one("#error-message").render())
        assert "'step at.%'" in said and "--" not in said, said


async def test_the_design_space_form_shows_the_stored_limits_and_an_empty_field_is_not_invalid(fixed_store):  # noqa: F811
    """After `space set --max-cost 40` the form said "no limit" for max cost, and its empty number fields
    turned red when left.  Its hints show the stored values (read again when the space changes), an empty
    field is valid (blank keeps the stored value), and 'none' removes a limit."""
    from hea_campaign.campaign.design_space import show, update_design_space

    update_design_space(fixed_store, by="colleague", max_cost_per_kg=40.0)
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(80, 24)) as pilot:
        await on_the_propose_tab_without_live_refresh(app, pilot)
        cost, density = app.query_one("#space-max-cost"), app.query_one("#space-max-density")
        await wait_for(pilot, lambda: "40" in cost.placeholder)
        assert "no limit" not in cost.placeholder and "no limit" in density.placeholder
        for wid in ("#space-max-cost", "#space-max-density", "#space-granularity", "#granularity", "#multi"):
            field = app.query_one(wid)
            field.focus()
            await pilot.pause()
            app.query_one("#space-elements").focus()  # left empty
            await pilot.pause()
            assert not field.has_class("-invalid"), wid
        update_design_space(fixed_store, by="colleague", max_density=7.5)  # another shell
        app.query_one("#propose-pane").show_space()  # what the live refresh calls on a design-space change
        await pilot.pause()
        assert "7.5" in density.placeholder and "40" in cost.placeholder
        cost.value = "none"
        app.query_one("#propose-pane").save_space()
        await pilot.pause()
        assert show(fixed_store).constraints.max_cost_per_kg is None and "no limit" in cost.placeholder


@pytest.mark.parametrize(("error", "field"), [
    ("the folder /tmp/x/[red]b1[ does not exist", "#path"),
    ("candidate 3 (AlCoCrFeNi): Al would weigh less than 0.1 mg in a 0.5 g ingot; choose a larger --mass", "#mass"),
    ("/data/gloss/b.csv already exists; choose another name", "#path"),
    ("", "#mass"),
])
def test_the_export_dialog_back_after_a_refusal_starts_in_the_field_it_is_about(error, field):
    from hea_campaign.tui.app.modals import ExportModal

    initial = {"error": error, "out": "/data/gloss/b.csv"} if error else {}
    assert ExportModal(1, "x.csv", initial)._field_to_fix() == field


@pytest.mark.sqlite_only("drawn from a copy of the SQLite seed file")
async def test_a_bad_loss_allowance_is_refused_in_the_dialog_at_its_field(fixed_store, tmp_path):  # noqa: F811
    from textual.css.query import NoMatches

    from hea_campaign.tui.app.modals import ExportModal

    def composed(modal) -> bool:
        try:
            return modal.query_one("#loss") is not None
        except NoMatches:
            return False

    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(120, 40)) as pilot:
        await app.panes_ready.wait()
        modal = ExportModal(1, str(tmp_path / "b.csv"), ids=[1])
        app.push_screen(modal)
        await wait_for(pilot, lambda: app.screen is modal and composed(modal))
        modal.query_one("#loss").value = "Qq:2%"
        modal.submit()
        await pilot.pause()
        assert app.screen is modal and modal.focused is modal.query_one("#loss")
        assert "loss allowance" in str(modal.query_one("#export-error").render())
