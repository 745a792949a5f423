"""Whose validation figures the Models screen and `models` show: the scorer's (it ranks candidates) or the
SSVAE head's.  They were shown as "val acc"/"val AUC" and charted as "validation accuracy and AUC" without
saying they were the head's, beside a scorer that may be another model entirely."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import update
from textual.widgets import DataTable

from hea_campaign.db.tables import AuditEvent, ModelVersion
from hea_campaign.tui.app import CampaignApp
from hea_campaign.tui.present.training_report import format_versions

from .test_app import wait_for
from .test_screen_fit import screen_lines
from .test_snapshots import fixed_store  # noqa: F401

SCORED = {"val_accuracy": 0.861, "val_auc": 0.917, "train_seconds": 21.0, "scorer": "forest+extra_trees",
          "scorer_validation": {"forest": {"accuracy": 0.8, "roc_auc": 0.9},
                                "forest+extra_trees": {"accuracy": 0.902, "roc_auc": 0.951}}}

CURVE = [{"epoch": 0, "loss": 2.0, "val_accuracy": 0.7, "val_auc": 0.8},
         {"epoch": 10, "loss": 1.0, "val_accuracy": 0.861, "val_auc": 0.917}]


@pytest.mark.sqlite_only("drawn from a copy of the SQLite seed file")
async def test_the_models_screen_names_the_scorer_and_the_head(fixed_store):  # noqa: F811
    from hea_campaign.tui.app.models_screen import ModelsScreen

    with fixed_store.write() as s:
        s.exec(update(ModelVersion).values(metrics=SCORED))
        s.add(AuditEvent(campaign_id=fixed_store.campaign_id, actor="tester", action="model.train",
                         entity="model_version", entity_id=1, payload={"curve": CURVE}))
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.panes_ready.wait()
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, ModelsScreen) and app.screen.curve is not None)
        await pilot.pause()
        (vid,) = app.screen.versions
        table = app.screen.query_one("#versions-table", DataTable)
        cells = {key: str(table.get_cell(str(vid), key)) for key in
                 ("scorer acc", "scorer AUC", "SSVAE head acc", "SSVAE head AUC")}
        assert cells == {"scorer acc": "0.902", "scorer AUC": "0.951", "SSVAE head acc": "0.861",
                         "SSVAE head AUC": "0.917"}
        lines = screen_lines(app)
        header = next(line for line in lines if "version" in line)
        for name in cells:  # whole at 80 columns
            assert name in header, header
        title = f"v{vid} SSVAE head val accuracy, AUC"  # the chart's
        assert any(title in line for line in lines), "\n".join(lines)
        detail = str(app.screen.query_one("#version-detail").render())
        assert ("scorer (ranks candidates): forest+extra_trees, validation accuracy 0.902, ROC AUC 0.951 "
                "(chosen on these alloys)") in detail
        assert "SSVAE head (its curves are charted): validation accuracy 0.861, ROC AUC 0.917" in detail


def _row(metrics: dict) -> SimpleNamespace:
    return SimpleNamespace(id=3, active=True, created_at=datetime(2026, 1, 15, 9, 30, tzinfo=UTC), metrics=metrics,
                           n_labelled=1229, seed=0, data_hash="0" * 64)


def test_models_prints_the_scorer_beside_the_head():
    header, row, legend = format_versions([_row(SCORED)]).splitlines()
    assert header.split()[3:11] == ["scorer", "acc", "scorer", "AUC", "SSVAE", "head", "acc", "SSVAE"], header
    assert row.split()[4:8] == ["0.902", "0.951", "0.861", "0.917"], row
    assert "scorer = the model that ranks candidates" in legend and "SSVAE head = " in legend


def test_a_version_without_scorer_figures_shows_none_for_the_scorer():
    """Too few validation alloys: the default forest ranks, with no figures; the head's are not put in its place."""
    _, row, _ = format_versions([_row({"val_accuracy": 0.861, "val_auc": 0.917, "scorer": "forest"})]).splitlines()
    assert row.split()[4:8] == ["-", "-", "0.861", "0.917"], row
    # a version from before scorers: its head ranked, so the head's figures are the scorer's too
    _, row, _ = format_versions([_row({"val_accuracy": 0.861, "val_auc": 0.917})]).splitlines()
    assert row.split()[4:8] == ["0.861", "0.917", "0.861", "0.917"], row


@pytest.mark.sqlite_only("a copy of the SQLite seed file")
def test_the_propose_tab_gives_the_scorer_s_accuracy(fixed_store):  # noqa: F811
    """The Propose tab's line on the model that ranks proposals gave the head's accuracy as the model's."""
    from hea_campaign.campaign.model_catalog import active_version_line

    with fixed_store.write() as s:
        s.exec(update(ModelVersion).values(metrics=SCORED))
    assert "scorer val accuracy 0.902" in active_version_line(fixed_store)


@pytest.mark.sqlite_only("drawn from a copy of the SQLite seed file")
async def test_activating_from_the_models_screen_asks_first_and_no_keeps_the_active_version(fixed_store):  # noqa: F811
    """One key swaps the model every proposal uses, lab-wide: `a` asks (No focused), naming both versions'
    figures and that the chosen one scores lower; only a yes activates; `a` on the active one only says so."""
    from hea_campaign.campaign.model_versions import get_version
    from hea_campaign.tui.app.modals import ConfirmModal
    from hea_campaign.tui.app.models_screen import ModelsScreen

    with fixed_store.write() as s:
        first = s.get(ModelVersion, 1)
        s.add(ModelVersion(**{**first.model_dump(exclude={"id"}), "active": False,
                              "metrics": {"val_accuracy": 0.843, "val_auc": 0.880}}))
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(120, 40)) as pilot:
        await app.panes_ready.wait()
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, ModelsScreen) and len(app.screen.versions) == 2)
        models = app.screen
        table = models.query_one("#versions-table", DataTable)
        table.move_cursor(row=table.get_row_index("1"))
        await pilot.press("a")  # the active one: nothing to ask
        await pilot.pause()
        assert app.screen is models
        table.move_cursor(row=table.get_row_index("2"))
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        question = str(app.screen.query_one(".modal-title").render())
        assert question.startswith("v2 scores lower than the active v1. Make version v2 the active one"), question
        assert "v2: accuracy 0.843, ROC AUC 0.880; v1: accuracy 0.861, ROC AUC 0.917" in question
        await pilot.press("enter")  # No has the focus: a stray Enter declines
        await wait_for(pilot, lambda: app.screen is models)
        assert get_version(fixed_store).id == 1
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await wait_for(pilot, lambda: get_version(fixed_store).id == 2)
