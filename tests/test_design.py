"""The design engine against a real (briefly trained) model and a real store."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from sqlmodel import select

from hea_campaign.campaign.chemistry import parse_formula
from hea_campaign.campaign.constraints import Constraints
from hea_campaign.campaign.errors import CampaignError
from hea_campaign.campaign.inversion import invert
from hea_campaign.campaign.model_versions import get_version, load_version
from hea_campaign.campaign.proposals import ProposalRequest, propose, reference_for
from hea_campaign.campaign.uncertainty import assess
from hea_campaign.db.tables import Alloy, AuditEvent, Candidate, ProposalRun
from hea_campaign.model.vocabulary import DEFAULT_VOCABULARY as V


def _model(store):
    version = get_version(store)
    model, X, y = load_version(version)
    return version, model, reference_for(version, model, X, y)


def _stored(store, ids):
    with store.read() as s:
        rows = s.exec(select(Candidate, Alloy).join(Alloy, Alloy.id == Candidate.alloy_id)
                      .where(Candidate.id.in_(ids))).all()
    return rows


def test_inversion_keeps_every_step_and_reports_change(trained_store):
    _, model, _ = _model(trained_store)
    x0 = np.stack([parse_formula(f).vector(V) for f in ["Al1.4Co0.9Cr1.4Cu0.5Fe0.9Ni1", "AlCoCrFeNiTi"]])
    for mode in ("paper", "latent-steps", "proximal"):
        res = invert(model, x0, mode=mode, cutoff=0.6, max_steps=8)
        assert [len(p) for p in res.paths] == list(res.steps + 1)
        assert np.allclose(res.final.sum(axis=1), 1)
        assert np.allclose(res.final * 100, np.round(res.final * 100))  # 1 at.% granularity
        expected = 50 * np.abs(res.final - x0).sum(axis=1)
        assert np.allclose(res.change_at_pct, expected)
        assert np.array_equal(res.reached, res.p_final > 0.6)
        for path, pf in zip(res.paths, res.p_final):
            assert path[-1][1] == pytest.approx(pf)


def test_keep_elements_never_adds_an_element(trained_store):
    _, model, _ = _model(trained_store)
    x0 = parse_formula("AlCoCrFeNi").vector(V)[None]
    res = invert(model, x0, mode="proximal", keep_elements=True, max_steps=10)
    assert np.isfinite(res.final).all() and np.allclose(res.final.sum(axis=1), 1)
    for path in res.paths:
        for x, _ in path:
            assert set(np.flatnonzero(x > 0)) <= set(np.flatnonzero(x0[0] > 0))


def test_screening_run_is_stored_with_provenance_constraints_and_dedup(trained_store):
    c = Constraints(max_fraction={"Al": 0.2}, min_elements=4, granularity=0.05)
    req = ProposalRequest(mode="screen", screen_elements=["Fe", "Ni", "Co", "Cr", "Al"], step=0.05,
                          constraints=c, batch=6, strategy="balanced")
    out = propose(trained_store, req, by="alice")
    assert len(out.candidate_ids) == 6
    version = get_version(trained_store)
    with trained_store.read() as s:
        run = s.get(ProposalRun, out.run_id)
        events = s.exec(select(AuditEvent).where(AuditEvent.action == "candidate.propose")).all()
    assert run.mode == "screen" and run.model_version_id == version.id and run.created_by == "alice"
    assert run.params["constraints"]["max_fraction"] == {"Al": 0.2} and run.params["batch"] == 6
    assert len(events) == 6 and {e.actor for e in events} == {"alice"}
    for cand, alloy in _stored(trained_store, out.candidate_ids):
        assert cand.status == "proposed" and cand.proposal_run_id == out.run_id
        assert cand.model_version_id == version.id
        comp = alloy.composition
        assert sum(comp.values()) == pytest.approx(1)
        assert comp.get("Al", 0) <= 0.2 + 1e-9 and len(comp) >= 4
        assert set(comp) <= {"Fe", "Ni", "Co", "Cr", "Al"}
        assert all(abs(v * 20 - round(v * 20)) < 1e-9 for v in comp.values())
    # the same request again cannot return the same alloys
    again = propose(trained_store, req, by="alice")
    first = {a.formula for _, a in _stored(trained_store, out.candidate_ids)}
    second = {a.formula for _, a in _stored(trained_store, again.candidate_ids)}
    assert not first & second


def test_a_batch_on_a_coarse_grid_holds_no_two_neighbours(trained_store):
    """At a 5 at.% grid the greedy batch was eight Al5-Co-Cr-Fe-Ni alloys, sixteen pairs one step apart: picks are
    now more than one grid step apart (every element), and a batch comes out short rather than hold a near copy."""
    c = Constraints(min_elements=4, max_elements=5, granularity=0.05)
    req = ProposalRequest(mode="screen", screen_elements=["Fe", "Ni", "Co", "Cr", "Al"], step=0.05,
                          constraints=c, batch=8)
    for strategy in ("greedy", "explore"):
        out = propose(trained_store, replace(req, strategy=strategy), by="alice")
        X = np.stack([alloy_vector(a) for _, a in _stored(trained_store, out.candidate_ids)])
        gap = np.abs(X[:, None, :] - X[None, :, :]).max(-1) + np.eye(len(X))
        assert len(X) >= 2 and gap.min() > 0.05 + 1e-9, (strategy, gap.min())


def test_select_distinct_leaves_a_batch_short_rather_than_fill_it_with_near_copies():
    from hea_campaign.campaign.acquisition import distinct_at, select_distinct

    X = np.array([[0.5, 0.5], [0.51, 0.49], [0.3, 0.7], [0.29, 0.71]])
    scores = np.array([4.0, 3.0, 2.0, 1.0])
    assert select_distinct(scores, X, 4) == [0, 2, 1, 3]  # a replay keeps its batch size
    assert select_distinct(scores, X, 4, fill=False) == [0, 2]
    assert select_distinct(scores, X, 4, distinct_at(0.25), fill=False) == [0]  # within one 25 at.% step
    assert distinct_at(0.01) == 0.02 and distinct_at(None) == 0.02


def alloy_vector(alloy) -> np.ndarray:
    return np.array([alloy.composition.get(e, 0.0) for e in V])


def test_a_cancelled_proposal_stores_nothing(trained_store):
    """Cancel used to end screening early and store the part screened so far as a run."""
    def counts():
        with trained_store.read() as s:
            return len(s.exec(select(ProposalRun)).all()), len(s.exec(select(Candidate)).all())

    before = counts()
    seen = []
    req = ProposalRequest(mode="screen", screen_elements=["Fe", "Ni", "Co", "Cr", "Al"], step=0.05, batch=6)
    out = propose(trained_store, req, progress=lambda d, t: seen.append(d), should_stop=lambda: len(seen) > 0)
    assert out is None and counts() == before
    assert propose(trained_store, req, should_stop=lambda: False) is not None  # not stopped: stored as usual
    assert counts()[0] == before[0] + 1


def test_dataset_alloys_are_never_proposed_again(trained_store):
    with trained_store.read() as s:
        known = {a.formula for a in s.exec(select(Alloy))}
    req = ProposalRequest(mode="screen", screen_elements=["Co", "Cr", "Fe", "Ni", "Mn"], step=0.2, batch=50,
                          constraints=Constraints())
    out = propose(trained_store, req)
    got = {a.formula for _, a in _stored(trained_store, out.candidate_ids)}
    assert not got & known
    assert "CoCrFeMnNi" in known and out.dropped["known (measured) alloy"] >= 1
    # a measured alloy comes back as known, with its measured label, not as a new candidate
    cantor = next(k for k in out.known if k["formula"] == "CoCrFeMnNi")
    assert cantor["measured"] == "CoCrFeMnNi" and cantor["label"] == "single phase" and cantor["distance_at_pct"] == 0


def test_latent_generation_reports_the_consistency_gap(trained_store):
    req = ProposalRequest(mode="latent", latent=[[0, 0], [1, -1], [-2, 2], [3, 3]], p_target=0.9, batch=4)
    out = propose(trained_store, req)
    for cand, _ in _stored(trained_store, out.candidate_ids):
        gap = cand.uncertainty["consistency_gap"]
        assert gap == pytest.approx(abs(0.9 - cand.p_single), abs=1e-3)
        assert ("inconsistent" in {f["flag"] for f in cand.flags}) == (gap > 0.2)


def test_out_of_range_and_low_density_flags_on_hand_made_alloys(trained_store):
    _, model, ref = _model(trained_store)
    strange = np.stack([parse_formula(f).vector(V) for f in ["Li", "AuLi3MgSn", "CoCrFeMnNi"]])
    a = assess(model, ref, strange)
    flags = [{f["flag"] for f in fl} for fl in a.flags]
    assert "out_of_range" in flags[0] and "out_of_range" in flags[1]
    assert "out_of_range" not in flags[2]
    reason = next(f["reason"] for f in a.flags[0] if f["flag"] == "out_of_range")
    assert "outside" in reason and "training range" in reason
    far = assess(model, ref, strange[:1])
    assert far.density_percentile[0] <= a.density_percentile[2] or "low_density" in flags[0]


def test_bad_requests_are_refused_clearly(trained_store):
    with pytest.raises(CampaignError, match="outside the model vocabulary"):
        propose(trained_store, ProposalRequest(mode="screen", screen_elements=["Fe", "B"]))
    with pytest.raises(CampaignError, match="unknown strategy"):
        propose(trained_store, ProposalRequest(mode="screen", screen_elements=["Fe", "Ni"], strategy="greediest"))
    with pytest.raises(CampaignError, match="not a chemical element"):
        propose(trained_store, ProposalRequest(mode="invert", starts=["Qq"]))
    with pytest.raises(CampaignError, match="latent points need 2"):
        propose(trained_store, ProposalRequest(mode="latent", latent=[[0, 0, 0]]))


def test_propose_without_a_model_says_what_to_do(seeded_store):
    with pytest.raises(CampaignError, match="train"):
        propose(seeded_store, ProposalRequest(mode="screen", screen_elements=["Fe", "Ni"]))


def test_greedy_proposals_rank_with_the_prior_of_the_labels_the_version_learnt(trained_store, monkeypatch):
    """propose's greedy adds the physics prior for as many labels as the version learnt from
    (training + validation rows), over the candidates it ranks."""
    from hea_campaign.model import physics_rule

    seen = []
    real = physics_rule.physics_prior
    monkeypatch.setattr(physics_rule, "physics_prior", lambda X, n, voc: seen.append((len(X), n)) or real(X, n, voc))
    req = ProposalRequest(mode="screen", screen_elements=["Fe", "Ni", "Co", "Cr", "Al"], step=0.1, batch=3,
                          constraints=Constraints(min_elements=4), strategy="greedy")
    out = propose(trained_store, req)
    version = get_version(trained_store)
    _, _, y = load_version(version)
    from hea_campaign.campaign.model_versions import version_arrays

    learnt = len(y) + len(version_arrays(version)["val_ids"])
    with trained_store.read() as s:
        labelled = s.exec(select(Alloy).where(Alloy.label_state.in_(["single", "multi"]))).all()
    assert len(out.candidate_ids) == 3
    assert seen and all(n == learnt for _, n in seen) and all(m > 3 for m, _ in seen)
    assert learnt == version.n_labelled + len(version_arrays(version)["val_ids"]) <= len(labelled)
    assert out.prior_weight == pytest.approx(physics_rule.PRIOR_LABELS / learnt)
    from hea_campaign.tui.present.design_report import proposal_summary

    assert any(f"at most +{out.prior_weight:.3f} to p" in line for line in proposal_summary(req, out))
    balanced = propose(trained_store, ProposalRequest(mode="screen", screen_elements=["Fe", "Ni", "Co", "Cr", "Mn"],
                                                      step=0.1, batch=2, constraints=Constraints(min_elements=4),
                                                      strategy="balanced"))
    assert balanced.prior_weight is None
    assert not any("physics rule" in line for line in proposal_summary(req, balanced))


def test_keep_elements_with_a_start_element_the_space_bans_is_refused_before_any_work(trained_store):
    """A review: --from CoCrFeNi --keep-elements --banned Co stored CrFeNi (the kept element dropped)."""
    from hea_campaign.campaign.status import campaign_status

    before = campaign_status(trained_store).candidates
    for space in (Constraints(banned={"Co"}, min_elements=3), Constraints(allowed={"Cr", "Fe", "Ni", "Mn"}, min_elements=3)):
        req = ProposalRequest(mode="invert", starts=["CoCrFeNi"], inversion="proximal", keep_elements=True,
                              constraints=space)
        with pytest.raises(CampaignError, match=r"--keep-elements keeps every element .*\(CoCrFeNi has Co\)"):
            propose(trained_store, req)
    assert campaign_status(trained_store).candidates == before


def test_keep_elements_draws_multi_phase_starts_only_among_alloys_the_space_allows(trained_store):
    """A review: with Co banned, --from-multi-phase N --keep-elements was refused whenever a random draw
    held Co, and the advice named alloys the user never chose."""
    req = ProposalRequest(mode="invert", from_multi_phase=8, inversion="proximal", keep_elements=True,
                          max_steps=3, constraints=Constraints(banned={"Co"}, min_elements=3))
    out = propose(trained_store, req)
    assert out.paths and all("Co" not in parse_formula(start).elements for start in out.paths)
