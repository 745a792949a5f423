"""Candidates a scientist can trust: design space, known alloys, cost and density, flags.

Cost and density are checked against hand computations written out here
(atomic masses and prices copied from the sources); flags on hand-made cases
with a hand-made classifier whose p is chosen per alloy; the design space,
known alloys and the stored reference through a real store and a real
(briefly trained) model.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from sqlmodel import select

from hea_campaign.campaign.chemistry import parse_formula
from hea_campaign.campaign.constraints import HEA_DEFAULTS, Constraints, project, satisfies, violations
from hea_campaign.campaign.design_space import (
    import_price_list,
    load_design_space,
    load_prices,
    parse_element_bounds,
    save_design_space,
    show,
    update_design_space,
)
from hea_campaign.campaign.economics import economics_of, price_table, pymatgen_prices
from hea_campaign.campaign.errors import CampaignError
from hea_campaign.campaign.known_alloys import MeasuredAlloys, find_known, nearest
from hea_campaign.campaign.uncertainty import assess, build_reference
from hea_campaign.db.tables import Alloy, AuditEvent, Candidate
from hea_campaign.model.vocabulary import DEFAULT_VOCABULARY as V

# --------------------------------------------------------------------------- cost and density

# Hand computation: weight fraction w_i = c_i M_i / sum c_j M_j; cost = sum w_i price_i;
# density = 1 / sum (w_i / rho_i).  M from IUPAC (pymatgen), price USD/kg from pymatgen's
# costdb_elements.csv (2013), rho g/cm3 from pymatgen's density_of_solid.
MASS = {"Co": 58.933195, "Cr": 51.9961, "Fe": 55.845, "Mn": 54.938045, "Ni": 58.6934, "Al": 26.9815386,
        "Nb": 92.90638, "Mo": 95.94, "Ta": 180.94788, "W": 183.84}
PRICE = {"Co": 36.0896294, "Cr": 2.68081792, "Fe": 0.029696231, "Mn": 1.459899364, "Ni": 22.8839556,
         "Al": 2.46035592, "Nb": 23.1926024, "Mo": 34.1054714, "Ta": 335.984088, "W": 46.6938516}
RHO = {"Co": 8.900, "Cr": 7.140, "Fe": 7.874, "Mn": 7.470, "Ni": 8.908, "Al": 2.700, "Nb": 8.570, "Mo": 10.280,
       "Ta": 16.650, "W": 19.250}


def _by_hand(fractions: dict[str, float], price: dict[str, float]) -> tuple[float, float]:
    total = sum(c * MASS[e] for e, c in fractions.items())
    w = {e: c * MASS[e] / total for e, c in fractions.items()}
    return sum(w[e] * price[e] for e in w), 1 / sum(w[e] / RHO[e] for e in w)


@pytest.mark.parametrize(("formula", "cost", "rho"), [
    ("CoCrFeMnNi", 13.16, 8.03),   # Cantor alloy; measured density about 8.0 g/cm3
    ("AlCoCrFeNi", 14.57, 6.72),   # measured about 6.7
    ("MoNbTaW", 135.12, 13.64),    # Senkov's refractory HEA; measured 13.75
])
def test_cost_and_density_match_hand_computations(formula, cost, rho):
    comp = parse_formula(formula).as_dict()
    econ = economics_of(comp, pymatgen_prices())
    hand_cost, hand_rho = _by_hand(comp, PRICE)
    assert econ.cost_per_kg == pytest.approx(hand_cost, rel=1e-9)
    assert econ.density == pytest.approx(hand_rho, rel=1e-9)
    assert round(econ.cost_per_kg, 2) == cost and round(econ.density, 2) == rho
    assert econ.cost_per_ingot(20) == pytest.approx(hand_cost * 0.020)
    assert "2013" in econ.price_source


def test_a_lab_price_list_overrides_pymatgen(store, tmp_path):
    csv = tmp_path / "prices.csv"
    csv.write_text("element,usd_per_kg\nCo,50\nNi,18.5\n")
    assert import_price_list(store, csv, by="alice") == {"Co": 50.0, "Ni": 18.5}
    prices = load_prices(store)
    assert prices.price("Co") == 50 and prices.price("Ni") == 18.5 and prices.price("Fe") == PRICE["Fe"]
    assert prices.source_of("Co") == "lab price list prices.csv" and "2013" in prices.source_of("Fe")
    comp = parse_formula("CoCrFeMnNi").as_dict()
    assert economics_of(comp, prices).cost_per_kg == pytest.approx(_by_hand(comp, {**PRICE, "Co": 50, "Ni": 18.5})[0])
    bad = tmp_path / "bad.csv"
    bad.write_text("element,usd_per_kg\nXx,3\nFe,-1\nCr,abc\n")
    with pytest.raises(CampaignError, match="line 2.*line 3.*line 4"):
        import_price_list(store, bad)
    assert load_prices(store).price("Co") == 50  # the bad list changed nothing


def test_a_price_with_a_comma_in_it_is_refused_not_cut(store, tmp_path):
    """'Co,1,234' (a thousands separator) was read as Co at 1 USD/kg and 'Ni,18,50' (a decimal comma) as Ni at
    18, the rest of the row dropped; such rows are refused, by the file's line (blank lines counted)."""
    bad = tmp_path / "comma.csv"
    bad.write_text("element,usd_per_kg\nFe,0.5\n\nCo,1,234\nNi,18,50\nCr,2,\n")
    with pytest.raises(CampaignError) as err:
        import_price_list(store, bad)
    assert "line 4: 3 cells but the header has 2 columns" in str(err.value) and "line 5: 3 cells" in str(err.value)
    assert "line 6" not in str(err.value)  # an empty trailing cell (Excel's) is no price of its own
    assert load_prices(store).price("Co") == PRICE["Co"] and load_prices(store).price("Ni") == PRICE["Ni"]
    bad.write_text("element,usd_per_kg\nFe,0.5\n\nNi,-1\n")
    with pytest.raises(CampaignError, match="line 4: the price of Ni"):
        import_price_list(store, bad)
    named = tmp_path / "named.csv"
    named.write_text("element,usd_per_kg,supplier\nCo,1234,Acme\n")
    assert import_price_list(store, named) == {"Co": 1234.0}


# --------------------------------------------------------------------------- design space


def test_design_space_defaults_and_round_trip_through_the_store(store):
    assert load_design_space(store) == HEA_DEFAULTS and show(store).is_default
    space = HEA_DEFAULTS.replace(banned=frozenset({"Li", "Au"}), max_elements=5, element_max=0.30,
                                 max_fraction={"Al": 0.1}, max_cost_per_kg=40.0, max_density=8.5, granularity=0.02)
    save_design_space(store, space, by="alice")
    again = load_design_space(store)
    assert again == space and not show(store).is_default
    changed = update_design_space(store, by="bob", min_elements=5)
    assert changed.min_elements == 5 and changed.banned == frozenset({"Li", "Au"})
    assert load_design_space(store) == changed
    with store.read() as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.action == "design_space.set")).all()
    assert [e.actor for e in events] == ["alice", "bob"] and events[1].payload["new"]["min_elements"] == 5
    with pytest.raises(CampaignError, match="cannot make up 100"):
        update_design_space(store, element_max=0.1)
    with pytest.raises(CampaignError, match="outside the model vocabulary"):
        update_design_space(store, banned=frozenset({"Xx"}))
    assert load_design_space(store) == changed  # refused changes are not stored


def test_bounds_take_one_unit_at_pct():
    assert parse_element_bounds("Fe:1, Al:5%,Cr:35", "--max") == {"Fe": 0.01, "Al": 0.05, "Cr": 0.35}
    for bad in ("Fe", "Fe:x", "Fe:101", "Fe:-1", "Fe:1,Fe:2"):
        with pytest.raises(CampaignError):
            parse_element_bounds(bad, "--max")


def test_hea_bounds_and_projection():
    rows = np.stack([parse_formula(f).vector(V) for f in
                     ["CoCrFeMnNi", "Li49Si", "Al3Ti", "AlNi", "Co20Cr20Fe20Ni20Mn18Ti2", "FeNi1.5CoCr", "Al40CoCrFeNi"]])
    assert satisfies(rows, HEA_DEFAULTS, V).tolist() == [True, False, False, False, False, True, False]
    why = violations(rows[4], HEA_DEFAULTS, V)
    assert any("Ti is 2.0 at.%, below the per-element minimum 5" in w for w in why)
    moved = project(rows, HEA_DEFAULTS, V)
    ok = satisfies(moved, HEA_DEFAULTS, V)
    assert ok[[0, 4, 5, 6]].all()  # repairable rows are repaired ...
    assert np.allclose(moved.sum(axis=1), 1) and np.allclose(moved * 100, np.round(moved * 100))
    assert np.array_equal(moved[0], rows[0])  # ... and one already inside is left alone
    assert not ok[1]  # two elements cannot become a HEA by clipping
    cheap = Constraints(max_cost_per_kg=20.0, max_density=7.0)
    assert satisfies(rows[[0, 5]], cheap, V, price_table()).tolist() == [False, False]  # 8.0 g/cm3 and more
    assert satisfies(rows[[0]], Constraints(max_cost_per_kg=20.0), V).tolist() == [True]  # 13.16 USD/kg
    assert satisfies(rows[[0]], Constraints(max_cost_per_kg=20.0), V, price_table({"Co": 500})).tolist() == [False]


# --------------------------------------------------------------------------- known alloys


def test_a_rounded_seed_alloy_is_known_with_its_label():
    measured = MeasuredAlloys(np.stack([parse_formula(f).vector(V) for f in ["Al1.5MoNbTiV", "CoCrFeMnNi"]]),
                              ["Al1.5MoNbTiV", "CoCrFeMnNi"], ["multi phase", "single phase"])
    cands = np.stack([parse_formula(f).vector(V) for f in ["Al28Mo18Nb18Ti18V18", "Al25Mo19Nb19Ti19V18",
                                                           "Co20Cr20Fe20Mn21Ni19"]])
    known = find_known(cands, measured, 0.01)
    assert set(known) == {0, 2}
    assert known[0].formula == "Al1.5MoNbTiV" and known[0].label == "multi phase" and known[0].distance == 0.73
    assert known[2].label == "single phase"
    near = nearest(cands[1:2], measured, 3)[0]
    # a whole step apart in some element is another alloy (at a 10 at.% step every grid point was "known")
    steps = np.stack([parse_formula(f).vector(V) for f in ["Co30Cr10Fe10Mn20Ni30", "Co20Cr20Fe20Mn10Ni30",
                                                           "Co25Cr20Fe15Mn20Ni20"]])
    assert set(find_known(steps, measured, 0.10)) == {2}
    assert set(find_known(steps, measured, 0.05)) == set()
    # an element outside the vocabulary still counts: CoCrFeGeNi is 20 at.% from CoCrFeNi, never "known" as it
    ge = MeasuredAlloys(np.array([[0.2 if e in ("Co", "Cr", "Fe", "Ni") else 0.0 for e in V]]), ["CoCrFeGeNi"],
                        ["single phase"])
    cocrfeni = parse_formula("CoCrFeNi").vector(V)[None, :]
    assert find_known(cocrfeni, ge, 0.10) == {}
    assert nearest(cocrfeni, ge, 1)[0][0]["distance_at_pct"] == 20.0
    assert [n["formula"] for n in near] == ["Al1.5MoNbTiV", "CoCrFeMnNi"]
    assert near[0]["distance_at_pct"] == pytest.approx(50 * np.abs(cands[1] - measured.X[0]).sum(), abs=0.01)


def test_an_alloy_with_an_element_the_other_lacks_is_never_known_as_it():
    """At a 10 at.% step the Ti-free Al10Co30Cr10Fe20Ni30 was "known" as Al0.2Co1.5CrFeNi1.5Ti0.5 (8.8 at.% Ti,
    less than a step), and took its label; a grid point with Cu was known as a Cu-free alloy."""
    forms = ["Al0.2Co1.5CrFeNi1.5Ti0.5", "Al0.25CoFeMn0.25Ni"]
    measured = MeasuredAlloys(np.stack([parse_formula(f).vector(V) for f in forms]), forms,
                              ["single phase", "multi phase"])
    cands = np.stack([parse_formula(f).vector(V) for f in ["Al10Co30Cr10Fe20Ni30", "Al10Co30Cr10Fe20Ni20Ti10",
                                                           "Al10Co30Cu10Fe30Ni20", "Al10Co30Fe30Mn10Ni20"]])
    known = find_known(cands, measured, 0.10)
    assert set(known) == {1, 3}
    assert (known[1].formula, known[3].formula) == tuple(forms)


def test_a_known_alloy_names_the_measured_alloys_within_granularity_that_disagree():
    """At a coarse step one grid point stands for several measured alloys: the closest gives the label, and
    those with another label are named, not hidden (Al0.5CoCrFeNi is single phase, Al0.45CoCrFeNi is not)."""
    from hea_campaign.tui.present.design_report import known_lines

    forms = ["Al0.45CoCrFeNi", "Al0.5CoCrFeNi", "Al0.45CoCrFeNi1.05"]
    measured = MeasuredAlloys(np.stack([parse_formula(f).vector(V) for f in forms]), forms,
                              ["multi phase", "single phase", "multi phase"])
    x = parse_formula("Al10Co30Cr20Fe20Ni20").vector(V)[None, :]
    match = find_known(x, measured, 0.10)[0]
    d = [round(50 * float(np.abs(x[0] - measured.X[j]).sum()), 2) for j in range(3)]
    assert (match.formula, match.label, match.distance) == ("Al0.45CoCrFeNi", "multi phase", d[0])
    assert match.disagreeing == (("Al0.5CoCrFeNi", "single phase", d[1]),)
    line = known_lines([{"formula": "Al0.5Co1.5CrFeNi", "measured": match.formula, "label": match.label,
                         "distance_at_pct": match.distance, "disagreeing": [
                             {"formula": f, "label": lab, "distance_at_pct": dd} for f, lab, dd in match.disagreeing]}])
    assert len(line) == 1 and "Al0.45CoCrFeNi (the same elements" in line[0]
    assert "disagreeing: Al0.5CoCrFeNi (single phase" in line[0] and line[0].endswith("not stored")
    many = known_lines([{"formula": f"A{i}", "measured": "B", "label": "multi phase", "distance_at_pct": 1.0}
                        for i in range(42)])
    assert len(many) == 11 and many[-1] == "... and 32 more known alloy(s), not stored"
    same = {"formula": "A", "measured": "B", "label": "multi phase", "distance_at_pct": 1.0}
    assert len(known_lines([same, dict(same), dict(same)])) == 1  # reached from three starts: said once


# --------------------------------------------------------------------------- flags on hand-made cases


class HandModel:
    """A classifier whose p is chosen per alloy: p = Fe + Ni fraction (so FeNi-rich = single phase).

    The latent point is the (Fe, Cr) fraction times 10, so distances there are distances in composition.
    """

    vocabulary = V

    def predict_proba(self, X, return_std=False):
        X = np.atleast_2d(X)
        p = np.clip(X[:, V.index("Fe")] + X[:, V.index("Ni")], 0.0, 1.0)
        return (p, np.zeros(len(p))) if return_std else p

    def encode(self, X, p):
        X = np.atleast_2d(X)
        z = 10 * X[:, [V.index("Fe"), V.index("Cr")]]
        return z, np.ones_like(z)


def _rows(formulas):
    return np.stack([parse_formula(f).vector(V) for f in formulas])


@pytest.fixture(scope="module")
def hand_reference():
    rng = np.random.default_rng(0)
    # training alloys: Fe-Ni-Cr-Co, labelled by whether Fe + Ni > 0.5 (what HandModel believes)
    X = rng.dirichlet(np.ones(4), 300)
    train = np.zeros((300, len(V)))
    train[:, [V.index(e) for e in ("Fe", "Ni", "Cr", "Co")]] = X
    y = (X[:, 0] + X[:, 1] > 0.5).astype(float)
    # calibration: mostly right, some near the boundary, one in nine wrong at p 0.6
    val = _rows(["Fe40Ni40Cr10Co10", "Fe10Ni10Cr40Co40", "Fe30Ni25Cr25Co20", "Fe20Ni25Cr30Co25"] * 10
                + ["Fe30Ni30Cr20Co20"] * 5)
    yv = np.array([1, 0, 1, 0] * 10 + [0] * 5)
    return build_reference(HandModel(), train, y, val, yv, key="hand-made")


def _flags(a, i):
    return {f["flag"]: f["reason"] for f in a.flags[i]}


def test_the_uncertainty_score_is_the_other_class_conformal_p_value(hand_reference):
    """Hand-computed on the 45 calibration scores (20 x 0.2, 20 x 0.45, 5 x 0.6): the p-value of the class p
    does not predict is (1 + calibration alloys wrong at least as confidently) / 46, ties ordered by the
    ambiguity; the set holds the other class exactly when it reaches 1 - 0.9."""
    X = _rows(["Fe40Ni40Cr10Co10", "Fe30Ni25Cr25Co20", "Fe20Ni20Cr30Co30", "Fe15Ni15Cr35Co35"])  # p .8 .55 .4 .3
    a = assess(HandModel(), hand_reference, X)
    assert np.allclose(a.other_p, [1 / 46, 6 / 46, 6 / 46, 1 / 46])
    assert np.allclose(a.uncertainty_score, a.other_p + 1e-6 * np.array([0.4, 0.9, 0.8, 0.4]))
    assert list(np.argsort(a.uncertainty_score, kind="stable")) == [0, 3, 2, 1]  # 0.55 above 0.4: ambiguity
    holds_other = [cs is not None and len(cs) == 2 for cs in map(a.conformal_set, range(4))]
    assert holds_other == list(a.uncertainty_score >= 0.1) == [False, True, True, False]
    assert a.uncertainty(1)["ambiguity"] == 0.9 and a.uncertainty(1)["uncertainty_score"] == round(6 / 46, 4)


def test_the_calibration_rows_scores_leave_their_own_error_out(hand_reference):
    """For choosing the score on validation rows: each row's p-value comes from the 44 others."""
    from hea_campaign.campaign.uncertainty import leave_one_out_scores

    X = _rows(["Fe30Ni30Cr20Co20", "Fe40Ni40Cr10Co10", "Fe30Ni25Cr25Co20"])  # wrong at 0.6, right at .8, .55
    s = leave_one_out_scores(hand_reference, HandModel().predict_proba(X), np.array([0, 1, 1]))
    assert np.allclose(s, np.array([5 / 45, 1 / 45, 6 / 45]) + 1e-6 * np.array([0.8, 0.4, 0.9]))
    with pytest.raises(ValueError, match="not the rows"):  # a row that is not among the calibration rows
        leave_one_out_scores(hand_reference, np.array([0.3]), np.array([1]))


def test_uncertain_is_a_conformal_set_with_both_classes(hand_reference):
    a = assess(HandModel(), hand_reference, _rows(["Fe40Ni40Cr10Co10", "Fe25Ni26Cr25Co24"]))
    assert a.conformal_set(0) == ["single"] and "uncertain" not in _flags(a, 0)
    assert a.conformal_set(1) == ["single", "multi"]
    assert "90 % conformal prediction set holds both classes" in _flags(a, 1)["uncertain"]
    # calibrated where the model is never wrong, the set near p = 0.5 is empty: also uncertain
    sure = build_reference(HandModel(), hand_reference.X_train, hand_reference.y_train,
                           _rows(["Fe40Ni40Cr10Co10", "Fe30Ni25Cr25Co20", "Fe20Ni25Cr30Co25"] * 10),
                           np.array([1, 1, 0] * 10), key="sure")
    b = assess(HandModel(), sure, _rows(["Fe25Ni26Cr25Co24"]))
    assert b.conformal_set(0) == [] and "holds neither class: the set is empty" in _flags(b, 0)["uncertain"]


def test_a_p_near_one_half_shows_the_side_it_is_on():
    """"the scorer single phase (p 0.50)" beside "says multi phase (p 0.50)" read as no dispute at all."""
    from hea_campaign.campaign.uncertainty import _p

    assert (_p(0.496), _p(0.503), _p(0.5), _p(0.61), _p(0.004)) == ("0.496", "0.503", "0.500", "0.61", "0.00")


def test_novel_names_the_nearest_labelled_alloy(hand_reference):
    a = assess(HandModel(), hand_reference, _rows(["Fe30Ni30Cr20Co20", "Fe30Ni30Ti20Mo20"]))
    assert "novel" not in _flags(a, 0)
    reason = _flags(a, 1)["novel"]
    j = int(np.argmin(np.abs(hand_reference.X_train - _rows(["Fe30Ni30Ti20Mo20"])).sum(axis=1)))
    assert f"nearest labelled alloy {hand_reference.formula(j)} is" in reason
    assert a.nearest_distance[1] >= 40 - 1e-9 and a.nearest_percentile[1] == 100


def test_low_density_uses_the_same_encoding_for_training_and_candidates(hand_reference):
    a = assess(HandModel(), hand_reference, _rows(["Fe25Ni25Cr25Co25", "Fe90Ni5Cr5"]))
    assert "low_density" not in _flags(a, 0) and "low_density" in _flags(a, 1)
    assert a.density_percentile[0] > hand_reference.percentile


def test_disputed_when_the_independent_model_disagrees():
    # labels contradict the hand model in the Cr-rich corner: the trees learn the labels, the model does not
    rng = np.random.default_rng(1)
    X = rng.dirichlet(np.ones(4), 300)
    train = np.zeros((300, len(V)))
    train[:, [V.index(e) for e in ("Fe", "Ni", "Cr", "Co")]] = X
    y = (X[:, 0] + X[:, 1] > 0.5).astype(float)
    y[X[:, 2] > 0.5] = 1.0  # Cr-rich alloys are single phase, whatever HandModel says
    ref = build_reference(HandModel(), train, y, key="disputed")
    a = assess(HandModel(), ref, _rows(["Fe10Ni10Cr70Co10", "Fe45Ni45Cr5Co5"]))
    assert a.p_single[0] < 0.5 and a.p_second[0] > 0.5
    assert "independent k nearest neighbours (7 most similar labelled alloys) says single phase" in _flags(a, 0)["disputed"]
    assert "disputed" not in _flags(a, 1)
    assert a.conformal_set(0) is None and "uncertain" not in _flags(a, 0)  # no calibration rows: no set


class ConstantScorer:
    """A scorer that says 0.3 for every alloy (unlike HandModel's head)."""

    def predict_proba(self, X, return_std=False):
        p = np.full(len(np.atleast_2d(X)), 0.3)
        return (p, np.full(len(p), 0.05)) if return_std else p


class HandModelLatentP(HandModel):
    """HandModel whose latent point carries the p it was encoded with (third coordinate)."""

    def encode(self, X, p):
        z, _ = super().encode(X, p)
        z = np.column_stack([z, np.asarray(p, float)])
        return z, np.ones_like(z)


def test_assess_takes_p_from_the_scorer_and_the_latent_point_from_the_head(hand_reference):
    from hea_campaign.campaign.scoring import ScoredModel

    head = HandModelLatentP()
    model = ScoredModel(head, ConstantScorer())
    ref = build_reference(model, hand_reference.X_train, hand_reference.y_train, key="scored-latent")
    X = _rows(["Fe40Ni40Cr10Co10", "Fe10Ni10Cr40Co40"])
    a = assess(model, ref, X)
    assert np.allclose(a.p_single, 0.3) and np.allclose(a.spread, 0.05)  # what proposals rank by
    assert np.allclose(a.latent[:, 2], head.predict_proba(X))  # candidates enter the latent space as the
    assert np.allclose(ref.latent[:, 2], head.predict_proba(hand_reference.X_train))  # training alloys do


def test_conformal_scores_come_from_the_given_calibration_scorer(hand_reference):
    from hea_campaign.campaign.uncertainty import conformal_scores

    val = _rows(["Fe40Ni40Cr10Co10", "Fe10Ni10Cr40Co40"] * 5)
    yv = np.array([1, 0] * 5)
    ref = build_reference(HandModel(), hand_reference.X_train, hand_reference.y_train, val, yv,
                          scorer=ConstantScorer().predict_proba, key="calibration-scorer")
    assert np.allclose(ref.conformal_scores, np.sort(conformal_scores(np.full(10, 0.3), yv)))


def test_a_reference_stored_before_the_choice_keeps_its_sets_on_the_mean_of_p_and_p2(hand_reference):
    from hea_campaign.campaign.uncertainty import Reference

    arrays = hand_reference.to_arrays()
    old = dict(arrays, ref_scalars=arrays["ref_scalars"][:7])  # written before conformal_on existed
    legacy = Reference.from_arrays(old, V, key="hand-made")
    X = _rows(["Fe25Ni26Cr25Co24", "Fe40Ni40Cr10Co10", "Fe30Ni30Cr20Co20"])
    a, b = assess(HandModel(), hand_reference, X), assess(HandModel(), legacy, X)
    assert np.allclose(a.ambiguity, 1 - 2 * np.abs(a.p_single - 0.5))
    mean = 0.5 * (b.p_single + b.p_second)
    assert np.allclose(b.ambiguity, 1 - 2 * np.abs(mean - 0.5))
    assert (legacy.conformal_sets(mean) == b.conformal).all()
    other = np.where(mean >= 0.5, 0, 1)  # the score is the p-value of the class the mean does not predict
    assert np.allclose(b.other_p, legacy.conformal_p_values(mean)[np.arange(3), other])


def test_reference_round_trips_through_arrays(hand_reference):
    from hea_campaign.campaign.uncertainty import Reference

    again = Reference.from_arrays(hand_reference.to_arrays(), V, key="hand-made")
    X = _rows(["Fe25Ni26Cr25Co24", "Fe90Ni5Cr5", "Fe30Ni30Ti20Mo20"])
    a, b = assess(HandModel(), hand_reference, X), assess(HandModel(), again, X)
    assert a.flags == b.flags


# --------------------------------------------------------------------------- the real model and store


def test_the_flag_reference_is_inside_the_checkpoint_and_a_changed_one_is_refused(trained_store, tmp_path):
    import shutil

    from hea_campaign.campaign import model_versions
    from hea_campaign.campaign.model_versions import get_version, load_version, version_arrays
    from hea_campaign.campaign.proposals import _references
    from hea_campaign.db.tables import ModelVersion
    from hea_campaign.model.checkpoint import load_checkpoint, save_checkpoint

    version = get_version(trained_store)
    own = tmp_path / "own.pt"  # the checkpoint is shared by every copy of the trained store: work on a copy
    shutil.copy(version.checkpoint_path, own)
    with trained_store.write() as s:
        row = s.get(ModelVersion, version.id)
        row.checkpoint_path = str(own)
        s.add(row)
    version = get_version(trained_store)
    arrays = version_arrays(version)
    assert {"X_lab", "ref_conformal_scores", "ref_nn_distances", "ref_latent"} <= set(arrays)
    assert len(arrays["ref_conformal_scores"]) == len(arrays["val_ids"]) > 0
    # someone replaces the reference (here: every calibration score set to 0, so nothing is ever uncertain)
    loaded = load_checkpoint(version.checkpoint_path)
    tampered = dict(loaded.arrays, ref_conformal_scores=np.zeros_like(loaded.arrays["ref_conformal_scores"]))
    save_checkpoint(loaded.model, version.checkpoint_path, metrics=loaded.metrics, arrays=tampered)
    model_versions._cache.clear()
    _references.clear()
    with pytest.raises(CampaignError, match="sha256"):
        load_version(version)


def test_a_versions_conformal_calibration_uses_a_scorer_that_never_saw_the_validation_rows(trained_store):
    from hea_campaign.campaign.model_versions import get_version, load_version, version_arrays
    from hea_campaign.campaign.uncertainty import conformal_scores
    from hea_campaign.model.scoring import Scorer

    version = get_version(trained_store)
    model, X_lab, y_lab = load_version(version)
    arrays = version_arrays(version)
    sc = model.scorer  # the scorer proposals rank by: its trees were refitted on training + validation rows
    n = len(X_lab)
    assert np.allclose(sc.X_fit[:n], X_lab) and len(sc.X_fit) == n + len(arrays["val_ids"])
    X_val, y_val = sc.X_fit[n:], sc.y_fit[n:]
    fresh = Scorer(sc.members, sc.seed, sc.vocabulary, X_lab, y_lab, model.ssvae if "ssvae" in sc.members else None)
    expected = np.sort(conformal_scores(fresh.predict_proba(X_val), y_val))
    assert np.allclose(arrays["ref_conformal_scores"], expected)
    # the refitted scorer has seen these rows: its scores would be optimistic (sets too small)
    seen = conformal_scores(sc.predict_proba(X_val), y_val)
    assert seen.mean() < expected.mean()


def test_reliability_uses_p_from_the_scorer_that_never_saw_the_validation_alloys(trained_store):
    """The kept scorer refits its trees on the validation alloys: its p there is in-sample (a near-perfect
    diagram); `reliability` reads the p stored from the scorer fitted without them."""
    from hea_campaign.campaign.model_versions import get_version, load_version, version_arrays
    from hea_campaign.campaign.reliability import reliability
    from hea_campaign.model.scoring import Scorer

    version = get_version(trained_store)
    model, X_lab, y_lab = load_version(version)
    arrays = version_arrays(version)
    sc = model.scorer
    n = len(X_lab)
    X_val, y_val = sc.X_fit[n:], sc.y_fit[n:]
    fresh = Scorer(sc.members, sc.seed, sc.vocabulary, X_lab, y_lab, model.ssvae if "ssvae" in sc.members else None)
    assert np.allclose(arrays["val_p"], fresh.predict_proba(X_val))
    r = reliability(trained_store)
    assert r.n == len(y_val)
    assert r.brier == pytest.approx(float(np.mean((arrays["val_p"] - y_val) ** 2)))
    in_sample = float(np.mean((sc.predict_proba(X_val) - y_val) ** 2))
    assert in_sample < r.brier  # what the command showed before: optimistic


def test_default_design_space_proposals_are_heas_and_never_known(trained_store):
    from hea_campaign.campaign.known_alloys import measured_alloys
    from hea_campaign.campaign.proposals import ProposalRequest, propose

    outs = [
        propose(trained_store, ProposalRequest(mode="invert", from_multi_phase=10, inversion="paper", batch=10)),
        propose(trained_store, ProposalRequest(mode="screen", screen_elements=["Fe", "Ni", "Co", "Cr", "Al", "Ti"],
                                               step=0.05, batch=10)),
        propose(trained_store, ProposalRequest(mode="latent", latent=[[0, 0], [1, -1], [-1, 1], [2, 0]], batch=4)),
    ]
    ids = [i for o in outs for i in o.candidate_ids]
    assert len(outs[1].candidate_ids) == 10
    measured = measured_alloys(trained_store, V)
    with trained_store.read() as s:
        rows = s.exec(select(Candidate, Alloy).join(Alloy, Alloy.id == Candidate.alloy_id)
                      .where(Candidate.id.in_(ids))).all()
    assert len(rows) == len(ids)
    for cand, alloy in rows:
        fr = np.array(list(alloy.composition.values()))
        assert 4 <= len(fr) <= 6 and fr.min() >= 0.05 - 1e-9 and fr.max() <= 0.35 + 1e-9, alloy.formula
        x = parse_formula(alloy.formula).vector(V)
        assert np.abs(measured.X - x).max(axis=1).min() > 0.01 + 1e-9, alloy.formula  # not within granularity
        u = cand.uncertainty
        assert len(u["nearest_measured"]) == 3 and u["nearest_measured"][0]["label"] in ("single phase", "multi phase", "conflicting")
        assert u["cost_usd_per_kg"] > 0 and u["density_g_cm3"] > 0 and "estimate" in u["density_note"]
        assert u["second_opinion"]["model"] == "k_nearest_neighbours" and u["conformal"]["level"] == 0.9
        assert all(f["flag"] in ("uncertain", "novel", "low_density", "disputed", "out_of_range", "inconsistent")
                   and f["reason"] for f in cand.flags)
    for o in outs:
        for k in o.known:
            assert k["label"] in ("single phase", "multi phase", "conflicting") and k["distance_at_pct"] <= 6


def test_detail_and_export_carry_nearest_alloys_cost_and_density(trained_store, tmp_path):
    import csv

    from hea_campaign.campaign.candidates import candidate_detail
    from hea_campaign.campaign.export import export_batch
    from hea_campaign.campaign.lifecycle import approve
    from hea_campaign.campaign.proposals import ProposalRequest, propose

    out = propose(trained_store, ProposalRequest(mode="screen", screen_elements=["Fe", "Ni", "Co", "Cr", "Mn"],
                                                 step=0.05, batch=3))
    ids = out.candidate_ids
    (tmp_path / "prices.csv").write_text("element,usd_per_kg\nCo,100\n")
    import_price_list(trained_store, tmp_path / "prices.csv")
    d = candidate_detail(trained_store, ids[0], with_shap=False, ingot_g=50)
    comp = d.composition
    hand_cost, hand_rho = _by_hand(comp, {**PRICE, "Co": 100})
    assert d.cost_per_kg == pytest.approx(hand_cost) and d.cost_per_ingot == pytest.approx(hand_cost * 0.05)
    assert d.density == pytest.approx(hand_rho, abs=6e-4) and "lab price list prices.csv" in d.price_source
    assert len(d.nearest_measured) == 3
    assert [n["distance_at_pct"] for n in d.nearest_measured] == sorted(n["distance_at_pct"] for n in d.nearest_measured)
    approve(trained_store, ids, by="alice")
    path = tmp_path / "batch.csv"
    res = export_batch(trained_store, mass=20, out=path, by="alice")
    with open(path, newline="") as fh:
        rows = {int(r["candidate_id"]): r for r in csv.DictReader(fh)}
    row = rows[ids[0]]
    prices = load_prices(trained_store)  # what the batch costs, one ingot each, rounded once (not row by row)
    total = round(sum(economics_of(parse_formula(r["formula"]).as_dict(), prices).cost_per_ingot(20)
                      for r in rows.values()), 2)
    assert res.batch_cost == (total, 0)
    from hea_campaign.tui.present.report import format_export

    assert f"raw-material cost of the batch: {total:.2f} USD for one ingot of each" in format_export(res)
    assert float(row["cost_usd_per_kg"]) == pytest.approx(hand_cost, abs=0.006)
    assert float(row["cost_usd_per_ingot"]) == pytest.approx(hand_cost * 0.020, abs=0.006)
    assert float(row["density_g_cm3_estimate"]) == pytest.approx(hand_rho, abs=6e-4)
    assert row["nearest_measured"].count(" | ") == 2 and "at.%)" in row["nearest_measured"]
    assert row["conformal_set"] in ("single", "multi", "single and multi", "empty")
    assert 0 <= float(row["p_second_opinion"]) <= 1
    # once measured, the detail shows the lab's result, a corrected entry marked as such
    from hea_campaign.campaign.read_models import candidate_detail as detail_view
    from hea_campaign.campaign.results import add_result, correct_result
    from hea_campaign.tui.present.views import candidate_detail_text

    assert d.lab_results == []
    first = add_result(trained_store, candidate_id=ids[0], single_phase="yes", phases="FCC", method="XRD",
                       by="[bold]ana")
    second = correct_result(trained_store, first.id, single_phase="no", phases="FCC+BCC", by="ben")
    view = detail_view(trained_store, ids[0], with_shap=False)
    assert [(r["id"], r["single_phase"], r["current"]) for r in view.lab_results] == \
        [(first.id, True, False), (second.id, False, True)]
    text = candidate_detail_text(view).plain
    from dataclasses import replace

    assert f"measurement {first.id}: single phase (FCC), XRD, by [bold]ana  (corrected by a later entry)" in text
    assert f"measurement {second.id}: multi phase (FCC+BCC), XRD, by [bold]ana" in text  # who measured it, kept
    assert "uncertainty score (the other class's conformal p-value)" in text and "latent_density" not in text
    assert "; ambiguity of p " in text  # names, not keys; the ambiguity beside the score
    kept = {k: v for k, v in view.candidate.uncertainty.items() if k != "ambiguity"}
    older = replace(view, candidate=replace(view.candidate, uncertainty=kept))
    assert "uncertainty score (ambiguity of p)" in candidate_detail_text(older).plain  # proposed before the change
    # flags that warn that p may be wrong come first, in yellow; where the alloy lies is a dimmed note
    from dataclasses import replace

    from hea_campaign.campaign.read_models import Flag

    flagged = replace(view, candidate=replace(view.candidate, flags=(
        Flag("low_density", "latent density 0.1 below"), Flag("uncertain", "the 90 % set holds both"))))
    rich = candidate_detail_text(flagged)
    text = rich.plain
    assert text.index("uncertain: the 90 % set holds both") < text.index(
        "low_density (where it lies; such alloys were not predicted worse): latent density 0.1 below")
    styles = {rich.plain[s.start:s.end]: str(s.style) for s in rich.spans}
    assert styles["uncertain"] == "yellow" and styles["low_density"] == "dim"
    # SHAP names the head; "the p above is the scorer's" only where the version has a scorer
    shap_view = replace(view, shap={"VEC": 0.1}, shap_head_p=0.42)
    assert "SSVAE head's p = 0.420 (p above is the scorer's)" in candidate_detail_text(shap_view).plain
    assert "scorer's" not in candidate_detail_text(replace(shap_view, scored=False)).plain.split("SHAP")[1]


def test_flag_figures_on_a_hand_made_pool(tmp_path):
    from hea_campaign.campaign.flag_evaluation import SIGNALS, _Pool, reliability_png, summarise

    pool = _Pool()
    # four alloys: two sure and right, one ambiguous and wrong (both classes in its set), one sure and wrong
    pool.y = [1, 0, 0, 1]
    pool.p = [0.9, 0.1, 0.55, 0.2]
    pool.p2 = [0.8, 0.2, 0.45, 0.3]
    pool.spread = [0.0, 0.0, 0.3, 0.1]
    pool.dist = [1.0, 2.0, 9.0, 3.0]
    pool.dens_pct = [50, 50, 1, 40]
    pool.sets = [[0, 1], [1, 0], [1, 1], [1, 0]]
    pool.flags = [set(), set(), {"uncertain", "disputed"}, set()]
    f = summarise(pool, "hand-made", [0])
    assert math.isnan(f.auc_error[SIGNALS[6]])  # no reference forest in this pool: not made up
    pool.rf_ambiguity = [0.1, 0.5, 0.2, 0.9]  # ranks one error top, the other below a right answer
    f = summarise(pool, "hand-made", [0])
    assert f.auc_error[SIGNALS[6]] == 0.75
    assert f.accuracy == 0.5 and f.coverage == 0.75
    assert f.set_sizes == {0: 0.0, 1: 0.75, 2: 0.25} and f.single_set_accuracy == pytest.approx(2 / 3)
    assert f.per_flag["uncertain"] == {"n": 1, "accuracy": 0.0, "accuracy_unflagged": pytest.approx(2 / 3)}
    assert f.auc_error[SIGNALS[4]] == 0.75  # the set flags one of the two errors and no right answer
    assert f.auc_error[SIGNALS[1]] == f.auc_error[SIGNALS[0]] == 1.0  # no scores pooled: the ambiguity stands in
    assert f.auc_error[SIGNALS[2]] == 1.0  # ambiguity of the mean: 0.9, 0.4 for the wrong ones, 0.2, 0.2 for the right ones
    # ECE by hand: bins [0.1,0.2) {0.1 -> 0}, [0.2,0.3) {0.2 -> 1}, [0.5,0.6) {0.55 -> 0}, [0.9,1] {0.9 -> 1}
    assert f.ece == pytest.approx((0.1 + 0.8 + 0.55 + 0.1) / 4)
    png = reliability_png(f, tmp_path / "r.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_flags_assesses_with_the_scorer_that_proposals_use(trained_store):
    from hea_campaign.campaign.flag_evaluation import _assess_scored, _Pool
    from hea_campaign.campaign.model_versions import get_version, load_version
    from hea_campaign.campaign.scoring import fit_version_scorer, head_of
    from hea_campaign.campaign.training_set import snapshot

    ssvae = head_of(load_version(get_version(trained_store))[0])
    ts = snapshot(trained_store)
    order = np.random.default_rng(0).permutation(len(ts.y_lab))
    tr, va, te = order[:300], order[300:360], order[360:420]
    pool, val_pool = _Pool(), _Pool()
    args = (ts.X_lab[tr], ts.y_lab[tr], ts.X_lab[va], ts.y_lab[va])
    _assess_scored(ssvae, *args, ts.X_lab[te], ts.y_lab[te], 0, pool, val_pool)
    sc, calibration = fit_version_scorer(ssvae, *args, seed=0)
    assert pool.members == [sc.label] and pool.n_cal == [60]
    assert np.allclose(pool.p, sc.predict_proba(ts.X_lab[te]))  # p_single as proposals have it
    if sc.members != ("ssvae",):
        assert not np.allclose(pool.p, ssvae.predict_proba(ts.X_lab[te]))  # not the SSVAE head's
    assert np.allclose(val_pool.p, calibration.predict_proba(ts.X_lab[va]))  # validation rows: a scorer without them
    assert len(pool.rf_ambiguity) == 60 and 0 <= min(pool.rf_ambiguity) and max(pool.rf_ambiguity) <= 1


def test_the_flag_report_names_the_scorer_and_shows_validation_and_per_seed_coverage():
    from hea_campaign.campaign.flag_evaluation import SIGNALS, _Pool, summarise
    from hea_campaign.tui.present.flag_report import format_flag_figures

    pool = _Pool()
    pool.y, pool.p, pool.p2 = [1, 0, 0, 1], [0.9, 0.1, 0.55, 0.2], [0.8, 0.2, 0.45, 0.3]
    pool.spread, pool.dist, pool.dens_pct = [0.0] * 4, [1.0] * 4, [50] * 4
    pool.sets = [[0, 1], [1, 0], [1, 1], [1, 0]]  # seed 0 covers both, seed 1 one of two
    pool.flags, pool.rf_ambiguity, pool.part = [set()] * 4, [0.1, 0.5, 0.2, 0.9], [0, 0, 1, 1]
    pool.members, pool.n_cal = ["forest", "ssvae+forest"], [73, 74]
    f = summarise(pool, "hand-made", [0, 1])
    assert f.coverage_per_seed == [1.0, 0.5]
    f.auc_error_validation, f.n_validation = {SIGNALS[0]: 0.625}, 147
    text = format_flag_figures(f)
    assert "members chosen on validation per seed: forest, ssvae+forest" in text and "73, 74 validation rows (per seed" in text
    assert "coverage per seed: 1.000, 0.500" in text
    assert f"{SIGNALS[0]:<48} 1.000   validation 0.625" in text


def test_the_uncertainty_scores_error_auc_is_also_given_within_each_seeds_model():
    """Pooled over seeds, models whose p are calibrated differently are ranked together; a lab ranks one
    model's predictions, so the report gives each seed's figure beside the pooled one (hand-computed)."""
    from hea_campaign.campaign.flag_evaluation import _Pool, summarise
    from hea_campaign.tui.present.flag_report import format_flag_figures

    pool = _Pool()
    pool.y, pool.p, pool.p2 = [1, 0, 1, 0, 1], [0.9, 0.45, 0.4, 0.6, 0.95], [0.5] * 5
    pool.spread, pool.dist, pool.dens_pct = [0.0] * 5, [1.0] * 5, [50] * 5
    pool.sets, pool.flags, pool.rf_ambiguity = [[1, 1]] * 5, [set()] * 5, [0.5] * 5
    pool.part, pool.members, pool.n_cal = [0, 0, 0, 1, 1], ["forest", "forest"], [73, 73]
    f = summarise(pool, "hand-made", [0, 1])
    # seed 0: the wrong one (ambiguity 0.8) above 0.2, below 0.9: 0.5; seed 1: 0.8 above 0.1: 1.0
    assert f.auc_error_per_seed == [0.5, 1.0]
    assert abs(f.auc_error["ambiguity of the scorer's p"] - 4 / 6) < 1e-12  # pooled
    assert "within each seed's model: 0.500, 1.000 (mean 0.750" in format_flag_figures(f)
    # scores in each seed's order of ambiguity but on its own calibration scale: seed 1's wrong alloy (p 0.6)
    # now ranks above seed 0's right one at p 0.45, which its ambiguity (0.8 < 0.9) did not: 5 of 6 pairs
    pool.score = [0.02, 0.45, 0.40, 0.60, 0.01]
    f = summarise(pool, "hand-made", [0, 1])
    assert abs(f.auc_error["uncertainty score: other class's conformal p"] - 5 / 6) < 1e-12
    assert f.auc_error_per_seed == [0.5, 1.0]  # within a seed: the same order as the ambiguity


def test_a_batch_cost_leaves_out_and_counts_the_candidates_without_a_price():
    from hea_campaign.campaign.export import batch_cost

    rows = [{"cost_usd_per_ingot": 1.25}, {"cost_usd_per_ingot": None}, {"cost_usd_per_ingot": 2.5}, {}]
    assert batch_cost(rows) == (3.75, 2)
    assert batch_cost([{}, {"cost_usd_per_ingot": None}]) == (None, 2)  # nothing priced: no total, not 0
    assert batch_cost([]) == (None, 0)


def test_every_flag_is_either_a_warning_or_a_note_and_the_detail_says_which():
    from hea_campaign.campaign.flag_meaning import P_MAY_BE_WRONG, WHERE_IT_LIES, warns
    from hea_campaign.campaign.uncertainty import FLAGS

    assert sorted(P_MAY_BE_WRONG + WHERE_IT_LIES) == sorted(FLAGS) and not set(P_MAY_BE_WRONG) & set(WHERE_IT_LIES)
    assert warns("uncertain") and warns("disputed") and not warns("low_density") and not warns("novel")


def test_a_price_for_an_element_no_proposal_can_contain_is_named(store, tmp_path):
    """'Np' typed for Nb was imported and counted without a word while Nb kept pymatgen's price: the reply
    names the priced elements outside the model's vocabulary."""
    from hea_campaign.campaign.design_space import change_design_space
    from hea_campaign.tui.present.design_space_view import design_space_change_line

    prices = tmp_path / "prices.csv"
    prices.write_text("element,usd_per_kg\nFe,0.5\nNp,30\n")
    done = change_design_space(store, prices_file=prices)
    assert done.prices_imported == {"Fe": 0.5, "Np": 30.0} and done.prices_unused == ["Np"]
    line = design_space_change_line(done, prices.name)
    assert line.startswith("Imported 2 prices from prices.csv") and "Note: Np is in no alloy the model can propose" in line
    assert load_prices(store).price("Nb") == pymatgen_prices().price("Nb")
    prices.write_text("element,usd_per_kg\nNb,30\n")
    line = design_space_change_line(change_design_space(store, prices_file=prices), prices.name)
    assert "Note" not in line
    assert line.startswith("Imported 1 price from prices.csv; it overrides pymatgen's table.")  # not '1 prices'
    # a second list replaces the first whole: the elements only the first priced are named, not silently lost
    assert "It replaces the lab price list set before: Fe, Np are no longer on it" in line
    assert load_prices(store).price("Fe") == pymatgen_prices().price("Fe")
    prices.write_text("element,usd_per_kg\nNb,31\n")
    line = design_space_change_line(change_design_space(store, prices_file=prices), prices.name)
    assert "replaces" not in line  # nothing dropped: nothing to say


def test_space_set_says_how_a_coarse_grid_narrows_the_bounds_shown_as_typed(store):
    """`space set --granularity 10` on 5-35 at.% and Al >= 5 was saved without a word while the bounds
    acting were 10-30 and Al >= 10 (space show still says 5-35)."""
    from hea_campaign.campaign.design_space import change_design_space
    from hea_campaign.tui.present.design_space_view import design_space_change_line

    done = change_design_space(store, granularity=0.10, min_fraction={"Al": 0.05}, element_min=0.05,
                               element_max=0.35)
    line = design_space_change_line(done)
    assert ("Note: proposals lie on the 10 at.% grid, so the per-element range 5-35 at.% acts as 10-30; "
            "Al >= 5 acts as >= 10.") in line
    assert "grid" not in design_space_change_line(change_design_space(store, granularity=0.05))


def test_banning_an_element_of_the_stored_allowed_list_takes_it_off_that_list(store):
    """`space set --banned Al` with Al on the stored allowed list was refused ('both allowed and banned'):
    the whole allowed list had to be typed again. Typed together, the two still contradict each other."""
    from hea_campaign.campaign.design_space import change_design_space, load_design_space
    from hea_campaign.tui.present.design_space_view import design_space_change_line

    change_design_space(store, allowed=frozenset({"Al", "Co", "Cr", "Fe", "Ni"}))
    line = design_space_change_line(change_design_space(store, banned=frozenset({"Al"})))
    space = load_design_space(store)
    assert space.allowed == frozenset({"Co", "Cr", "Fe", "Ni"}) and space.banned == frozenset({"Al"})
    assert "Al is banned now, so it was taken off the allowed elements." in line
    with pytest.raises(CampaignError, match="both allowed and banned: Co"):
        change_design_space(store, allowed=frozenset({"Co", "Fe", "Ni", "Cr"}), banned=frozenset({"Co"}))


def test_a_trace_within_one_at_pct_does_not_make_another_alloy():
    """The same-element rule counts elements above 1 at.%: CoCrFeNi with 0.7 at.% Ti is, as made, CoCrFeNi."""
    measured = MeasuredAlloys(np.stack([parse_formula("CoCrFeNiTi0.03").vector(V)]), ["CoCrFeNiTi0.03"],
                              ["single phase"])
    assert set(find_known(parse_formula("Co25Cr25Fe25Ni25").vector(V)[None, :], measured, 0.01)) == {0}
