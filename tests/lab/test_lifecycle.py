"""Candidate status moves: every legal and illegal move, all-or-nothing batches, one audit event per move."""

from __future__ import annotations

import itertools

import pytest
from sqlmodel import select

from hea_campaign.campaign import lifecycle
from hea_campaign.campaign.errors import CampaignError
from hea_campaign.campaign.lifecycle import TransitionError, approve, parse_ids, reject
from hea_campaign.campaign.store import CampaignStore, current_user
from hea_campaign.db import store as q
from hea_campaign.db.tables import CANDIDATE_STATUSES, AuditEvent

from .conftest import candidate_statuses, counts, insert_candidates

# Written out by hand (not read from lifecycle.TRANSITIONS) so a change to the table must change this test too.
LEGAL = {
    ("proposed", "approved"),
    ("proposed", "rejected"),
    ("approved", "rejected"),
    ("approved", "exported"),
    ("rejected", "approved"),
    ("exported", "measured"),
    ("exported", "failed"),
    ("exported", "approved"),  # only by voiding the export batch
    ("measured", "exported"),  # only by moving its result to another candidate
    ("failed", "approved"),
    ("failed", "exported"),  # only by withdrawing a failure recorded by mistake
}
TARGETS = ("approved", "rejected", "exported", "measured", "failed")


def _move(store, cid, target, by="alice", reason=None, start=None):
    if target == "approved" and start == "exported":
        with store.write() as s:
            return lifecycle.mark_unexported(s, store.campaign_id, [cid], by=by, batch_id=1, reason=reason)
    if target == "failed":
        return lifecycle.fail(store, [cid], "cracked", notes=reason, by=by)
    if target == "exported" and start == "failed":
        return lifecycle.withdraw_failure(store, [cid], reason or "typed in error", by=by)
    if target == "approved":
        return approve(store, [cid], by=by, reason=reason)
    if target == "rejected":
        return reject(store, [cid], by=by, reason=reason)
    with store.write() as s:
        if target == "exported" and start == "measured":
            return lifecycle.mark_reopened(s, store.campaign_id, [cid], by=by, measurement_id=1)
        if target == "exported":
            return lifecycle.mark_exported(s, store.campaign_id, [cid], by=by, batch_id=None)
        return [lifecycle.mark_measured(s, store.campaign_id, cid, by=by, measurement_id=None)]


def test_the_table_is_the_one_documented():
    got = {(a, b) for a, targets in lifecycle.TRANSITIONS.items() for b in targets}
    assert got == LEGAL
    assert set(lifecycle.TRANSITIONS) == set(CANDIDATE_STATUSES)


@pytest.mark.parametrize(("start", "target"), list(itertools.product(CANDIDATE_STATUSES, TARGETS)))
def test_every_move_is_allowed_or_refused_as_the_table_says(store, start, target):
    (cid,) = insert_candidates(store, ["FeNi"], status=start)
    before = counts(store)
    if (start, target) in LEGAL:
        moved = _move(store, cid, target, reason="because" if target in ("approved", "rejected") else None,
                      start=start)
        assert [c.id for c in moved] == [cid]
        assert candidate_statuses(store, [cid]) == {cid: target}
        after = counts(store)
        assert after["audit"] == before["audit"] + 1
        with store.read() as s:
            event = s.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
            cand = q.candidates_by_id(s, store.campaign_id, [cid])[cid]
        assert (event.entity, event.entity_id, event.actor) == ("candidate", cid, "alice")
        assert event.payload["from"] == start and event.payload["to"] == target
        verb = lifecycle.ACTION_FOR_MOVE.get((start, target), lifecycle.ACTION_FOR[target])
        assert event.action == f"candidate.{verb}"
        assert cand.updated_at == event.at
        if target in ("approved", "rejected") and start != "exported":
            assert cand.status_reason == "because" and event.payload["reason"] == "because"
        if target == "failed":
            assert cand.status_reason == "cracked" and event.payload["failure"] == "cracked"
    else:
        with pytest.raises(TransitionError) as err:
            _move(store, cid, target)
        msg = str(err.value)
        assert f"candidate {cid}" in msg and f"is {start}" in msg and "Allowed from" in msg
        assert counts(store) == before


def test_only_a_moved_result_reopens_a_measured_candidate(store):
    (cid,) = insert_candidates(store, ["FeNi"], status="measured")
    with store.write() as s, pytest.raises(TransitionError, match=f"candidate {cid} is measured; cannot export"):
        lifecycle.mark_exported(s, store.campaign_id, [cid], batch_id=None)
    with pytest.raises(TransitionError, match="result correct MEASUREMENT --candidate ID"):
        approve(store, [cid])  # the message says what a person does instead
    assert candidate_statuses(store, [cid]) == {cid: "measured"}


def test_a_batch_with_one_illegal_move_changes_nothing(store):
    ids = insert_candidates(store, ["FeNi", "CoCrFeNi"]) + insert_candidates(store, ["AlCoCrFeNi"], status="exported")
    before = counts(store)
    with pytest.raises(TransitionError, match=rf"candidate {ids[2]} is exported.*Nothing was changed"):
        approve(store, ids, by="alice")
    assert counts(store) == before
    approve(store, ids[:2], by="alice")
    assert candidate_statuses(store, ids) == {ids[0]: "approved", ids[1]: "approved", ids[2]: "exported"}
    assert counts(store)["audit"] == before["audit"] + 2


def test_audit_events_equal_mutations(store):
    ids = insert_candidates(store, ["FeNi", "CoCrFeNi", "AlCoCrFeNi", "CoCrFeMnNi"])
    start = counts(store)["audit"]
    approve(store, ids[:3], by="a")
    reject(store, ids[2:], by="b", reason="too expensive")
    approve(store, [ids[3]], by="c")
    assert counts(store)["audit"] == start + 3 + 2 + 1
    with store.read() as s:
        events = q.audit_events_for(s, "candidate", ids)
    assert [(e.entity_id, e.action, e.actor) for e in events] == [
        (ids[0], "candidate.approve", "a"), (ids[1], "candidate.approve", "a"), (ids[2], "candidate.approve", "a"),
        (ids[2], "candidate.reject", "b"), (ids[3], "candidate.reject", "b"), (ids[3], "candidate.approve", "c"),
    ]  # fmt: skip


def test_who_defaults_to_the_current_user_and_reasons_are_checked(store):
    ids = insert_candidates(store, ["FeNi", "CoCrFeNi"])
    approve(store, [ids[0]])
    with store.read() as s:
        assert q.recent_events(s, store.campaign_id, 1)[0].actor == current_user()
    with pytest.raises(CampaignError, match="at most 1000"):
        reject(store, [ids[1]], reason="x" * 1001)
    reject(store, [ids[1]], reason="   ")  # blank reason -> none
    with store.read() as s:
        assert q.candidates_by_id(s, store.campaign_id, [ids[1]])[ids[1]].status_reason is None


def test_unknown_ids_and_other_campaigns_are_refused(store):
    (mine,) = insert_candidates(store, ["FeNi"])
    other = CampaignStore.open(store.url, campaign="other", actor="tester")
    (theirs,) = insert_candidates(other, ["FeNi"])
    before = counts(store)
    with pytest.raises(CampaignError, match=f"no candidate with id {theirs}"):
        approve(store, [mine, theirs])
    with pytest.raises(CampaignError, match="no candidates selected"):
        approve(store, [])
    assert counts(store) == before
    other.close()


def test_repeated_ids_move_once(store):
    (cid,) = insert_candidates(store, ["FeNi"])
    before = counts(store)["audit"]
    assert len(approve(store, [cid, cid])) == 1
    assert counts(store)["audit"] == before + 1


def test_parse_ids():
    assert parse_ids("1, 2,3") == [1, 2, 3]
    assert parse_ids(["4", "5,6"]) == [4, 5, 6]
    for bad in ("", "1,x", "0", "-1", "1.5"):
        with pytest.raises(CampaignError):
            parse_ids(bad)


def test_exporting_a_failed_candidate_says_to_approve_it_again(store):
    (cid,) = insert_candidates(store, ["FeNi"], status="failed")
    with store.write() as s, pytest.raises(TransitionError, match=r"approve it again for another try.*not-failed"):
        lifecycle.mark_exported(s, store.campaign_id, [cid], batch_id=None)
    assert candidate_statuses(store, [cid]) == {cid: "failed"}
