"""The whole lab loop on the seed dataset, end to end, through the campaign services.

import (fixture) -> train (fixture) -> propose from three multi-phase alloys
(proximal inversion) -> approve two, reject one -> export the two as a 20 g
synthesis batch -> enter their lab results (one single phase, one not) ->
correct one result -> retrain.  After every step the audit trail must have
grown by exactly the events of that step's changes, and at the end the store's
counts, the export file's masses and the new model version's training labels
must be what the lab did.
"""

from __future__ import annotations

import csv
from decimal import Decimal

import pytest

from pymatgen.core import Element
from sqlmodel import col, func, select

from hea_campaign.campaign.chemistry import parse_formula
from hea_campaign.campaign.export import export_batch
from hea_campaign.campaign.lifecycle import approve, reject
from hea_campaign.campaign.model_versions import get_version, list_versions
from hea_campaign.campaign.proposals import ProposalRequest, propose
from hea_campaign.campaign.results import add_result, correct_result
from hea_campaign.campaign.retraining import comparison_ids, retrain
from hea_campaign.campaign.status import campaign_status
from hea_campaign.campaign.training_set import snapshot
from hea_campaign.db.tables import Alloy, AuditEvent, Candidate, ExportBatch, Measurement

ACTOR = "lab-tester"
MASS_G = 20


def _count(store, table) -> int:
    with store.read() as s:
        return s.exec(select(func.count()).select_from(table)).one()


class AuditLog:
    """Checks that a step wrote exactly the audit events of its changes (and that the count agrees)."""

    def __init__(self, store):
        self.store = store
        self.last_id, self.total = self._state()

    def _state(self) -> tuple[int, int]:
        with self.store.read() as s:
            return (s.exec(select(func.max(AuditEvent.id))).one() or 0,
                    s.exec(select(func.count()).select_from(AuditEvent)).one())

    def step(self, expected: list[tuple[str, str, int]]) -> list[AuditEvent]:
        """Events since the last step, checked against (action, entity, entity_id) triples."""
        with self.store.read() as s:
            events = list(s.exec(select(AuditEvent).where(AuditEvent.id > self.last_id).order_by(AuditEvent.id)))
        last_id, total = self._state()
        got = sorted((e.action, e.entity, e.entity_id) for e in events)
        assert got == sorted(expected), f"audit events {got} != expected {sorted(expected)}"
        assert total - self.total == len(expected), "events were added outside this step's transaction"
        assert {e.actor for e in events} <= {ACTOR}, {e.actor for e in events}
        assert all(e.campaign_id == self.store.campaign_id for e in events)
        self.last_id, self.total = last_id, total
        return events


def _multi_phase_starts(store, n: int) -> list[str]:
    """Fallback starts: labelled multi-phase alloys of the store, in formula order (deterministic)."""
    from hea_campaign.campaign.labels import alloy_labels

    with store.read() as s:
        states = alloy_labels(s, store.campaign_id)
    return sorted(st.alloy.formula for st in states.values()
                  if st.label is False and not st.alloy.outside_vocabulary)[:n]


def test_lab_loop_end_to_end(trained_store, tmp_path):
    store = trained_store
    v1 = get_version(store)  # the fixture's trained, active model
    ts1 = snapshot(store)
    status0 = campaign_status(store)
    n_measurements0 = _count(store, Measurement)
    audit = AuditLog(store)

    # --- propose: three multi-phase alloys of the store, proximal inversion ----------------------------
    outcomes = [propose(store, ProposalRequest(mode="invert", from_multi_phase=3, inversion="proximal"), by=ACTOR)]
    ids = list(outcomes[0].candidate_ids)
    if len(ids) < 3:  # a start that did not reach the cutoff: invert more starts, chosen deterministically
        starts = [f for f in _multi_phase_starts(store, 40) if f not in outcomes[0].paths]
        outcomes.append(propose(store, ProposalRequest(mode="invert", starts=starts, inversion="proximal",
                                                       batch=3 - len(ids)), by=ACTOR))
        ids += outcomes[-1].candidate_ids
    assert len(ids) >= 3, [o.dropped for o in outcomes]
    audit.step([("candidate.propose", "candidate", cid) for o in outcomes for cid in o.candidate_ids]
               + [("proposal.run", "proposal_run", o.run_id) for o in outcomes if o.run_id is not None])
    with store.read() as s:
        cands = {c.id: c for c in s.exec(select(Candidate).where(col(Candidate.id).in_(ids)))}
        formula_of = {cid: s.get(Alloy, c.alloy_id).formula for cid, c in cands.items()}
    for c in cands.values():
        assert c.status == "proposed" and c.origin == "invert:proximal" and c.model_version_id == v1.id
        assert c.p_single > 0.6 and c.change_at_pct is not None and c.path, c
    good, other, bad = ids[:3]

    # --- approve two, reject one with a reason ----------------------------------------------------------
    approve(store, [good, other], by=ACTOR)
    audit.step([("candidate.approve", "candidate", good), ("candidate.approve", "candidate", other)])
    reject(store, [bad], by=ACTOR, reason="too close to a known multi-phase alloy")
    (event,) = audit.step([("candidate.reject", "candidate", bad)])
    assert event.payload["reason"] == "too close to a known multi-phase alloy"

    # --- export the two approved as a 20 g synthesis batch ------------------------------------------------
    out = tmp_path / "batch.csv"
    res = export_batch(store, ids=[good, other], mass=MASS_G, unit="g", out=out, by=ACTOR)
    audit.step([("export_batch.create", "export_batch", res.batch_id),
                ("candidate.export", "candidate", good), ("candidate.export", "candidate", other)])
    with out.open(newline="") as fh:
        rows = {int(r["candidate_id"]): r for r in csv.DictReader(fh)}
    assert set(rows) == {good, other}
    for cid, row in rows.items():
        comp = parse_formula(row["formula"])
        assert row["formula"] == formula_of[cid]
        assert row["target_mass"] == "20.0000" and row["mass_unit"] == "g"
        fractions = comp.as_dict()
        grams = {el: Decimal(row[f"grams_{el}"]) for el in fractions}
        assert sum(grams.values()) == Decimal(MASS_G)  # exactly, to the 0.1 mg
        molar = {el: x * float(Element(el).atomic_mass) for el, x in fractions.items()}
        total = sum(molar.values())
        for el, x in fractions.items():
            wt = 100 * molar[el] / total  # by hand, from pymatgen's atomic masses
            assert abs(float(row[f"wt_pct_{el}"]) - wt) <= 0.5e-4 + 1e-9, (el, row[f"wt_pct_{el}"], wt)
            assert abs(float(row[f"at_pct_{el}"]) - 100 * x) <= 0.5e-4 + 1e-9
            assert abs(float(grams[el]) - MASS_G * wt / 100) <= 1e-4 + 1e-9  # within one 0.1 mg unit
        absent = [k for k, v in row.items() if k.startswith("grams_") and k[6:] not in fractions]
        assert all(row[k] == "" for k in absent)
    with store.read() as s:
        batch = s.get(ExportBatch, res.batch_id)
    assert sorted(batch.candidate_ids) == sorted([good, other]) and batch.mass_g == MASS_G

    # --- lab results for the two exported candidates: one single phase, one not --------------------------
    m_good = add_result(store, candidate_id=good, single_phase=True, phases="FCC", method="XRD", by=ACTOR)
    audit.step([("measurement.add", "measurement", m_good.id), ("candidate.measure", "candidate", good)])
    m_other = add_result(store, candidate_id=other, single_phase=False, phases="FCC+BCC", method="XRD", by=ACTOR)
    audit.step([("measurement.add", "measurement", m_other.id), ("candidate.measure", "candidate", other)])

    # --- the second result was wrong: correct it (a new measurement superseding the old one) ---------------
    m_fix = correct_result(store, m_other.id, single_phase=True, phases="BCC", by=ACTOR,
                           notes="second scan: the extra peaks came from the sample holder")
    audit.step([("measurement.correct", "measurement", m_fix.id)])
    assert m_fix.supersedes_id == m_other.id and m_fix.candidate_id == other
    assert m_fix.method == "XRD"  # inherited from the corrected measurement

    # --- retrain on the new labels (not activated) ------------------------------------------------------
    trained, comparison = retrain(store, seed=0, epochs=60, by=ACTOR)
    v2 = trained.version
    audit.step([("model.train", "model_version", v2.id)])

    # --- the store's counts ------------------------------------------------------------------------------
    status = campaign_status(store)
    n_new = len(ids)
    assert status.alloys == status0.alloys + n_new  # one alloy per candidate; results added none
    assert status.measurements == status0.measurements + 2  # current ones: the corrected result is superseded
    assert _count(store, Measurement) == n_measurements0 + 3  # append-only: all three are kept
    assert status.candidates == {"proposed": n_new - 3, "approved": 0, "rejected": 1, "exported": 0, "measured": 2,
                                 "failed": 0}
    assert status.labelled == status0.labelled + 2
    assert status.single_phase == status0.single_phase + 2 and status.multi_phase == status0.multi_phase
    assert status.proposed_only == status0.proposed_only + n_new - 2
    assert _count(store, ExportBatch) == 1
    assert [v.id for v in list_versions(store)] == [v1.id, v2.id]
    assert get_version(store).id == v1.id and not comparison.activated  # retraining does not activate

    # --- the new version learned from the new labels, the correction's included --------------------------
    with store.read() as s:
        alloy_of = {cid: s.get(Candidate, cid).alloy_id for cid in (good, other, bad)}
    ts2 = snapshot(store)
    label = dict(zip(ts2.lab_ids.tolist(), ts2.y_lab.tolist(), strict=True))
    assert label[alloy_of[good]] == 1.0
    assert label[alloy_of[other]] == 1.0  # the correction (single phase), not the first result (multi phase)
    assert alloy_of[bad] not in label and alloy_of[bad] not in ts2.unlab_ids.tolist()  # proposed only: left out
    assert alloy_of[good] not in ts1.lab_ids.tolist() and alloy_of[other] not in ts1.lab_ids.tolist()
    assert len(ts2.y_lab) == len(ts1.y_lab) + 2
    assert trained.training_set.data_hash() == ts2.data_hash() == v2.data_hash != v1.data_hash
    assert v1.data_hash == ts1.data_hash()
    train1, val1 = ts1.validation_split(0.1, 0)
    train2, val2 = ts2.validation_split(0.1, 0)
    held = comparison_ids(ts2.lab_ids, ts2.X_lab)  # kept out of v2 for the comparison
    kept2 = [i for i in train2 if int(ts2.lab_ids[i]) not in held]
    assert v1.n_labelled == len(train1) and v2.n_labelled == len(kept2)
    assert comparison.new_id == v2.id and comparison.active_id == v1.id
    assert comparison.n_heldout == len(held) > 0
    # v1 trained or was selected on every label it had: only the two new labels can be unseen
    # by both versions, and only if they fall in the comparison share
    v1_unused = {alloy_of[good], alloy_of[other]}
    assert comparison.n_unseen_by_both == len(held & v1_unused)
    if comparison.n_unseen_by_both == 0:
        # no row unseen by both: the fair figures are absent, and the kept-out rows (which favour v1) are shown
        assert comparison.new_unseen is None and comparison.active_unseen is None
        assert comparison.new["n"] == comparison.active["n"] == comparison.n_heldout



@pytest.mark.parametrize("strategy", ["balanced", "greedy"])
def test_proposing_until_every_candidate_is_stored_ends_with_an_empty_batch(trained_store, strategy):
    """The same latent points asked again and again run out of new alloys; the last run says why, never crashes."""
    req = ProposalRequest(mode="latent", latent=[(0.0, 0.0), (0.5, -0.5)], batch=1, strategy=strategy)
    for _ in range(12):
        out = propose(trained_store, req, by=ACTOR)
        if not out.candidate_ids:
            break
    assert out.candidate_ids == [] and out.run_id is None
    assert out.dropped["already in the store"] >= 1, out.dropped


def test_train_takes_the_expert_prior_and_keeps_it_with_the_version(seeded_store, capsys):
    """DESIGN.md section 5: y ~ Bernoulli(r), r an expert prior (default 0.5); --prior-r sets it."""
    from hea_campaign.campaign.model_versions import list_versions
    from hea_campaign.tui.cli import main

    assert main(["train", "--epochs", "1", "--prior-r", "0.3", "--db", seeded_store.url]) == 0
    said = capsys.readouterr().out  # the seed dataset has no unlabelled alloys: r had nothing to weigh
    assert "used by the unlabelled term: 0" in said and "--prior-r acts only on them" in said, said
    assert main(["train", "--epochs", "1", "--db", seeded_store.url]) == 0
    assert "--prior-r" not in capsys.readouterr().out
    versions = sorted(list_versions(seeded_store), key=lambda v: v.id)
    assert [v.config["prior_r"] for v in versions[-2:]] == [0.3, 0.5]
