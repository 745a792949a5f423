"""tui/present is the one place requests are built: the TUI form and the CLI build equal requests."""

from __future__ import annotations

import pytest
import typer

from hea_campaign.campaign.acquisition import STRATEGIES
from hea_campaign.campaign.errors import CampaignError
from hea_campaign.campaign.export import FORMATS, UNITS_PER
from hea_campaign.campaign.inversion import MODES
from hea_campaign.db.tables import CANDIDATE_STATUSES
from hea_campaign.tui.app import CampaignApp
from hea_campaign.tui.cli import app as cli_app
from hea_campaign.tui.present import proposal_request as pr
from hea_campaign.tui.present.choices import CandidateStatus, ExportFormat, Loop, MassUnit, Strategy, values


def test_choices_are_the_ones_the_services_accept():
    assert values(Loop) == pr.LOOPS == MODES
    assert values(Strategy) == pr.STRATEGIES == STRATEGIES
    assert values(CandidateStatus) == CANDIDATE_STATUSES
    from hea_campaign.campaign.lifecycle import ACTION_FOR_MOVE, TRANSITIONS
    from hea_campaign.tui.present.choices import ExportStatus

    # an export's statuses: those whose move to exported is an export (not a reopening or a withdrawn failure)
    assert values(ExportStatus) == tuple(s for s in CANDIDATE_STATUSES if "exported" in TRANSITIONS.get(s, ())
                                         and ACTION_FOR_MOVE.get((s, "exported"), "export") == "export")
    assert values(ExportFormat) == FORMATS
    assert set(values(MassUnit)) == set(UNITS_PER)


def cli_defaults(command: str) -> dict:
    cmd = typer.main.get_command(cli_app).commands[command]
    return {p.name: p.default for p in cmd.params}


def test_the_cli_shows_the_shared_defaults():
    d = cli_defaults("propose")
    assert (d["loop"], d["cutoff"], d["p"], d["step"], d["batch"], d["strategy"]) \
        == (pr.DEFAULTS.loop, pr.DEFAULTS.cutoff, pr.DEFAULTS.p, pr.DEFAULTS.step, pr.DEFAULTS.batch, pr.DEFAULTS.strategy)
    # constraint options left out take the campaign's design space (hea-campaign space show)
    assert d["granularity"] is d["min_elements"] is d["max_elements"] is d["allowed"] is None


async def _requests(app, pilot, *forms: dict) -> list:
    """The Propose tab's request after setting each form's field values in turn (an error is returned)."""
    await pilot.press("p")
    pane, out = app.query_one("#propose-pane"), []
    for values in forms:
        for wid, value in values.items():
            app.query_one(f"#{wid}").value = value
        await pilot.pause()
        try:
            out.append(pane.request())
        except CampaignError as exc:
            out.append(exc)
    return out


async def test_the_tui_form_builds_the_cli_request(seeded_store):
    app = CampaignApp(seeded_store)
    async with app.run_test(size=(140, 48)) as pilot:
        from_form, screen_form = await _requests(app, pilot, {"starts": "CoCrFeNi, Al0.5CoCrCuFeNi", "min-frac": "Al:5%"},
                                                 {"mode": "screen", "screen": "Fe,Ni,Co,Cr", "latent": "0,0;1,1"})
    d = cli_defaults("propose")
    from_cli = pr.build_proposal_request(starts="CoCrFeNi, Al0.5CoCrCuFeNi", min_frac="Al:5%", loop=d["loop"],
                                         cutoff=d["cutoff"], p=d["p"], step=d["step"], batch=d["batch"],
                                         strategy=d["strategy"], min_elements=d["min_elements"],
                                         granularity=d["granularity"], seed_value=d["seed"])
    assert from_form == from_cli and from_form.inversion == "proximal" and from_form.cutoff == 0.6
    assert screen_form == pr.build_proposal_request(screen="Fe,Ni,Co,Cr", min_frac="Al:5%")  # the mode picks its fields


async def test_the_tui_form_takes_the_inversion_step_limit_element_set_and_seed_as_the_cli_does(seeded_store):
    app = CampaignApp(seeded_store)
    async with app.run_test(size=(140, 48)) as pilot:
        from_form, refused = await _requests(app, pilot, {"multi": "5", "max-steps": "7", "keep-elements": True,
                                                          "seed": "11"}, {"seed": "-1"})
    from_cli = pr.build_proposal_request(from_multi_phase="5", max_steps="7", keep_elements=True, seed_value="11")
    assert from_form == from_cli and (from_form.max_steps, from_form.keep_elements, from_form.seed) == (7, True, 11)
    assert isinstance(refused, CampaignError) and str(refused).startswith("'seed of starts' must be")


def test_a_proposal_summary_writes_every_step_canonically_with_at_percent():
    """The CLI and the Propose tab print one summary; each path step carries its at.% so steps compare."""
    from types import SimpleNamespace

    from hea_campaign.tui.present.design_report import format_proposal, proposal_summary

    path = [{"step": 0, "formula": "AlCoNiTiZn", "p": 0.2}, {"step": 1, "formula": "Al0.95CoNiTiZn1.05", "p": 0.7}]
    req = SimpleNamespace(mode="invert", cutoff=0.6, inversion="proximal")
    outcome = SimpleNamespace(paths={"AlCoNiTiZn": path}, dropped={"duplicate": 1}, known=[], run_id=7,
                              produced=3, candidate_ids=[41, 42])
    lines = proposal_summary(req, outcome)
    steps = [line for line in lines if "step" in line]
    assert len(steps) == 2 and all("at.% " in s for s in steps)
    assert "Al 19.0 Co 20.0 Ni 20.0 Ti 20.0 Zn 21.0" in steps[1]
    assert lines[0].startswith("Path from AlCoNiTiZn (proximal loop, reached the cutoff 0.6)")
    assert lines[-1] == "Proposal run 7: 3 produced, 2 stored (ids 41, 42); dropped - duplicate: 1"
    assert format_proposal(req, outcome, []).splitlines() == lines
    # what passed every check but did not fit the batch is counted too: the numbers add up
    more = SimpleNamespace(**{**vars(outcome), "produced": 18, "dropped": {"did not reach the cutoff": 12,
                                                                          "known (measured) alloy": 2}})
    req3 = SimpleNamespace(**{**vars(req), "batch": 2})
    assert proposal_summary(req3, more)[-1] == ("Proposal run 7: 18 produced, 2 stored (ids 41, 42); dropped - "
                                                "did not reach the cutoff: 12, known (measured) alloy: 2, "
                                                "not picked for a batch of 2: 14")
    screened = proposal_summary(SimpleNamespace(**{**vars(req3), "mode": "screen", "batch": 20}), more)
    assert "Screened the space; the best 1000 by score go on to the checks below" in screened[-2]
    assert not any(line.startswith("Screened") for line in proposal_summary(req3, more))
    # a batch that came out short: what is left are near copies of the picks, never used to fill it
    coarse = SimpleNamespace(**{**vars(more), "constraints": SimpleNamespace(granularity=0.05)})
    assert screened[-1].endswith("near copy of a picked candidate (within 2 at.% in every element): 14")
    assert proposal_summary(SimpleNamespace(**{**vars(req3), "batch": 20}), coarse)[-1].endswith(
        "near copy of a picked candidate (within 5 at.% in every element): 14")


def test_ordinals_read_as_english():
    from hea_campaign.tui.present.design_report import ordinal

    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 61, 100, 111, 112)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "61st", "100th", "111th", "112th"]


def test_a_long_formula_is_shortened_in_the_results_table_but_whole_in_its_panel():
    from datetime import date, datetime
    from types import SimpleNamespace

    from hea_campaign.tui.present.results_text import fit_columns, fit_row, format_chain, natural_widths, result_cells

    formula = "Al0.25Co0.75Cr1.25Cu0.5Fe1.5Mn0.25Ni1.75Ti0.5V0.25"
    r = SimpleNamespace(id=9, formula=formula, single_phase=True, phases="FCC", method="XRD", operator="ana",
                        day=date(2026, 11, 28), entered_at=datetime(2026, 11, 28), candidate_id=None, current=True,
                        superseded_by=None, chain=[9], notes=None, measured_on=date(2026, 11, 28), source="lab")
    cells = result_cells(r)
    widths = fit_columns(natural_widths([cells]), 78)  # an 80-column screen less the scrollbar
    cell = fit_row(cells, widths)[list(widths).index("alloy")]
    assert len(cell) == widths["alloy"] < len(formula) and cell.endswith("…") and formula.startswith(cell[:-1])
    assert formula in format_chain([r], 9) and "method XRD" in format_chain([r], 9)
    assert "  2026-11-28  single phase yes" in format_chain([r], 9)
    assert "by ana  [counts]" in format_chain([r], 9)
    literature = SimpleNamespace(**{**vars(r), "measured_on": None, "operator": None, "source": "import:yan2021"})
    assert "entered 2026-11-28 (no measurement date)" in format_chain([literature], 9)  # only its import date
    assert "by literature, from import:yan2021  [counts]" in format_chain([literature], 9)  # not 'by ?
    assert (cells["date"], result_cells(literature)["date"]) == ("2026-11-28", "2026-11-28*")  # * = entered


def test_results_columns_are_cut_only_as_much_as_the_screen_needs():
    from hea_campaign.tui.present.results_text import CELL_PADDING, RESULT_COLUMNS, fit_columns, short

    keys = [c.key for c in RESULT_COLUMNS]
    natural = dict(id=4, alloy=32, single=6, phases=60, state=17, candidate=9, date=10, operator=34)
    total = sum(natural.values()) + CELL_PADDING * len(natural)
    assert fit_columns(natural, total) == natural  # room for all: nothing cut
    at_120 = fit_columns(natural, 118)  # 120 columns less the scrollbar
    assert list(at_120) == keys and sum(at_120.values()) + CELL_PADDING * len(keys) == 118
    # only free text is cut, the widest overflow first: each stays near its soft width (14, 16, 24)
    assert (at_120["operator"], at_120["phases"], at_120["alloy"]) == (14, 17, 25)
    assert all(at_120[k] == natural[k] for k in ("id", "single", "state", "candidate", "date"))
    at_80 = fit_columns(natural, 78)  # the operator and the candidate are left out (both are in the panel)
    assert list(at_80) == ["id", "alloy", "single", "phases", "state", "date"]
    assert sum(at_80.values()) + CELL_PADDING * len(at_80) <= 78
    narrow = fit_columns(natural, 60)  # narrower still: the date goes too, the rest is cut to its least
    assert list(narrow) == ["id", "alloy", "single", "phases", "state"]
    assert (narrow["alloy"], narrow["phases"], narrow["state"]) == (16, 10, 17)  # a state is never cut
    assert short("Dr. Katharina Oberhauser", 14) == "Dr. Katharina…" and short("ana", 14) == "ana"
    assert short("化学者の名前", 5) == "化学…"  # terminal cells, not characters


def test_the_footer_gives_up_the_palette_then_the_go_to_keys_then_quit_never_help():
    from hea_campaign.tui.present.key_hints import APP, GROUP, HELP, PALETTE, SCREEN, hints_to_hide

    hints = [(SCREEN, 10), (SCREEN, 20), (GROUP, 16), (HELP, 8), (APP, 7), (PALETTE, 11)]  # 72 cells
    assert hints_to_hide(hints, 80) == set()
    assert hints_to_hide(hints, 70) == {5}
    assert hints_to_hide(hints, 50) == {5, 2}
    assert hints_to_hide(hints, 40) == {5, 2, 4}
    assert hints_to_hide(hints, 20) == {5, 2, 4, 1}
    assert hints_to_hide(hints, 1) == {5, 2, 4, 1, 0}  # Help stays, whatever the width


def test_training_settings_as_typed_are_checked_once_for_the_cli_and_the_retrain_tab():
    import pytest

    from hea_campaign.campaign.errors import CampaignError
    from hea_campaign.tui.present.training_request import training_request

    blank = training_request("", " ", "")
    assert (blank.seed, blank.epochs, blank.prior_r, blank.config_overrides) == (0, None, None, None)
    typed = training_request(" 7 ", "40", "0.25")
    assert (typed.seed, typed.epochs, typed.config_overrides) == (7, 40, {"prior_r": 0.25})
    assert training_request(3, 5, 0.5).config_overrides == {"prior_r": 0.5}  # Typer's numbers too
    from hea_campaign.tui.present.training_request import FORM_NAMES

    with pytest.raises(CampaignError, match="^max epochs must be between"):
        training_request("", "0", "", names=FORM_NAMES)
    for args, says in [(("x", "", ""), "--seed must be a whole number"), (("", "0", ""), "--epochs must be between"),
                       (("", "2.5", ""), "--epochs must be a whole number"), (("", "", "1"), "--prior-r must be in"),
                       (("", "", "inf"), "--prior-r must be a finite number")]:
        with pytest.raises(CampaignError, match=says):
            training_request(*args)


def test_a_version_says_its_prior_r_and_when_it_had_nothing_to_act_on():
    from datetime import datetime

    from hea_campaign.campaign.model_catalog import TrainingCurve, VersionSummary
    from hea_campaign.tui.present.models_text import format_version

    def version(n_unlabelled: int) -> VersionSummary:
        return VersionSummary(3, False, datetime(2026, 11, 30), "ana", 1200, n_unlabelled, 0, "ab" * 32,
                              config={"prior_r": 0.3, "epochs": 600})

    none = TrainingCurve(3, [], {})
    assert "prior r 0.3, up to 600 epochs (no unlabelled alloys: prior r had nothing to act on)" in \
        format_version(version(0), none)
    with_unlabelled = format_version(version(186), none)
    assert "prior r 0.3, up to 600 epochs" in with_unlabelled and "nothing to act on" not in with_unlabelled


def test_a_void_batch_of_one_candidate_reads_as_english():
    from types import SimpleNamespace

    from hea_campaign.tui.present.report import format_void

    one = format_void(SimpleNamespace(batch_id=2, reason="wrong\x1bfurnace", candidate_ids=[6], path="b.csv"))
    assert "candidate 6 is approved again" in one and "wrong\\x1bfurnace" in one


def test_form_words_name_fields_and_keep_what_the_form_lacks():
    from hea_campaign.tui.present.form_words import PROPOSE_FORM, SPACE_FORM, in_form_words

    said = "choose one mode: --from/--from-multi-phase, --latent or --screen"
    assert in_form_words(said, PROPOSE_FORM) == ("choose one mode: 'start alloys'/'or N multi-phase', "
                                                 "'latent points' or 'screen elements'")
    assert in_form_words("--min Fe (at.%) must be a number", SPACE_FORM).startswith("'element minimum at.%' Fe")
    assert in_form_words("raise --max-compositions", PROPOSE_FORM) == "raise the CLI's --max-compositions"
    assert in_form_words("--unknown stays", PROPOSE_FORM) == "--unknown stays"
    assert in_form_words("--step (at.%) must be in (0, 100]", PROPOSE_FORM) == "'step at.%' must be in (0, 100]"


def test_a_required_minimum_below_the_element_floor_is_said_to_only_require_the_element():
    from types import SimpleNamespace

    from hea_campaign.campaign.constraints import HEA_DEFAULTS
    from hea_campaign.tui.present.design_space_view import design_space_change_line

    def said(mins):
        space = HEA_DEFAULTS.replace(min_fraction=mins)
        return design_space_change_line(SimpleNamespace(prices_imported=None, prices_cleared=False,
                                                        no_list_to_clear=False, space_written=True, space=space))

    assert said({"Fe": 0.001, "Al": 0.10}) == ("Design space saved. Note: Fe:0.1 at.% is below the 5 at.% every "
                                               "element present already has, so it only requires Fe to be present "
                                               "(amounts are at.%: Fe:10 is 10 at.%).")
    assert said({"Al": 0.10}) == said({}) == "Design space saved."


def test_a_reason_with_a_newline_stays_on_the_confirmation_line():
    from types import SimpleNamespace

    from hea_campaign.tui.present.report import format_transitions

    said = format_transitions([SimpleNamespace(id=3, status_reason="too costly\nsee notes")], "rejected")
    assert said == "1 candidate(s) rejected: 3 (reason: too costly\\x0asee notes)" and "\n" not in said


def test_an_import_conflict_with_the_store_names_the_stored_side():
    from hea_campaign.campaign.importing import ImportReport
    from hea_campaign.tui.present.report import format_import_report

    r = ImportReport(source="mpea.csv", layout="formula,label")
    r.conflicts = {"AlCoCrFeNi": [(129, "Al0.43CoCrFeMnNi", False)],
                   "CoCrNi": [(5, "CoCrNi", True), (9, "CrCoNi", False)]}
    text = format_import_report(r)
    assert ("AlCoCrFeNi: line 129 Al0.43CoCrFeMnNi = multi (the store already holds a result saying single; "
            "hea-campaign history AlCoCrFeNi)") in text
    assert "CoCrNi: line 5 CoCrNi = single, line 9 CrCoNi = multi\n" in text + "\n"  # both sides in the file


def test_form_words_leave_typed_values_and_possessives_alone():
    from hea_campaign.tui.present.form_words import PROPOSE_FORM, in_form_words

    assert in_form_words("--min Fe (at.%) must be a number (got '--max')", PROPOSE_FORM) == \
        "'min at.%' Fe (at.%) must be a number (got '--max')"
    assert in_form_words("--latent points must all have the same number of coordinates", PROPOSE_FORM) == \
        "'latent points' must all have the same number of coordinates"
    assert in_form_words("the campaign's granularity does not fit; use e.g. --step 5 (the space's)", PROPOSE_FORM) \
        == "the campaign's granularity does not fit; use e.g. 'step at.%' 5 (the space's)"


@pytest.mark.parametrize("url, room, shown", [
    ("sqlite:///lab.db", 40, "sqlite:///lab.db"),
    ("sqlite:////home/ana/projects/2026/hea/lab.db", 30, "sqlite:////home/ana/pr…/lab.db"),
    ("sqlite:////home/ana/a-very-long-store-name.db", 20, "…-long-store-name.db"),
    ("postgresql+psycopg://hea:***@labserver/hea_campaign", 36, "postgresql+psycopg://h…/hea_campaign"),
])
def test_a_long_store_url_is_cut_in_the_middle_keeping_its_file(url, room, shown):
    from hea_campaign.tui.present.text import fit_url

    assert fit_url(url, room) == shown and len(shown) <= room


async def test_the_header_keeps_the_store_file_name_at_80_columns(tmp_path):
    from hea_campaign.campaign.store import CampaignStore
    from hea_campaign.tui.app import CampaignApp

    folder = tmp_path / ("a-long-folder-of-lab-stores-" * 3)
    folder.mkdir()
    store = CampaignStore.open(folder / "group-meeting.db", actor="x")
    try:
        app = CampaignApp(store, actor="x")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert app.sub_title.endswith("…/group-meeting.db · by x")  # and who acts (--by)
            assert len(f"{app.title} — {app.sub_title}") <= 80 - 16  # the icon and the margins
            await pilot.resize_terminal(300, 24)
            await pilot.pause()
            assert app.sub_title == f"default @ {store.display_url} · by x"
    finally:
        store.close()


def test_a_path_shows_runs_of_identical_steps_once_and_marks_steps_beyond_the_limits():
    from hea_campaign.tui.present.formulas import path_lines

    path = [{"step": k, "formula": "Ag30Co20Fe15Ni35", "p": 0.2} for k in range(3)]
    path += [{"step": 3, "formula": "Ag35Co15Fe15Ni35", "p": 0.27}, {"step": 4, "formula": "Ag35Co15Fe15Ni35", "p": 0.27}]
    path += [{"step": k, "formula": "Ag35Mo15Ni35W15", "p": 0.2712,
              "outside": ["density 11.52 g/cm3 > 9"]} for k in range(5, 151)]
    lines = path_lines(path)
    assert len(lines) == 6, lines
    assert lines[0].startswith("  step  0: p=0.20  Ag30Co20Fe15Ni35")
    assert lines[1] == "  steps 1-2: unchanged (p=0.20 Ag30Co20Fe15Ni35)"
    assert lines[2].startswith("  step  3: p=0.27") and lines[3].startswith("  step  4: p=0.27")  # two: both shown
    assert lines[4].startswith("  step  5: p=0.27  Ag35Mo15Ni35W15")
    assert lines[4].endswith("[outside the limits: density 11.52 g/cm3 > 9]")
    assert lines[5] == "  steps 6-150: unchanged (p=0.27 Ag35Mo15Ni35W15)"


def test_the_detail_puts_each_steps_at_percent_on_a_line_of_its_own():
    """At 80 columns the candidate detail wrapped '... Fe' / '20.0 Ni 20.0 Ti 8.0' inside a step's at.%."""
    from hea_campaign.tui.present.formulas import path_lines

    path = [{"step": 0, "formula": "Al8Co18Cr18Fe18Ni20Ti18", "p": 0.31}, {"step": 1, "formula": "Co20Cr20Fe20Ni20Ti20", "p": 0.64}]
    shown = path_lines(path, split=True)  # each a line of its own: one_line() would show a newline as \x0a
    assert shown == ["  step  0: p=0.31  Al8Co18Cr18Fe18Ni20Ti18",
                     "            at.% Al 8.0 Co 18.0 Cr 18.0 Fe 18.0 Ni 20.0 Ti 18.0",
                     "  step  1: p=0.64  Co20Cr20Fe20Ni20Ti20",
                     "            at.% Co 20.0 Cr 20.0 Fe 20.0 Ni 20.0 Ti 20.0"]
    assert max(map(len, shown)) <= 76  # an 80-column screen less its borders and scrollbar
    assert path_lines(path)[0].endswith("Ti18  at.% Al 8.0 Co 18.0 Cr 18.0 Fe 18.0 Ni 20.0 Ti 18.0")  # one line in the CLI


def test_the_models_line_asks_to_move_to_another_version_only_when_there_is_one():
    from hea_campaign.tui.present.models_text import marked_line

    assert marked_line([3], 1) == "v3 marked; it is the only version: train another on the Retrain tab to compare"
    assert marked_line([], 1) == "only one version so far: train another on the Retrain tab to compare two"
    assert marked_line([3], 2) == "v3 marked for comparison: move to another version and press space"
    assert marked_line([], 2) == "space marks a version for comparison (two marked are compared)"
    assert marked_line([3, 1], 2).startswith("v1 and v3 marked: their comparison is in the panel")
    assert all(len(marked_line(m, n)) < 80 for m in ([], [12]) for n in (1, 2))  # one line at 80 columns


def test_notes_over_several_lines_are_shown_as_lines_in_the_results_panel():
    """Notes may hold line breaks (the CLI and a results CSV accept them); the panel showed 'a\\x0asecond'."""
    from datetime import date, datetime
    from types import SimpleNamespace

    from hea_campaign.tui.present.results_text import format_chain

    r = SimpleNamespace(id=9, formula="CoCrFeNi", single_phase=True, phases="FCC", method=None, operator="ana",
                        day=date(2026, 11, 28), entered_at=datetime(2026, 11, 28), candidate_id=None, current=True,
                        superseded_by=None, chain=[9], notes="split on cooling\nsecond peak at 44°\x1b[2J",
                        measured_on=date(2026, 11, 28), source="lab")
    lines = format_chain([r], 9).splitlines()
    assert lines[1].endswith("notes: split on cooling")
    assert lines[2].strip() == "second peak at 44°\\x1b[2J"  # a break kept, other control characters escaped
    assert lines[2].startswith(" " * 8) and "\\x0a" not in format_chain([r], 9)


@pytest.mark.parametrize("last", [0, 1, 5, 7, 40, 103, 250, 999])
def test_epoch_ticks_are_whole_round_and_span_the_curve(last):
    from hea_campaign.tui.present.plots import epoch_ticks

    ticks = epoch_ticks(last)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1
    assert ticks[0] == 0 and all(isinstance(t, int) for t in ticks) and len(ticks) <= 6
    assert step in {1, 2, 5, 10, 20, 50, 100, 200, 500} and ticks == list(range(0, last + 1, step))
    assert last - ticks[-1] < step, "the last tick is near the last epoch"
