"""Snapshot tests of every screen at 80x24 and 120x40: fixed data, no blinking cursor.

The store is the real seed dataset plus candidates and a model version
written with fixed values and timestamps, so the pictures do not depend on
training or the clock.  Update with: pytest tests/tui --snapshot-update
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text, update

from hea_campaign.campaign.store import CampaignStore
from hea_campaign.db.tables import Alloy, AuditEvent, Campaign, Candidate, Measurement, ModelVersion, ProposalRun
from hea_campaign.tui.app import CampaignApp

pytestmark = pytest.mark.sqlite_only("the pictures are drawn from a copy of the SQLite seed file")

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
FIXED = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
CANDIDATES = [
    ("Al7Co23Cr19Fe26Ni25", 0.91, "approved", []),
    ("Co31Cr17Fe27Ni25", 0.88, "proposed", []),
    ("Al21Co13Cr17Fe18Ni19Ti12", 0.64, "proposed",
     [{"flag": "low_density", "reason": "latent density 0.001 is below the 5th percentile"}]),
    ("Cr13Mo19Nb17Ta18V14W19", 0.72, "rejected", [{"flag": "out_of_range", "reason": "Tm outside the training range"}]),
    ("Hf17Nb16Ta16Ti17Zr34", 0.95, "exported", []),
    ("Co19Cr18Fe19Mn18Ni17V9", 0.77, "proposed", [{"flag": "high_spread", "reason": "classifier heads disagree"}]),
]


def _fixed_model(folder):
    """An untrained SSVAE with seeded weights: deterministic p, latent points and SHAP values."""
    import numpy as np
    import torch

    from hea_campaign.campaign.chemistry import parse_formula
    from hea_campaign.campaign.datasets import fetch, read_table
    from hea_campaign.model.checkpoint import save_checkpoint
    from hea_campaign.model.descriptors import featurize
    from hea_campaign.model.ssvae import SSVAE, DescriptorScaler, SSVAEConfig
    from hea_campaign.model.training import fit_background

    # one row per formula string, in file order (fixed, so the pictures do not move when
    # the evaluation's row selection changes)
    seen, X, y = set(), [], []
    for row in read_table(fetch("yan2021")).rows:
        if row.text in seen or row.single_phase is None:
            continue
        seen.add(row.text)
        X.append(parse_formula(row.text, allow_zero=True).vector(SSVAEConfig().vocabulary))
        y.append(int(row.single_phase))
    X, y = np.array(X)[::4], np.array(y)[::4]
    torch.manual_seed(0)
    scaler = DescriptorScaler.fit(featurize(X))
    model = SSVAE(SSVAEConfig(seed=0), scaler)
    fit_background(model, scaler.transform(featurize(X)), k=16, seed=0)
    folder.mkdir()
    path = folder / "fixed.pt"
    sha = save_checkpoint(model, path)
    np.savez(folder / "fixed.reference.npz", X_lab=X, y_lab=y, train_ids=np.arange(len(y)))
    return str(path), sha


@pytest.fixture
def fixed_store(_seeded_template, tmp_path):
    path = tmp_path / "snap.db"
    shutil.copy(_seeded_template, path)
    store = CampaignStore.open(path, actor="tester")
    checkpoint, sha = _fixed_model(tmp_path / "snap.models")
    with store.write() as s:
        mv = ModelVersion(campaign_id=store.campaign_id, created_by="tester", created_at=FIXED, active=True,
                          metrics={"val_accuracy": 0.861, "val_auc": 0.917, "train_seconds": 21.0},
                          n_labelled=1229, seed=0, data_hash="0" * 64, checkpoint_path=checkpoint,
                          checkpoint_sha256=sha)
        s.add(mv)
        s.flush()
        run = ProposalRun(campaign_id=store.campaign_id, model_version_id=mv.id, mode="screen", created_at=FIXED,
                          created_by="tester", n_candidates=len(CANDIDATES))
        s.add(run)
        s.flush()
        from hea_campaign.campaign.chemistry import parse_formula

        for i, (formula, p, status, flags) in enumerate(CANDIDATES):
            comp = parse_formula(formula)
            alloy = Alloy(campaign_id=store.campaign_id, formula=comp.formula, composition=comp.as_dict(),
                          n_elements=len(comp), source=f"proposal:run {run.id}", created_at=FIXED)
            s.add(alloy)
            s.flush()
            s.add(Candidate(campaign_id=store.campaign_id, alloy_id=alloy.id, proposal_run_id=run.id,
                            model_version_id=mv.id, origin="screen", p_single=p, flags=flags, status=status,
                            path=[] if i else [{"step": 0, "formula": "Al0.5CoCrFeNi", "p": 0.41},
                                               {"step": 1, "formula": formula, "p": p}],
                            change_at_pct=None if i % 2 else 12.0 + i, latent_z=[0.1 * i, -0.2 * i],
                            created_at=FIXED, updated_at=FIXED))
            s.add(AuditEvent(campaign_id=store.campaign_id, actor="tester", action="candidate.propose",
                             entity="candidate", entity_id=i + 1, at=FIXED))
    with store.write() as s:
        # fixed timestamps for the pictures: this throwaway copy drops the append-only triggers to set them
        for trigger in ("trg_audit_event_no_update", "trg_measurement_no_update"):
            s.exec(text(f"DROP TRIGGER {trigger}"))
        for table in (AuditEvent, Measurement, Alloy, Campaign):
            column = {"AuditEvent": "at", "Measurement": "entered_at"}.get(table.__name__, "created_at")
            s.exec(update(table).values({column: FIXED}))
    yield store
    store.close()


def _steady(app) -> None:
    app.where = ("default", "sqlite:///snapshot.db", "")
    app.sub_title = app._fitted_where(app.size.width)
    for widget in app.query("Input"):
        widget.cursor_blink = False


async def _prepare(pilot) -> None:
    await pilot.app.panes_ready.wait()  # the tabs' panes are mounted after the first frame (Lazy)
    _steady(pilot.app)
    await pilot.pause()


def _app(store) -> CampaignApp:
    return CampaignApp(store, actor="tester")


@pytest.fixture(params=list(SIZES), ids=list(SIZES))
def size(request) -> tuple[int, int]:
    """Every screen is drawn at the smallest usual terminal and at a common large one."""
    return SIZES[request.param]


async def _until(pilot, predicate, tries: int = 1200) -> None:
    """Wait (up to 2 minutes: a busy machine is slow, never wrong) until ``predicate()`` holds."""
    for _ in range(tries):
        await pilot.pause(0.1)
        if predicate():
            return
    raise AssertionError("the app did not settle within 2 minutes")


def _widths_settled(table) -> bool:
    """Every column of a DataTable as wide as its widest cell: the table sizes its columns
    on its next idle moment after rows are added, which a loaded machine can delay past
    the picture (seen once: a results table drawn with its columns still at header width)."""
    from rich.cells import cell_len

    if getattr(table, "_require_update_dimensions", False) or getattr(table, "_new_rows", None) \
            or getattr(table, "_updated_cells", None):
        return False  # rows or cells added that the table has not measured yet (it does so when idle)
    return all(col.content_width >= max((cell_len(str(v)) for v in table.get_column(key)), default=0)
               for key, col in table.columns.items())


async def _tables_settled(pilot) -> None:
    from textual.widgets import DataTable

    await _until(pilot, lambda: all(_widths_settled(t) for t in pilot.app.screen.query(DataTable)))
    await _picture_steady(pilot)


async def _picture_steady(pilot, tries: int = 400) -> None:
    """Wait until two pictures 0.3 s apart are the same: whatever the app still had queued (a
    panel's scrollbar, a footer's bindings, a reload) has been drawn. CI once took a picture of
    the results browser that differed from a picture of the same state taken on a slower machine."""
    before = pilot.app.export_screenshot()
    for _ in range(tries):
        await pilot.pause(0.3)
        now = pilot.app.export_screenshot()
        if now == before:
            return
        before = now
    raise AssertionError("the picture did not settle within 2 minutes")


def test_dashboard(snap_compare, fixed_store, size):
    assert snap_compare(_app(fixed_store), terminal_size=size, run_before=_prepare)


async def _page_read(pilot) -> None:
    """The candidates' page read (in a worker) and in the table."""
    await _prepare(pilot)
    pane = pilot.app.query_one("#candidates-pane")
    await _until(pilot, lambda: pane.loaded and not pane.loading)


def test_candidates(snap_compare, fixed_store, size):
    assert snap_compare(_app(fixed_store), terminal_size=size, press=["c"], run_before=_page_read)


def test_propose(snap_compare, fixed_store, size):
    assert snap_compare(_app(fixed_store), terminal_size=size, press=["p"], run_before=_prepare)


def test_lab_results_with_a_field_error(snap_compare, fixed_store, size):
    async def before(pilot):
        await _prepare(pilot)
        await pilot.press("l")
        pilot.app.query_one("#r-formula").value = "Xx2Fe"
        await pilot.pause()

    assert snap_compare(_app(fixed_store), terminal_size=size, run_before=before)


def test_retrain(snap_compare, fixed_store, size):
    assert snap_compare(_app(fixed_store), terminal_size=size, press=["t"], run_before=_prepare)


def test_help(snap_compare, fixed_store, size):
    assert snap_compare(_app(fixed_store), terminal_size=size, press=["f1"], run_before=_prepare)


def test_error_modal(snap_compare, fixed_store, size):
    async def before(pilot):
        await _prepare(pilot)
        from hea_campaign.campaign.errors import CampaignError

        pilot.app.show_error(CampaignError("no active model: train one with `hea-campaign train --activate`"))
        await pilot.pause()

    assert snap_compare(_app(fixed_store), terminal_size=size, run_before=before)


def test_candidate_detail(snap_compare, fixed_store, size):
    async def before(pilot):
        await _page_read(pilot)
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("enter")
        await _until(pilot, lambda: "SHAP" in str(pilot.app.screen.query_one("#detail").render()))

    assert snap_compare(_app(fixed_store), terminal_size=size, run_before=before)


def test_latent_map(snap_compare, fixed_store, size):
    async def before(pilot):
        await _prepare(pilot)
        await pilot.press("m")
        await _until(pilot, lambda: "training alloys" in str(pilot.app.query_one("#map-caption").render()))
        await pilot.press("n")  # the second candidate, named under the caption
        await pilot.pause()

    assert snap_compare(_app(fixed_store), terminal_size=size, run_before=before)


def test_import_report(snap_compare, fixed_store, size, tmp_path, monkeypatch):
    (tmp_path / "more.csv").write_text("formula,single_phase\nAl10Cu10Fe30Ni50,yes\nAl10Cu10Fe30Ni50,no\n"
                                       "W30Mo30Xq40,no\nFe25Ni25Co25Pu25,yes\n")
    monkeypatch.chdir(tmp_path)

    async def before(pilot):
        await _prepare(pilot)
        from hea_campaign.campaign.importing import import_csv
        from hea_campaign.tui.present.import_text import format_full_report

        pilot.app.action_import_data("more.csv", run=False)
        await pilot.pause()
        screen = pilot.app.screen
        screen.query_one("#skip-bad").value = True
        # the import itself, without the worker, so the picture does not depend on thread timing
        report = import_csv(fixed_store, tmp_path / "more.csv", skip_bad=True, actor="tester")
        screen.show("Imported more.csv: 3 measurement(s) added.", format_full_report("alloys", report), "more.csv")
        screen.query_one("#report-path").value = "import-report.txt"
        await pilot.pause(0.5)  # pending messages (live refresh included), then a still picture
        pilot.app.clear_notifications()
        screen.query_one("#import-report-scroll").focus()
        _steady(pilot.app)
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()

    assert snap_compare(_app(fixed_store), terminal_size=size, run_before=before)


def test_results_browser(snap_compare, fixed_store, size):
    from hea_campaign.campaign.results import add_result, correct_result

    first = add_result(fixed_store, "Al0.3CoCrFeNiTi0.2", single_phase="yes", phases="FCC", method="XRD", by="ana",
                       measured_on="2026-01-10")
    correct_result(fixed_store, first.id, single_phase="no", phases="FCC+BCC", operator="ben", by="ben",
                   notes="second pattern")  # ben measured it again
    from hea_campaign.campaign.lifecycle import fail

    fail(fixed_store, [5], "cracked", notes="quenched too fast", by="ana")  # candidate 5 was exported
    with fixed_store.write() as s:
        s.exec(update(Measurement).values(entered_at=FIXED))
        s.exec(update(AuditEvent).where(AuditEvent.action == "candidate.fail").values(at=FIXED + timedelta(hours=1)))

    async def before(pilot):
        await _prepare(pilot)
        await pilot.press("b")
        await _until(pilot, lambda: getattr(pilot.app.screen, "rows", None))
        pilot.app.screen.query_one("#results-table").move_cursor(row=2)  # under the failed synthesis: a corrected result
        await _tables_settled(pilot)

    assert snap_compare(_app(fixed_store), terminal_size=size, run_before=before)


def test_models(snap_compare, fixed_store, size):
    async def before(pilot):
        await _prepare(pilot)
        await pilot.press("v")
        await _until(pilot, lambda: getattr(pilot.app.screen, "curve", None) is not None)
        await pilot.press("space")
        await _tables_settled(pilot)

    assert snap_compare(_app(fixed_store), terminal_size=size, run_before=before)


def test_export_dialog(snap_compare, fixed_store, size):
    async def before(pilot):
        from hea_campaign.tui.app.modals import ExportModal

        await _prepare(pilot)
        # over the dashboard: the candidate table behind it fills in batches, which made the picture vary
        pilot.app.push_screen(ExportModal(1, "synthesis-batch-1-2026-01-15.csv"))
        await pilot.pause(0.5)
        pilot.app.screen.query_one("#ok").focus()  # no text cursor, whose blink phase would vary
        await pilot.pause()

    assert snap_compare(_app(fixed_store), terminal_size=size, run_before=before)


def test_simulation_dialog(snap_compare, fixed_store, size):
    async def before(pilot):
        await _prepare(pilot)
        await pilot.press("S")
        await _until(pilot, lambda: pilot.app.screen.query("#sim-run"))
        _steady(pilot.app)
        await pilot.pause()

    assert snap_compare(_app(fixed_store), terminal_size=size, run_before=before)
