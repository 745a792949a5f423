"""Splits, metrics and the baseline of the evaluation module."""

from __future__ import annotations

import numpy as np
import pytest

from hea_campaign.model import evaluation as ev


def _disjoint_cover(split, n):
    parts = [split.labelled, split.unlabelled, split.validation, split.test]
    allrows = np.concatenate(parts)
    assert len(allrows) == len(np.unique(allrows)) == n


def test_paper_split_proportions_stratified_seeded(seed_data):
    _, y, _ = seed_data
    a = ev.paper_split(y, 0)
    _disjoint_cover(a, len(y))
    sizes = a.sizes()
    assert sizes["test"] == 138 and sizes["validation"] in (74, 75)
    assert abs(sizes["labelled"] - 864) <= 2 and abs(sizes["unlabelled"] - 296) <= 2
    for part in (a.labelled, a.test, a.validation):
        assert abs(y[part].mean() - y.mean()) < 0.03
    b = ev.paper_split(y, 0)
    c = ev.paper_split(y, 1)
    assert np.array_equal(a.test, b.test) and not np.array_equal(a.test, c.test)


def test_grouped_split_keeps_near_duplicates_together(seed_data):
    X, y, _ = seed_data
    groups = ev.near_duplicate_groups(X)
    assert len(np.unique(groups)) < len(X)  # the data do have near-duplicates
    sp = ev.grouped_split(X, y, 3)
    _disjoint_cover(sp, len(y))
    where = {}
    for name in ("labelled", "unlabelled", "validation", "test"):
        for g in np.unique(groups[getattr(sp, name)]):
            where.setdefault(g, set()).add(name)
    assert all(len(v) == 1 for v in where.values())
    assert 110 <= len(sp.test) <= 170 and abs(y[sp.test].mean() - y.mean()) < 0.06


def test_split_from_labels(seed_data):
    _, _, s = seed_data
    sp = ev.split_from_labels(s)
    assert sp.sizes() == {"labelled": 864, "unlabelled": 296, "validation": 75, "test": 138}
    assert list(sp.labels(len(s))) == list(s)
    with pytest.raises(ValueError):
        ev.split_from_labels(["labelled", "train"])


def test_metrics_and_summary():
    y = np.array([0, 0, 1, 1])
    m = ev.classification_metrics(y, np.array([0.1, 0.6, 0.4, 0.9]))
    assert m["accuracy"] == 0.5 and m["roc_auc"] == 0.75
    s = ev.summarise([{"a": 1.0}, {"a": 3.0}])
    assert s["a"][0] == 2.0 and s["a"][1] == pytest.approx(np.sqrt(2))
    txt = ev.format_table([["x", 1]], ["name", "value"])
    assert "name" in txt and "x" in txt


def test_one_seed_gives_no_spread_and_prints_none():
    """A review: `evaluate --seeds 1` printed every cell as '0.838 +/- 0.000', which reads as no variation."""
    import math

    from hea_campaign.tui.present.evaluation_text import _metrics

    one = ev.summarise([{"a": 0.838}])
    assert one["a"][0] == 0.838 and math.isnan(one["a"][1])
    assert ev._ms(one["a"]) == "0.838" and ev._ms((0.5, 0.0)) == "0.500 +/- 0.000"
    runs = [{"accuracy": 0.7, "roc_auc": 0.8, "n": 9}]
    assert _metrics(runs + runs) == "accuracy 0.700 +/- 0.000, ROC AUC 0.800 +/- 0.000 (n=9)"


def test_subsample_labelled_moves_rest_to_unlabelled(seed_data):
    _, y, s = seed_data
    sp = ev.split_from_labels(s)
    sub = ev.subsample_labelled(sp, y, 247, 0)
    assert len(sub.labelled) == 247
    assert len(sub.unlabelled) == len(sp.unlabelled) + 864 - 247
    assert np.array_equal(sub.test, sp.test)
    _disjoint_cover(sub, len(y))


def test_gb_baseline_runs_on_paper_split(seed_data):
    X, y, s = seed_data
    m = ev.gb_baseline(X, y, ev.split_from_labels(s))
    assert m["test_accuracy"] > 0.75 and m["test_roc_auc"] > 0.85
    assert m["train_accuracy"] >= m["test_accuracy"] - 0.05


def test_external_evaluation(trained, seed_data):
    X, y, s = seed_data
    res, _ = trained
    test = s == "test"
    m = ev.evaluate_external(res.model, X[test], y[test])
    assert m["n"] == test.sum() and 0.6 < m["accuracy"] <= 1


def test_the_protocol_table_marks_validation_rows_a_model_was_fitted_on():
    """The scorer and the reference models learn from the validation rows: their val figures (a forest's
    1.000) are marked val* and explained, the SSVAE head's (which only chose its epoch there) are not."""
    from hea_campaign.model.evaluation import ProtocolResult, format_protocol

    m = {f"{part}_{k}": (0.9, 0.01) for part in ("train", "val", "test") for k in ("accuracy", "roc_auc")}
    text = format_protocol(ProtocolResult("paper", True, [], {"ssvae": m, "scorer": m, "random_forest": m}))
    parts = {(line.split()[0], line.split()[1]) for line in text.splitlines()[1:] if line.split()[:1]
             and line.split()[0] in ("ssvae", "scorer", "random_forest")}
    assert {("ssvae", "val"), ("scorer", "val*"), ("random_forest", "val*")} <= parts
    assert ("scorer", "val") not in parts and "val*: fitted on these rows too" in text
    assert "val*" not in format_protocol(ProtocolResult("paper", True, [], {"ssvae": m}))


def test_the_protocol_title_says_seed_for_one_and_seeds_for_more():
    from hea_campaign.model.evaluation import ProtocolResult, SeedResult, format_protocol

    one, two = [SeedResult(0, {}, {})], [SeedResult(0, {}, {}), SeedResult(1, {}, {})]
    assert format_protocol(ProtocolResult("paper", True, one, {})).splitlines()[0].endswith(", seed 0")
    assert format_protocol(ProtocolResult("paper", True, two, {})).splitlines()[0].endswith(", seeds 0,1")


def test_the_data_efficiency_table_says_the_validation_labels_every_model_also_had():
    """'labelled 50' read as the labels a lab needs, while every model also had about 74 labelled validation
    rows (the scorer and the forest fit on them): the table says so under it."""
    from hea_campaign.model.evaluation import DataEfficiencyRow, format_data_efficiency

    row = DataEfficiencyRow(50, {"test_accuracy": (0.8, 0.01)}, {"test_accuracy": (0.79, 0.01)}, n_unlabelled=1107,
                            n_validation=74)
    text = format_data_efficiency([row])
    assert "every model also had the same 74 labelled validation rows" in text
    assert "a lab needs about 74 labels more than the column says" in text
