"""Does the model that proposes know this alloy's result?  Each version's use of each alloy is kept in the
store with the version (migration 0008); ``history`` answers from it without loading a checkpoint."""

from __future__ import annotations

import re

import numpy as np
from sqlalchemy import text

from hea_campaign.campaign.model_versions import activate, version_arrays
from hea_campaign.campaign.results import history, record_result
from hea_campaign.campaign.retraining import comparison_ids, retrain
from hea_campaign.campaign.training_set import snapshot
from hea_campaign.db import store as q
from hea_campaign.tui.cli import main
from hea_campaign.tui.present.report import format_history


def _roles(store, version_id: int) -> dict[str, set[int]]:
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT role, alloy_id FROM model_version_alloy WHERE model_version_id = :v"),
                            {"v": version_id}).all()
    out: dict[str, set[int]] = {}
    for role, alloy_id in rows:
        out.setdefault(role, set()).add(alloy_id)
    return out


def _active(store):
    with store.read() as session:
        return q.active_model(session, store.campaign_id)


def _formulas(store, ids) -> dict[int, str]:
    with store.read() as session:
        return {i: a.formula for i, a in q.alloys_by_id(session, store.campaign_id, ids).items()}


def _model_line(store, formula: str) -> str:
    return format_history(history(store, formula)).splitlines()[1]


def test_training_records_the_rows_its_checkpoint_holds(trained_store):
    """The store's roles are the checkpoint's own train and validation ids, and every labelled alloy of the
    training set is in one of them (a first training keeps nothing out for comparison)."""
    version = _active(trained_store)
    roles = _roles(trained_store, version.id)
    arrays = version_arrays(version)
    assert roles["train"] == set(np.asarray(arrays["train_ids"]).tolist())
    assert roles["validation"] == set(np.asarray(arrays["val_ids"]).tolist())
    assert roles.get("unlabelled", set()) == set(np.asarray(arrays["unlab_ids"]).tolist())
    assert "comparison" not in roles and not roles["train"] & roles["validation"]
    assert roles["train"] | roles["validation"] == set(snapshot(trained_store).lab_ids.tolist())


def test_history_says_what_the_active_version_did_and_names_a_result_entered_since(trained_store, capsys):
    version = _active(trained_store)
    roles = _roles(trained_store, version.id)
    names = _formulas(trained_store, [min(roles["train"]), min(roles["validation"])])
    trained_on, chose_on = names[min(roles["train"])], names[min(roles["validation"])]
    assert main(["history", trained_on, "--db", trained_store.url]) == 0
    line = capsys.readouterr().out.splitlines()[1]
    assert line.startswith(f"model: active version {version.id} (trained ") and "trained on this alloy's result" in line
    assert "retrain" not in line
    assert "(validation), without training on it" in _model_line(trained_store, chose_on)
    later = record_result(trained_store, trained_on, single_phase=False, phases="FCC+BCC").measurement
    line = _model_line(trained_store, trained_on)
    assert "trained on this alloy's result" in line
    assert f"measurement {later.id} was entered after its training began: `retrain` to use it" in line


def test_an_alloy_first_measured_after_training_is_named_as_not_yet_learned(trained_store):
    record_result(trained_store, "Au10Co30Fe30Ni30", single_phase=True, phases="FCC")
    line = _model_line(trained_store, "Au10Co30Fe30Ni30")
    assert line.endswith("began training before this alloy's result was entered: `retrain` to use it")


def test_retrain_records_the_comparison_tenth_and_history_names_it_once_that_version_is_active(trained_store):
    """The alloys ``retrain`` keeps out to compare versions are recorded as such: nothing else names them."""
    ts = snapshot(trained_store)
    held = comparison_ids(ts.lab_ids, ts.X_lab)
    trained, _ = retrain(trained_store, seed=1, epochs=3)
    roles = _roles(trained_store, trained.version.id)
    assert roles["comparison"] == held and not held & (roles["train"] | roles["validation"])
    assert roles["train"] | roles["validation"] | held == set(ts.lab_ids.tolist())
    activate(trained_store, trained.version.id)
    kept = _formulas(trained_store, [min(held)])[min(held)]
    assert "kept this alloy out of training and validation, to compare versions" in _model_line(trained_store, kept)


def test_a_version_without_recorded_roles_says_so_and_a_store_without_one_says_nothing(trained_store, seeded_store):
    version = _active(trained_store)
    formula = _formulas(trained_store, [min(_roles(trained_store, version.id)["train"])])
    formula = next(iter(formula.values()))
    with trained_store.engine.begin() as conn:  # as a version trained before release 0.8.0 is
        conn.execute(text("DELETE FROM model_version_alloy WHERE model_version_id = :v"), {"v": version.id})
    assert "not recorded (trained before release 0.8.0)" in _model_line(trained_store, formula)
    assert not _model_line(seeded_store, formula).startswith("model:")  # no model: nothing to say of it


def test_a_measured_candidates_detail_says_whether_the_active_version_knows_its_result(trained_store, capsys,
                                                                                     tmp_path):
    db = ["--db", trained_store.url]
    assert main(["propose", "--screen", "Fe,Ni,Co,Cr", "--step", "10", "--min-elements", "3", "--batch", "1", *db]) == 0
    (cid,) = [int(m) for m in re.findall(r"^\s+(\d+)\s+\S+\s+0\.\d\d", capsys.readouterr().out, flags=re.M)]
    assert main(["candidate", str(cid), *db]) == 0
    assert "model: active version" not in capsys.readouterr().out  # no lab result: nothing to know yet
    assert main(["approve", str(cid), *db]) == 0
    assert main(["export", "--mass", "20", "--out", str(tmp_path / "batch.csv"), *db]) == 0
    record_result(trained_store, candidate_id=cid, single_phase=True, phases="FCC")
    capsys.readouterr()
    assert main(["candidate", str(cid), *db]) == 0
    detail = capsys.readouterr().out
    assert f"model: active version {_active(trained_store).id} (trained " in detail
    assert "began training before this alloy's result was entered: `retrain` to use it" in detail


def test_retrain_says_where_its_kept_out_alloys_are_named(trained_store, capsys):
    assert main(["retrain", "--epochs", "2", "--seed", "3", "--db", trained_store.url]) == 0
    out = capsys.readouterr().out
    assert "`hea-campaign history FORMULA` says whether an alloy is one of them" in out


def test_a_versions_detail_counts_the_alloys_in_each_role(trained_store):
    from hea_campaign.campaign.model_use import version_use
    from hea_campaign.tui.present.models_text import use_line

    version = _active(trained_store)
    roles = _roles(trained_store, version.id)
    counts = version_use(trained_store, version.id)
    assert counts == {role: len(ids) for role, ids in roles.items()}
    (line,) = use_line(counts)
    assert line.startswith(f"  alloys: {len(roles['train'])} trained on, {len(roles['validation'])} validation")
    assert use_line({}) == ["  which alloys it used: not recorded (trained before release 0.8.0)"]


def test_status_counts_the_results_entered_since_the_active_version_was_trained(trained_store, capsys):
    """Both ways status is read (SQLAlchemy on any store, the standard library on a SQLite file) count alike."""
    from hea_campaign.campaign.status import campaign_status, quick_status
    from hea_campaign.campaign.withdrawals import withdraw_result

    def since():
        full = campaign_status(trained_store).active_model["results_since"]
        quick = quick_status(trained_store.url, trained_store.campaign_name)
        assert (quick is None) == (not trained_store.url.startswith("sqlite"))  # None: not a SQLite file
        assert quick is None or quick.active_model["results_since"] == full
        return full

    assert since() == 0
    assert main(["status", "--db", trained_store.url]) == 0
    assert "since its training began" not in capsys.readouterr().out
    record_result(trained_store, "Au10Co30Fe30Ni30", single_phase=True, phases="FCC")
    wrong = record_result(trained_store, "Ag10Co30Fe30Ni30", single_phase=True).measurement
    withdraw_result(trained_store, wrong.id, reason="typed for the wrong alloy")
    assert since() == 3
    assert main(["status", "--db", trained_store.url]) == 0
    assert "lab results entered, corrected or withdrawn since its training began: 3 (retrain to use them)" in (
        capsys.readouterr().out)


def test_a_proposal_says_its_version_was_trained_before_the_newest_results(trained_store, capsys):
    db = ["--db", trained_store.url]
    screen = ["propose", "--screen", "Fe,Ni,Co,Cr", "--step", "10", "--min-elements", "3", "--batch", "1", *db]
    assert main(screen) == 0
    assert "trained before" not in capsys.readouterr().out
    record_result(trained_store, "Au10Co30Fe30Ni30", single_phase=True, phases="FCC")
    assert main(screen) == 0
    assert (f"Note: model version v{_active(trained_store).id} began training before 1 lab result(s) were entered, "
            "corrected or withdrawn; it proposed without them (retrain to use them)") in capsys.readouterr().out


def test_a_result_entered_while_a_version_trains_is_not_called_known(trained_store):
    """The version knows the labels as read when its training began: a result entered during training (a
    colleague at the bench while the TUI trains) counts as new, though entered before the version was saved."""
    from hea_campaign.campaign.model_versions import train_version
    from hea_campaign.campaign.status import campaign_status

    ts = snapshot(trained_store)  # the training's read of the labels
    during = record_result(trained_store, "Au10Co30Fe30Ni30", single_phase=True, phases="FCC").measurement
    version = train_version(trained_store, seed=2, epochs=2, training_set=ts, activate=True).version
    assert version.created_at > during.entered_at  # saved after the result was entered
    assert campaign_status(trained_store).active_model["results_since"] == 1
    assert _model_line(trained_store, "Au10Co30Fe30Ni30").endswith(
        "began training before this alloy's result was entered: `retrain` to use it")


def test_an_alloy_with_elements_outside_the_vocabulary_is_named_as_unreadable_not_as_pending(trained_store):
    """Such an alloy never enters training: "retrain to use it" would send the lab to retrain for nothing."""
    from hea_campaign.model.vocabulary import DEFAULT_VOCABULARY

    foreign = next(el for el in ("U", "Th", "Pu", "Np", "Pa") if el not in DEFAULT_VOCABULARY)
    record_result(trained_store, f"{foreign}10Co30Fe30Ni30", single_phase=True, phases="FCC")
    line = _model_line(trained_store, f"{foreign}10Co30Fe30Ni30")
    assert line.endswith(f"did not use this alloy: the model reads no {foreign} (retraining cannot change that)")


def test_a_result_withdrawn_or_moved_away_since_is_nothing_to_retrain_on(trained_store):
    """A review: after a withdrawal (or a move away) the line said 'measurement N was entered after its training
    began: retrain to use it', N being the withdrawal, for an alloy left without a current result."""
    from hea_campaign.campaign.withdrawals import withdraw_result

    first = record_result(trained_store, "Au10Co30Fe30Ni30", single_phase=True, phases="FCC").measurement
    gone = withdraw_result(trained_store, first.id, reason="typed for the wrong ingot")
    line = _model_line(trained_store, "Au10Co30Fe30Ni30")
    assert "retrain` to use it" not in line, line
    assert line.endswith(f"measurement {gone.withdrawal.id}, entered after its training began, left the alloy without a current "
                         "result (nothing to retrain on)"), line


def test_a_result_the_version_learnt_from_and_now_gone_asks_for_a_retrain_that_stops_using_it():
    from datetime import datetime
    from types import SimpleNamespace

    from hea_campaign.tui.present.model_use_text import model_use_text

    u = SimpleNamespace(version_id=3, trained_at=datetime(2026, 12, 1, 4, 0), recorded=True, role="train",
                        label_state="none", entered_since=99, outside_vocabulary="")
    assert model_use_text(u).endswith("trained on this alloy's result; measurement 99, entered after its training "
                                      "began, left the alloy without a current result: `retrain` so that the model "
                                      "stops using it")
