"""Candidates outside the campaign's current design space (a space tightened after they were proposed):
approve and export warn, naming each and why, and the list and the detail mark them; nothing is refused."""

from __future__ import annotations

import numpy as np

from hea_campaign.campaign.constraints import HEA_DEFAULTS, Constraints, violations
from hea_campaign.campaign.design_space import (
    outside_current_space,
    outside_reasons,
    save_design_space,
    update_design_space,
)
from hea_campaign.model.vocabulary import DEFAULT_VOCABULARY as V
from hea_campaign.tui.cli import main

from .conftest import candidate_statuses, insert_candidates

OUT = "Co18Cr6Cu23Fe35Ni18"  # Cu, and above 12 USD/kg at pymatgen's prices
IN = "Cr20Fe35Mn30Ni15"  # cheap, no Cu


def _tight(**more) -> dict:
    return {"design_space": HEA_DEFAULTS.replace(max_cost_per_kg=12, banned=frozenset({"Cu"}), **more).describe()}


def test_reasons_are_short_and_say_why():
    why = outside_reasons({15: OUT, 2: IN, 3: "Fe40Ni30Co30"}, _tight())
    assert set(why) == {15, 3}
    assert why[15][0] == "Cu is banned" and why[15][1].endswith(" USD/kg > 12")
    assert why[3][:2] == ("3 elements < 4", "Fe 40 at.% > 35")
    assert outside_reasons({15: OUT}, {}) == {}  # the default space admits it
    assert outside_reasons({15: OUT}, _tight(allowed=frozenset({"Co", "Cr", "Fe", "Ni", "Mn"})))[15][0] == \
        "Cu is banned"
    only = {"design_space": HEA_DEFAULTS.replace(allowed=frozenset({"Co", "Cr", "Fe", "Ni", "Mn"})).describe()}
    assert outside_reasons({15: OUT}, only) == {15: ("Cu is not allowed",)}


def test_short_reasons_come_from_the_same_checks_as_the_long_ones():
    x = np.zeros(len(V))
    x[V.index("Fe")], x[V.index("Ni")], x[V.index("Co")] = 0.4, 0.3, 0.3
    space = HEA_DEFAULTS.replace(max_density=7.0, min_fraction={"Cr": 0.05})
    long, short = violations(x, space, V), violations(x, space, V, short=True)
    assert len(long) == len(short) == 4
    assert short == ["3 elements < 4", "Cr 0 at.% < 5", "Fe 40 at.% > 35", f"{short[-1].split()[0]} g/cm3 > 7"]


def test_the_current_space_is_read_from_the_store(store):
    [a, b] = insert_candidates(store, [OUT, IN])
    assert outside_current_space(store, {a: OUT, b: IN}) == {}
    update_design_space(store, max_cost_per_kg=12, banned=frozenset({"Cu"}))
    assert list(outside_current_space(store, {a: OUT, b: IN})) == [a]


def _ok(capsys, *args) -> str:
    code = main(list(args))
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out


def test_approve_export_and_the_list_warn_of_a_candidate_outside_the_space(capsys, store, tmp_path):
    db = ["--db", store.url]
    [a, b] = insert_candidates(store, [OUT, IN])
    _ok(capsys, "space", "set", "--max-cost", "12", "--banned", "Cu", *db)
    out = _ok(capsys, "approve", str(a), str(b), *db)
    assert candidate_statuses(store, [a, b]) == {a: "approved", b: "approved"}  # a warning, not a refusal
    [line] = [ln for ln in out.splitlines() if ln.startswith("warning:")]
    assert line.startswith(f"warning: candidate {a} is outside the current design space: Cu is banned; ")
    assert line.endswith(" USD/kg > 12") and f"candidate {b} " not in out
    listing = _ok(capsys, "candidates", *db).splitlines()
    [row_a] = [ln for ln in listing if ln.split()[:1] == [str(a)]]
    [row_b] = [ln for ln in listing if ln.split()[:1] == [str(b)]]
    assert row_a.endswith("outside space") and "outside space" not in row_b
    assert any("hea-campaign candidate ID says why" in ln for ln in listing)
    out = _ok(capsys, "export", "--mass", "20", "--out", str(tmp_path / "b4.csv"), *db)
    assert (tmp_path / "b4.csv").exists() and candidate_statuses(store, [a, b]) == {a: "exported", b: "exported"}
    assert f"warning: candidate {a} is outside the current design space: Cu is banned; " in out
    assert "exported all the same" in out and f"candidate {b} " not in out


def test_inside_the_space_nothing_is_said(capsys, store, tmp_path):
    db = ["--db", store.url]
    [b] = insert_candidates(store, [IN])
    out = _ok(capsys, "approve", str(b), *db) + _ok(capsys, "export", "--mass", "20", "--out",
                                                    str(tmp_path / "b.csv"), *db)
    out += _ok(capsys, "candidates", *db)
    assert "warning" not in out and "outside" not in out


def test_the_tui_notes_come_from_the_same_results(store, tmp_path):
    """The TUI formats what approve and export return with the same presenters."""
    from hea_campaign.campaign.export import export_batch
    from hea_campaign.campaign.read_models import approve
    from hea_campaign.tui.present.report import export_notice, format_transitions

    [a] = insert_candidates(store, [OUT])
    update_design_space(store, banned=frozenset({"Cu"}))
    views = approve(store, [a], by="amy")
    assert views[0].outside_space == ("Cu is banned",)
    assert f"warning: candidate {a} is outside the current design space: Cu is banned" in \
        format_transitions(views, "approved")
    result = export_batch(store, ids=[a], mass=20, out=tmp_path / "x.csv", by="amy")
    assert result.outside_space == {a: ("Cu is banned",)}
    assert f"warning: candidate {a} is outside the current design space: Cu is banned" in export_notice(result)


def test_the_detail_says_why_it_lies_outside(trained_store):
    from hea_campaign.campaign.read_models import candidate_detail
    from hea_campaign.tui.present.views import candidate_detail_text

    from ..tui.test_app import with_candidates

    [cid] = with_candidates(trained_store, 1)
    save_design_space(trained_store, Constraints())  # everything allowed
    d = candidate_detail(trained_store, cid, with_shap=False)
    assert d.candidate.outside_space == () and "outside the current design space" not in candidate_detail_text(d).plain
    element = max(d.composition, key=d.composition.get)
    update_design_space(trained_store, banned=frozenset({element}))
    d = candidate_detail(trained_store, cid, with_shap=False)
    assert f"outside the current design space: {element} is banned" in candidate_detail_text(d).plain


def test_a_page_says_it_only_when_asked(store):
    """candidate_page says it only when asked (the TUI's table asks: its flags column marks them)."""
    from hea_campaign.campaign.read_models import candidate_page

    [a, b] = insert_candidates(store, [OUT, IN])
    update_design_space(store, banned=frozenset({"Cu"}))
    assert [r.outside_space for r in candidate_page(store).rows] == [(), ()]
    assert [r.outside_space for r in candidate_page(store, check_space=True).rows] == [("Cu is banned",), ()]


def test_a_candidate_off_the_current_granularity_grid_lies_outside(capsys, store):
    """A granularity tightened (coarsened) after proposals leaves candidates off the grid every proposal is
    rounded to: reported as a banned element or a cost limit is, naming the elements off it."""
    on, off = "Co25Cr25Fe25Ni25", "Co18Cr6Cu23Fe35Ni18"
    assert outside_reasons({1: on, 2: off}, {}) == {}  # 1 at.% grid
    coarse = {"design_space": Constraints(granularity=0.05).describe()}
    assert outside_reasons({1: on, 2: off}, coarse) == {2: ("Ni 18, Cr 6, Co 18, Cu 23 at.% off the 5 at.% grid",)}
    both = {"design_space": Constraints(granularity=0.05, banned=frozenset({"Cu"})).describe()}
    assert outside_reasons({2: off}, both) == {2: ("Cu is banned", "Ni 18, Cr 6, Co 18, Cu 23 at.% off the 5 at.% grid")}
    db = ["--db", store.url]
    [a, b] = insert_candidates(store, [off, on])
    _ok(capsys, "space", "set", "--granularity", "5", *db)
    out = _ok(capsys, "approve", str(a), str(b), *db)
    assert f"warning: candidate {a} is outside the current design space: Ni 18, Cr 6, Co 18, Cu 23 at.% off the 5 at.% " \
           "grid" in out and f"candidate {b} " not in out
    listing = _ok(capsys, "candidates", *db).splitlines()
    [row_a] = [ln for ln in listing if ln.split()[:1] == [str(a)]]
    [row_b] = [ln for ln in listing if ln.split()[:1] == [str(b)]]
    assert row_a.endswith("outside space") and "outside space" not in row_b
