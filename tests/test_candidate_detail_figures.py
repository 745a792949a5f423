"""Figures of the candidate detail that a user review found misleading: the cost per ingot for the mass
the candidate was really exported at, the novelty cutoff beside the nearest distance, and one density in
the list and the detail."""

from __future__ import annotations

import pytest

from hea_campaign.campaign.export import export_batch
from hea_campaign.campaign.export_batches import void_batch
from hea_campaign.campaign.lifecycle import approve
from hea_campaign.campaign.read_models import candidate_detail
from hea_campaign.tui.present.views import candidate_detail_text

from .tui.test_app import with_candidates


def _cost_line(store, cid) -> str:
    text = candidate_detail_text(candidate_detail(store, cid, with_shap=False)).plain
    [line] = [ln for ln in text.splitlines() if "raw-material cost" in ln]
    return line


def test_the_cost_per_ingot_is_for_the_mass_of_the_candidates_export_batch(trained_store, tmp_path):
    ids = with_candidates(trained_store, 2)
    d = candidate_detail(trained_store, ids[0], with_shap=False)
    assert d.ingot_g == 20 and d.ingot_batch is None
    assert "USD per 20 g ingot (the default mass: not exported;" in _cost_line(trained_store, ids[0])
    approve(trained_store, ids, by="setup")
    first = export_batch(trained_store, ids=[ids[0]], mass=15, out=tmp_path / "a.csv", by="setup")
    export_batch(trained_store, ids=[ids[1]], mass=15000, unit="mg", out=tmp_path / "b.csv", by="setup")
    for cid in ids:
        d = candidate_detail(trained_store, cid, with_shap=False)
        assert d.ingot_g == pytest.approx(15) and d.cost_per_ingot == pytest.approx(d.cost_per_kg * 0.015)
        assert f"USD per 15 g ingot (the mass of export batch {d.ingot_batch};" in _cost_line(trained_store, cid)
    void_batch(trained_store, first.batch_id, "wrong mass", by="setup")  # back to approved: no batch of its own
    assert "USD per 20 g ingot (the default mass" in _cost_line(trained_store, ids[0])


def test_the_detail_puts_the_novel_cutoff_in_at_pct_beside_the_nearest_distance(trained_store):
    from hea_campaign.campaign.model_versions import get_version, version_arrays
    from hea_campaign.campaign.uncertainty import Reference

    [cid] = with_candidates(trained_store, 1)
    d = candidate_detail(trained_store, cid, with_shap=False)
    ref = Reference.from_arrays(version_arrays(get_version(trained_store, d.candidate.model_version_id)), [])
    assert d.novel_cutoff == (pytest.approx(ref.novelty_threshold), 95.0)
    nt = d.candidate.uncertainty["nearest_training_alloy"]
    text = candidate_detail_text(d).plain
    assert (f"nearest training alloy: {nt['formula']}, {nt['distance_at_pct']:.1f} at.% away; "
            f"flagged novel beyond {ref.novelty_threshold:.1f} at.%") in text
    assert "the cutoff is their 95th)" in text
    flagged = any(f.name == "novel" for f in d.candidate.flags)  # the flag itself is computed as before
    assert flagged == (nt["distance_at_pct"] > ref.novelty_threshold)


TIE = "Co5Cr34Fe28Ni33"  # rule-of-mixtures 7.98460 g/cm3: 7.98, but 7.985 (kept to 0.001) shows as 7.99


def test_the_list_and_the_detail_show_one_density(trained_store):
    """A candidate's density was rounded from its stored 0.001 g/cm3 value in the list and from the
    unrounded estimate in the detail: 7.99 in one, 7.98 in the other."""
    from hea_campaign.campaign.chemistry import parse_formula
    from hea_campaign.campaign.economics import density
    from hea_campaign.campaign.read_models import candidates_with_ids
    from hea_campaign.db.tables import Alloy, Candidate
    from hea_campaign.tui.present.design_report import format_candidate_table

    [cid] = with_candidates(trained_store, 1)
    comp = parse_formula(TIE)
    rho = float(density([list(comp.fractions)], list(comp.elements))[0])
    assert f"{round(rho, 3):.2f}" != f"{rho:.2f}"  # the composition rounds two ways
    with trained_store.write() as s:  # a candidate of TIE, stored as proposals store one
        like = s.get(Candidate, cid)
        alloy = Alloy(campaign_id=trained_store.campaign_id, formula=comp.formula, composition=comp.as_dict(),
                      n_elements=len(comp), source="proposal")
        s.add(alloy)
        s.flush()
        row = Candidate(campaign_id=like.campaign_id, alloy_id=alloy.id, proposal_run_id=like.proposal_run_id,
                        model_version_id=like.model_version_id, origin=like.origin, p_single=like.p_single,
                        uncertainty={**like.uncertainty, "density_g_cm3": round(rho, 3)}, latent_z=like.latent_z)
        s.add(row)
        s.flush()
        tie = row.id
    listed = format_candidate_table(candidates_with_ids(trained_store, [tie])).splitlines()[1]
    detail = candidate_detail_text(candidate_detail(trained_store, tie, with_shap=False)).plain
    [shown] = [ln for ln in detail.splitlines() if ln.strip().startswith("density:")]
    value = shown.split()[1]
    assert f" {value} " in listed, (listed, shown)


def test_the_candidate_list_says_its_costs_are_at_the_prices_when_proposed():
    """The list shows the cost stored when a candidate was proposed; after a lab price list, `candidate ID` and
    the export give today's (8.70 in the list, 7.45 in the detail): the legend says which the list shows, also
    when it has no other column to explain (no second opinion, no change)."""
    from types import SimpleNamespace

    from hea_campaign.tui.present.design_report import format_candidate_table

    row = SimpleNamespace(id=6, formula="Cr17Cu17Fe22Mn17Ni27", p_single=0.61, change_at_pct=None,
                          uncertainty={"cost_usd_per_kg": 8.7, "density_g_cm3": 8.114}, status="approved",
                          model_version_id=1, flag_names=[])
    text = format_candidate_table([row], total=1)
    assert "8.70" in text.splitlines()[1]
    assert "USD/kg: raw materials at the prices when proposed (hea-campaign candidate ID: today's)" in text
