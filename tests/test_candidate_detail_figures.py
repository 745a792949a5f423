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
