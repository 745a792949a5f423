"""`evaluate` keeps near-duplicates on one side of every split unless told otherwise (the headline figure)."""

from __future__ import annotations

import pytest

from hea_campaign.tui.cli import main


@pytest.fixture
def asked(monkeypatch):
    """What the CLI asks of the evaluation services (each replaced by a recorder that fails the command)."""
    from hea_campaign.campaign import evaluation as ce

    seen = {}

    def record(name):
        def call(*args, **kwargs):
            seen[name] = kwargs
            raise ce.CampaignError("recorded")
        return call

    monkeypatch.setattr(ce, "evaluate_paper", record("paper"))
    monkeypatch.setattr(ce, "evaluate_data_efficiency", record("data efficiency"))
    return seen


@pytest.mark.parametrize("extra, grouped", [([], True), (["--grouped"], True), (["--ungrouped"], False)])
def test_the_paper_protocol_is_grouped_by_default(asked, capsys, extra, grouped):
    assert main(["evaluate", "--seeds", "1", *extra]) == 2
    assert asked["paper"]["grouped"] is grouped and asked["paper"]["protocol"] == "paper"


@pytest.mark.parametrize("extra, grouped", [([], True), (["--ungrouped"], False)])
def test_data_efficiency_is_grouped_by_default(asked, capsys, extra, grouped):
    assert main(["evaluate", "--data-efficiency", "--seeds", "1", *extra]) == 2
    assert asked["data efficiency"]["grouped"] is grouped
    assert "paper" not in asked  # asking for data efficiency does not also run the paper protocol
    assert ("grouped paper-proportion splits" in capsys.readouterr().out) is grouped


@pytest.mark.parametrize("seeds, said", [("1", "over 1 seed;"), ("2", "over 2 seeds;")])
def test_the_number_of_seeds_is_said_in_words_that_agree(asked, capsys, seeds, said):
    assert main(["evaluate", "--data-efficiency", "--seeds", seeds]) == 2
    assert said in capsys.readouterr().out


def test_the_flags_follow_the_grouping_asked_for(monkeypatch, capsys):
    from hea_campaign.campaign import errors, flag_evaluation

    seen = {}

    def record(*args, **kwargs):
        seen.update(kwargs)
        raise errors.CampaignError("recorded")

    monkeypatch.setattr(flag_evaluation, "evaluate_flags", record)
    assert main(["evaluate", "--flags", "--seeds", "1", "--ungrouped"]) == 2
    assert seen["grouped"] is False
    assert main(["evaluate", "--flags", "--seeds", "1"]) == 2
    assert seen["grouped"] is True


@pytest.mark.parametrize("content, said", [
    ("formula,part\nAlCoCrFeNi,test\n", "needs the columns Alloys and split"),
    ("Alloys,label\nAlCoCrFeNi,test\n", "no split column"),
    (None, "not a UTF-8 text file"),
])
def test_a_split_file_that_is_not_one_is_one_error_line(tmp_path, capsys, content, said):
    path = tmp_path / "split.csv"
    if content is None:
        path.write_bytes(b"Alloys,split\n\xf0\x28\x8c\x28,test\n")
    else:
        path.write_text(content)
    assert main(["evaluate", "--seeds", "1", "--epochs", "1", "--split-file", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and said in err and "internal error" not in err and len(err.splitlines()) == 1


def test_a_split_file_with_unknown_part_names_says_which(tmp_path, capsys):
    from tests.conftest import PAPER_SPLIT

    path = tmp_path / "split.csv"
    path.write_text(PAPER_SPLIT.read_text().replace(",test\n", ",tst\n"))
    assert main(["evaluate", "--seeds", "1", "--epochs", "1", "--split-file", str(path)]) == 2
    err = capsys.readouterr().err
    assert "'tst'" in err and "internal error" not in err and len(err.splitlines()) == 1


def test_a_reliability_png_without_flags_is_refused_not_ignored(asked, tmp_path, capsys):
    png = tmp_path / "r.png"
    assert main(["evaluate", "--seeds", "1", "--reliability-png", str(png)]) == 2
    assert "needs --flags" in capsys.readouterr().err
    assert "paper" not in asked and not png.exists()


@pytest.mark.parametrize("extra, grouped, protocol, named", [
    ([], True, "paper", "grouped paper-proportion split, seed 0"),
    (["--ungrouped"], False, "paper", "random paper-proportion split, seed 0"),
    (["--protocol", "system-holdout"], True, "system-holdout", "system-holdout paper-proportion split, seed 0"),
])
def test_the_inversion_follows_the_split_asked_for_and_names_it(monkeypatch, capsys, extra, grouped, protocol, named):
    from hea_campaign.campaign import inversion_evaluation

    seen = {}

    def record(**kwargs):
        seen.update(kwargs)
        return [inversion_evaluation.InversionFigures("paper", 3, 1.0, 10.0, 2.0, 1.0)]

    monkeypatch.setattr(inversion_evaluation, "evaluate_inversion", record)
    assert main(["evaluate", "--inversion", "--seeds", "1", *extra]) == 0
    assert seen["grouped"] is grouped and seen["protocol"] == protocol
    out = capsys.readouterr().out
    assert f"multi-phase test alloys of the {named}" in out
    assert "protocol" not in out.split("Inverse design")[0]  # no paper-protocol run beside it


def test_a_missing_external_file_is_said_before_any_training(asked, tmp_path, capsys):
    missing = tmp_path / "nope.csv"
    assert main(["evaluate", "--data-efficiency", "--seeds", "1", "--external", str(missing)]) == 2
    assert "data efficiency" not in asked  # refused before the data-efficiency trainings, not after them
    assert capsys.readouterr().err.strip() == f"error: --external {missing}: no such file"


def test_an_external_file_without_labels_says_what_was_left_out(tmp_path, capsys):
    path = tmp_path / "formulas.csv"
    path.write_text("formula\nAlCoCrFeNi\nCoCrFeNi\n")
    assert main(["evaluate", "--external", str(path), "--epochs", "1"]) == 2
    err = capsys.readouterr().err.splitlines()[-1]
    assert err.startswith("error: formulas.csv: no labelled alloys left to evaluate (left out: unlabelled")


def test_the_external_set_is_scored_once_per_seed_asked_for(monkeypatch, tmp_path, capsys):
    """--external trained on seed 0 alone whatever --seeds said."""
    from hea_campaign.campaign import evaluation as ce

    seen = []

    def record(path, *, seed, baseline, config):
        seen.append(seed)
        m = {"accuracy": 0.6 + 0.1 * seed, "roc_auc": 0.7, "n": 9}
        return ce.ExternalResult(12, 9, {"unlabelled (B2, Other, ...)": 3}, m, others={"scorer": m},
                                 scorer_members=f"members{seed}")

    monkeypatch.setattr(ce, "evaluate_external", record)
    path = tmp_path / "ext.csv"
    path.write_text("formula,label\n")
    assert main(["evaluate", "--external", str(path), "--seeds", "3"]) == 0
    out = capsys.readouterr().out
    assert seen == [0, 1, 2]
    assert "(models trained on the seed set, seeds 0-2; mean +/- sd over the seeds)" in out
    assert "SSVAE head:        accuracy 0.700 +/- 0.100, ROC AUC 0.700 +/- 0.000 (n=9)" in out
    assert "per seed: members0, members1, members2" in out
    assert main(["evaluate", "--external", str(path), "--seeds", "1"]) == 0
    out = capsys.readouterr().out
    assert "(models trained on the seed set, seed 0)" in out and "scorer (members0):" in out and "+/-" not in out


def test_the_inversion_is_run_once_per_seed_asked_for(monkeypatch, capsys):
    """--inversion inverted split seed 0 alone whatever --seeds said."""
    from hea_campaign.campaign import inversion_evaluation as ie

    seen = []

    def record(*, seed, **kwargs):
        seen.append(seed)
        return [ie.InversionFigures("paper", 10 + seed, 1.0 - 0.5 * seed, 10.0, 2.0, 1.0)]

    monkeypatch.setattr(ie, "evaluate_inversion", record)
    assert main(["evaluate", "--inversion", "--seeds", "2"]) == 0
    out = capsys.readouterr().out
    assert seen == [0, 1]
    assert "of the grouped paper-proportion splits, seeds 0-1 (cutoff 0.6), mean +/- sd over the 2 seeds" in out
    assert "  paper: starts 10.5, reached 0.75 +/- 0.35, median change at.% 10.0 +/- 0.0," in out
