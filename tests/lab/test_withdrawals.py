"""A lab result that should never have been entered is withdrawn: recorded as a fact of its own (a
withdrawal row, migration 0007), never deleted or changed; labels, training, candidate statuses, result
matching, the history and the results browser follow.  Runs on SQLite and PostgreSQL (--backend)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from hea_campaign.campaign.candidates import _lab_results
from hea_campaign.campaign.errors import CampaignError
from hea_campaign.campaign.export import measured_already
from hea_campaign.campaign.labels import alloy_labels
from hea_campaign.campaign.results import contradiction, correct_result, history, prepare, record_result
from hea_campaign.campaign.results_browser import count_results, list_results, result_chain
from hea_campaign.campaign.status import campaign_status
from hea_campaign.campaign.training_set import snapshot
from hea_campaign.campaign.withdrawals import withdraw_result
from hea_campaign.db.tables import Alloy, AuditEvent, Candidate, Measurement
from hea_campaign.tui.present.report import format_history
from hea_campaign.tui.present.results_text import count_line, format_chain, result_cells
from hea_campaign.tui.present.views import lab_result_lines

from .conftest import candidate_statuses, counts, insert_candidates
from .test_lab_cli import _ok, _refused


def _state(store, formula: str) -> tuple[str, int]:
    """The label state and count of current measurements the database keeps on the alloy row."""
    with store.read() as s:
        a = s.exec(select(Alloy).where(Alloy.formula == formula)).one()
        return a.label_state, a.n_current


def _label(store, formula: str) -> tuple[bool | None, bool, int]:
    with store.read() as s:
        lab = next(x for x in alloy_labels(s, store.campaign_id).values() if x.alloy.formula == formula)
        return lab.label, lab.conflict, lab.n_measurements


def _rows(engine) -> list:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, alloy_id, single_phase, phases, notes, operator, candidate_id, "
                                 "supersedes_id, withdrawn FROM measurement ORDER BY id")).all()
        conn.rollback()
    return [tuple(r) for r in rows]


def test_withdrawing_the_only_result_leaves_the_alloy_without_result_and_out_of_training(store):
    m = record_result(store, "CoCrFeNi", single_phase=True, phases="FCC", method="XRD").measurement
    record_result(store, "FeNi", single_phase=False, phases="FCC+BCC")
    assert _state(store, "CoCrFeNi") == ("single", 1)
    before = _rows(store.engine)

    w = withdraw_result(store, m.id, reason="typed against the wrong alloy", by="amy")

    assert w.withdrawn.id == m.id and w.withdrawal.supersedes_id == m.id and w.withdrawal.withdrawn
    assert w.label_state == "none" and w.reopened == []
    assert _state(store, "CoCrFeNi") == ("none", 0)  # the database's trigger leaves the withdrawal out
    assert _label(store, "CoCrFeNi") == (None, False, 0)  # "no result", not an unlabelled result
    after = _rows(store.engine)
    assert after[: len(before)] == before and len(after) == len(before) + 1  # nothing changed, one row added
    new = after[-1]
    assert (new[2], new[4], new[5], new[7], bool(new[8])) == (None, "typed against the wrong alloy", "amy", m.id, True)
    ts = snapshot(store)
    assert m.alloy_id not in set(ts.lab_ids.tolist()) and m.alloy_id not in set(ts.unlab_ids.tolist())
    assert ts.lab_formulas == ["FeNi"]
    s = campaign_status(store)
    assert (s.labelled, s.unlabelled, s.measurements) == (1, 0, 1)
    with store.read() as s:
        ev = s.exec(select(AuditEvent).where(AuditEvent.action == "measurement.withdraw")).one()
    assert (ev.actor, ev.entity_id, ev.payload["withdraws"], ev.payload["reason"]) == (
        "amy", w.withdrawal.id, m.id, "typed against the wrong alloy")


def test_withdrawing_one_of_two_conflicting_results_resolves_the_conflict(store):
    right = record_result(store, "FeNi", single_phase=True, phases="FCC").measurement
    wrong = record_result(store, "FeNi", single_phase=False, phases="FCC+BCC").measurement
    assert _state(store, "FeNi") == ("conflict", 2) and _label(store, "FeNi") == (None, True, 2)
    assert snapshot(store).excluded["conflicting labels"] == 1

    withdraw_result(store, wrong.id, reason="duplicate entry of another ingot's sheet")

    assert _state(store, "FeNi") == ("single", 1) and _label(store, "FeNi") == (True, False, 1)
    ts = snapshot(store)
    assert ts.lab_formulas == ["FeNi"] and ts.y_lab.tolist() == [1] and ts.excluded["conflicting labels"] == 0
    h = history(store, "FeNi")
    assert (h.label, h.conflict) == (True, False)
    assert right.id not in {e.superseded_by for e in h.entries}


def test_the_candidate_goes_back_to_exported_and_its_real_result_can_be_entered(store):
    wrong, other = insert_candidates(store, ["FeNi", "CoCrFeNi"], status="exported")
    typo = record_result(store, candidate_id=wrong, single_phase=True, phases="FCC", by="amy").measurement
    assert candidate_statuses(store, [wrong, other]) == {wrong: "measured", other: "exported"}
    with store.read() as s:
        cands = s.exec(select(Candidate).order_by(Candidate.id)).all()
        assert measured_already(s, store, cands[:1])  # the export warns: FeNi was measured

    w = withdraw_result(store, typo.id, reason="typed against candidate %d, was %d" % (wrong, other), by="bob")

    assert w.reopened == [wrong]
    assert candidate_statuses(store, [wrong, other]) == {wrong: "exported", other: "exported"}
    with store.read() as s:
        ev = s.exec(select(AuditEvent).where(AuditEvent.entity == "candidate", AuditEvent.entity_id == wrong)
                    .order_by(AuditEvent.id.desc())).first()
        cands = s.exec(select(Candidate).order_by(Candidate.id)).all()
        assert measured_already(s, store, cands[:1]) == []  # nothing says what FeNi is any more
    assert ev.action == "candidate.reopen" and ev.actor == "bob"
    assert ev.payload["withdrawn_measurement_id"] == typo.id and ev.payload["withdrawal_id"] == w.withdrawal.id
    # result matching: a new result is no contradiction of the withdrawn one, nor a duplicate of it
    with store.read() as s:
        assert contradiction(s, store, prepare(formula=None, candidate_id=wrong, single_phase=False)) is None
    real = record_result(store, candidate_id=wrong, single_phase=False, phases="FCC+BCC", by="amy")
    assert real.candidate_moved and candidate_statuses(store, [wrong]) == {wrong: "measured"}
    assert _state(store, "FeNi") == ("multi", 1)
    with store.read() as s:
        lab = {r["id"]: r for r in _lab_results(s, store.campaign_id, wrong, "FeNi")}
    shown = "\n".join(lab_result_lines(list(lab.values())))
    assert f"measurement {typo.id}: single phase (FCC), by amy  [b]WITHDRAWN[/b]" in shown and "typed against" in shown
    assert lab[typo.id]["withdrawn"]["reason"].startswith("typed against") and not lab[typo.id]["current"]
    assert lab[real.measurement.id]["current"] and lab[real.measurement.id]["withdrawn"] is None
    assert w.withdrawal.id not in lab  # the withdrawal is no lab result of its own


def test_a_candidate_with_another_current_result_stays_measured(store):
    (cid,) = insert_candidates(store, ["FeNi"], status="exported")
    first = record_result(store, candidate_id=cid, single_phase=True, phases="FCC", method="XRD").measurement
    twice = record_result(store, candidate_id=cid, single_phase=True, phases="FCC", method="XRD",
                          ).measurement
    w = withdraw_result(store, twice.id, reason="entered twice")
    assert w.reopened == [] and candidate_statuses(store, [cid]) == {cid: "measured"}
    assert _state(store, "FeNi") == ("single", 1) and first.id != twice.id


def test_refusals_name_the_problem_and_write_nothing(store):
    m = record_result(store, "FeNi", single_phase=True).measurement
    fixed = correct_result(store, m.id, single_phase=False, phases="FCC+BCC")
    other = record_result(store, "CoCrFeNi", single_phase=True).measurement
    w = withdraw_result(store, other.id, reason="test entry")
    before = counts(store)
    cases = [
        (dict(measurement_id=999_999, reason="x"), "no measurement with id 999999"),
        (dict(measurement_id=m.id, reason="x"), f"already corrected by measurement {fixed.id}"),
        (dict(measurement_id=other.id, reason="again"), f"already withdrawn (by measurement {w.withdrawal.id}: test entry)"),
        (dict(measurement_id=w.withdrawal.id, reason="x"), f"itself the withdrawal of measurement {other.id}"),
        (dict(measurement_id=fixed.id, reason="   "), "say why the result is withdrawn"),
        (dict(measurement_id=fixed.id, reason=None), "say why the result is withdrawn"),
        (dict(measurement_id=fixed.id, reason="a\x1b[31mred"), "reason"),
    ]
    for kwargs, said in cases:
        with pytest.raises(CampaignError) as exc:
            withdraw_result(store, **kwargs)
        assert said in str(exc.value)
    # a withdrawn result, or the withdrawal, is no result to correct either
    with pytest.raises(CampaignError, match=f"withdrawn by measurement {w.withdrawal.id}"):
        correct_result(store, other.id, single_phase=False)
    with pytest.raises(CampaignError, match="is the withdrawal of measurement"):
        correct_result(store, w.withdrawal.id, single_phase=False)
    assert counts(store) == before


def test_a_published_result_is_not_withdrawn(store):
    """A dataset's row (the literature) was not entered by the lab; as ``result correct`` asks for
    --literature, withdrawing it is refused and names that way instead; so is a correction of one."""
    with store.write() as s:
        a = Alloy(campaign_id=store.campaign_id, formula="CoCrFeNi", composition={"Co": .25, "Cr": .25, "Fe": .25,
                                                                                   "Ni": .25}, n_elements=4)
        s.add(a)
        s.flush()
        pub = Measurement(alloy_id=a.id, single_phase=True, phases="FCC", source="import:seed.csv")
        s.add(pub)
        s.flush()
        pub_id = pub.id
    before = counts(store)
    with pytest.raises(CampaignError, match="published result .* --literature"):
        withdraw_result(store, pub_id, reason="x")
    fixed = correct_result(store, pub_id, single_phase=False, phases="FCC+BCC", literature=True)
    with pytest.raises(CampaignError, match=f"correction of published result {pub_id}"):
        withdraw_result(store, fixed.id, reason="x")
    assert counts(store)["measurement"] == before["measurement"] + 1


def test_history_browser_and_chain_show_the_withdrawn_result_with_reason_who_and_when(store):
    m = record_result(store, "FeNi", single_phase=True, phases="FCC", method="XRD", by="amy").measurement
    keep = record_result(store, "FeNi", single_phase=True, phases="FCC", method="SEM", by="amy").measurement
    w = withdraw_result(store, m.id, reason="[red]test[/red] entry", operator="Zoë", by="bob")

    h = history(store, "FeNi")
    entries = {e.entity_id: e for e in h.entries if e.kind == "measurement"}
    assert entries[m.id].superseded_by == w.withdrawal.id
    assert entries[m.id].details["withdrawn"]["reason"] == "[red]test[/red] entry"
    assert entries[w.withdrawal.id].action == "measurement.withdraw" and entries[w.withdrawal.id].actor == "bob"
    out = format_history(h)
    assert "current label single phase" in out
    assert f"(WITHDRAWN by measurement {w.withdrawal.id}, " in out and "by Zoë: [red]test[/red] entry)" in out
    assert f"measurement {w.withdrawal.id}: WITHDRAWS measurement {m.id}: [red]test[/red] entry" in out

    rows = {r.id: r for r in list_results(store)}
    assert rows[m.id].withdrawn and not rows[m.id].current and rows[keep.id].current
    assert rows[w.withdrawal.id].withdrawal and not rows[w.withdrawal.id].current
    assert result_cells(rows[m.id])["state"] == f"WITHDRAWN ({w.withdrawal.id})"
    cells = result_cells(rows[w.withdrawal.id])
    assert (cells["single"], cells["phases"], cells["state"], cells["operator"]) == (
        "withdrawal", "[red]test[/red] entry", f"withdraws {m.id}", "Zoë")
    chain = result_chain(store, m.id)
    assert [r.id for r in chain] == [m.id, w.withdrawal.id]
    text_ = format_chain(chain, m.id)
    assert f"withdrawn by {w.withdrawal.id}, nothing counts" in text_ and f"WITHDRAWN by {w.withdrawal.id}" in text_
    counts = count_results(store)  # the browser's header: the withdrawal is no result, nor a correction
    assert (counts.results, counts.corrected, counts.withdrawn) == (2, 0, 1)
    assert ", 0 corrected, 1 withdrawn, " in count_line(counts, 2, 0)


def test_the_database_still_refuses_to_change_or_delete_a_withdrawal(store):
    m = record_result(store, "FeNi", single_phase=True).measurement
    w = withdraw_result(store, m.id, reason="test entry")
    before = _rows(store.engine)
    for statement in ("UPDATE measurement SET withdrawn = NOT withdrawn WHERE id = :w",
                      "DELETE FROM measurement WHERE id = :w"):
        with pytest.raises(DBAPIError, match="append-only"):
            with store.engine.begin() as conn:
                conn.execute(text(statement), {"w": w.withdrawal.id})
    assert _rows(store.engine) == before


def test_the_cli_withdraws_refuses_in_one_line_and_history_shows_it(capsys, store):
    db = ["--db", store.url]
    (cid,) = insert_candidates(store, ["FeNi"], status="exported")
    _ok(capsys, "result", "add", "--candidate", str(cid), "--single-phase", "yes", "--phases", "FCC", "--by", "amy", *db)
    with store.read() as s:
        mid = s.exec(select(Measurement.id)).one()
    before = counts(store)
    assert "say why" in _refused(capsys, "result", "withdraw", str(mid), *db)
    assert "say why" in _refused(capsys, "result", "withdraw", str(mid), "--reason", "", *db)
    assert "no measurement with id 4242" in _refused(capsys, "result", "withdraw", "4242", "--reason", "x", *db)
    assert "the measurement id" in _refused(capsys, "result", "withdraw", "0", "--reason", "x", *db)
    assert counts(store) == before
    out = _ok(capsys, "result", "withdraw", str(mid), "--reason", "typed against the wrong candidate",
              "--operator", "Ann", "--by", "bob", *db)
    assert f"Withdrew measurement {mid}: single phase (FCC) for FeNi (candidate {cid})" in out
    assert "FeNi now: no current result" in out and f"exported again, awaiting their own result: candidate {cid}" in out
    assert "already withdrawn" in _refused(capsys, "result", "withdraw", str(mid), "--reason", "x", *db)
    out = _ok(capsys, "history", "FeNi", *db)
    assert "current label none (no current result)" in out
    assert "(WITHDRAWN by measurement" in out and "by Ann: typed against the wrong candidate)" in out
    assert f"candidate {cid}: reopen (measured -> exported)" in out
    _ok(capsys, "result", "add", "--candidate", str(cid), "--single-phase", "no", "--phases", "FCC+BCC", *db)
    assert candidate_statuses(store, [cid]) == {cid: "measured"}
