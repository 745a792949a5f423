"""Failed syntheses, voided batches, and the sane-mass check: the lab loop's other outcomes."""

from __future__ import annotations

import pytest
from sqlmodel import select

from hea_campaign.campaign.errors import CampaignError
from hea_campaign.campaign.export import MassNeedsConfirmation, export_batch
from hea_campaign.campaign.export_batches import void_batch
from hea_campaign.campaign.lifecycle import TransitionError, approve, fail
from hea_campaign.campaign.results import add_result
from hea_campaign.campaign.status import campaign_status
from hea_campaign.db.tables import AuditEvent, ExportBatch

from .conftest import candidate_statuses, counts, insert_candidates


def _exported(store, tmp_path, formulas, name="b.csv", **kw):
    ids = insert_candidates(store, formulas)
    approve(store, ids, by="alice")
    return ids, export_batch(store, mass=20, out=tmp_path / name, by="bob", **kw)


@pytest.mark.parametrize("reason", ["cracked", "oxidised", "incomplete-melting", "other"])
def test_a_failed_synthesis_is_its_own_outcome_with_a_reason(store, tmp_path, reason):
    (cid, other), _ = _exported(store, tmp_path, ["FeNi", "CoCrFeNi"])
    before = counts(store)
    (cand,) = fail(store, [cid], reason, notes="ingot split on cooling", by="carol")
    assert cand.status == "failed" and cand.status_reason == f"{reason}: ingot split on cooling"
    assert candidate_statuses(store, [cid, other]) == {cid: "failed", other: "exported"}
    after = counts(store)
    assert after["measurement"] == before["measurement"]  # not a phase label: no measurement
    assert after["audit"] == before["audit"] + 1
    with store.read() as s:
        event = s.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.actor, event.entity_id) == ("candidate.fail", "carol", cid)
    assert event.payload["failure"] == reason and event.payload["from"] == "exported"
    status = campaign_status(store)
    assert status.candidates["failed"] == 1 and status.candidates["exported"] == 1
    assert status.labelled == 0  # a failure teaches nothing about phases
    with pytest.raises(CampaignError, match="results can only be entered for exported"):
        add_result(store, candidate_id=cid, single_phase=True)
    (again,) = approve(store, [cid], by="alice")  # another try
    assert again.status == "approved"


def test_failing_is_refused_for_bad_reasons_and_unexported_candidates(store, tmp_path):
    (cid,), _ = _exported(store, tmp_path, ["FeNi"])
    (proposed,) = insert_candidates(store, ["CoCrFeNi"])
    before = counts(store)
    with pytest.raises(CampaignError, match="unknown failure reason 'melted'.*cracked, oxidised"):
        fail(store, [cid], "melted")
    with pytest.raises(TransitionError, match=f"candidate {proposed} is proposed"):
        fail(store, [cid, proposed], "cracked")
    assert counts(store) == before


def test_voiding_a_batch_returns_its_candidates_to_approved_and_keeps_the_file(store, tmp_path):
    ids, res = _exported(store, tmp_path, ["FeNi", "CoCrFeNi"])
    content = res.path.read_bytes()
    before = counts(store)
    out = void_batch(store, res.batch_id, "wrong target mass", by="dave")
    assert out.candidate_ids == ids and out.voided_by == "dave"
    assert set(candidate_statuses(store, ids).values()) == {"approved"}
    assert res.path.read_bytes() == content  # the file stays
    with store.read() as s:
        batch = s.get(ExportBatch, res.batch_id)
        events = s.exec(select(AuditEvent).where(AuditEvent.id > before["audit"])).all()
    assert batch.voided_at is not None and batch.void_reason == "wrong target mass" and batch.voided_by == "dave"
    assert sorted(e.action for e in events) == ["candidate.void"] * 2 + ["export_batch.void"]
    assert campaign_status(store).voided_batches == 1
    # the candidates can go out again, in a new batch
    again = export_batch(store, mass=25, out=tmp_path / "again.csv", by="bob")
    assert again.candidate_ids == ids
    with pytest.raises(CampaignError, match="already voided by dave"):
        void_batch(store, res.batch_id, "twice")


def test_a_batch_with_outcomes_or_no_reason_cannot_be_voided(store, tmp_path):
    (a, b), res = _exported(store, tmp_path, ["FeNi", "CoCrFeNi"])
    add_result(store, candidate_id=a, single_phase=True)
    before = counts(store)
    with pytest.raises(CampaignError, match=f"candidate.*{a} \\(measured\\).*Nothing was changed"):
        void_batch(store, res.batch_id, "oops")
    with pytest.raises(CampaignError, match="say why"):
        void_batch(store, res.batch_id, "  ")
    with pytest.raises(CampaignError, match="no export batch 99"):
        void_batch(store, 99, "oops")
    assert counts(store) == before


def test_approving_an_exported_candidate_points_at_voiding(store, tmp_path):
    (cid,), _ = _exported(store, tmp_path, ["FeNi"])
    with pytest.raises(TransitionError, match="void its export batch"):
        approve(store, [cid])


@pytest.mark.parametrize(("mass", "unit"), [(1e9, "g"), (1001, "g"), (2_000_000, "mg"), (20, "mg"), (0.05, "g")])
def test_an_insane_mass_needs_confirmation(store, tmp_path, mass, unit):
    ids = insert_candidates(store, ["FeNi"])
    approve(store, ids)
    before = counts(store)
    out = tmp_path / "b.csv"
    with pytest.raises(MassNeedsConfirmation, match=("more than" if mass > 1000 else "less than") + ".*--yes"):
        export_batch(store, mass=mass, unit=unit, out=out)
    assert counts(store) == before and not out.exists()
    with store.read() as s:
        assert s.exec(select(ExportBatch)).all() == []
    res = export_batch(store, mass=mass, unit=unit, out=out, confirm=True)
    assert res.candidate_ids == ids and out.exists()


def test_a_sane_mass_needs_no_confirmation(store, tmp_path):
    ids = insert_candidates(store, ["FeNi"])
    approve(store, ids)
    assert export_batch(store, mass=1000, unit="g", out=tmp_path / "b.csv").candidate_ids == ids


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_batch_files_and_backups_follow_the_umask(store, tmp_path, umask):
    import os
    import stat

    from hea_campaign.campaign.backup import backup_at

    approve(store, insert_candidates(store, ["FeNi"]))
    old = os.umask(umask)
    try:
        res = export_batch(store, mass=20, out=tmp_path / "b.csv")
        copy = backup_at(store.url, tmp_path / "copy.db") if store.url.startswith("sqlite") else None
    finally:
        os.umask(old)
    assert stat.S_IMODE(res.path.stat().st_mode) == 0o666 & ~umask
    if copy is not None:
        assert stat.S_IMODE(copy.path.stat().st_mode) == 0o666 & ~umask
    assert not list(tmp_path.glob(".*.tmp"))  # still written through a temporary file, none left
