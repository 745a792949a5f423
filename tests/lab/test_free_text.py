"""Free text typed with a result or a decision (method, notes, reasons) follows the rule for names: no
control, escape or invisible character is stored, so none reaches an export file or a terminal.

``hea-campaign reject 3 --reason $'x\\x1b[2J'``, approved again and exported, wrote the ESC raw into the
batch CSV's approval_note: ``cat batch.csv`` cleared the screen.  Every way in (the CLI's options, a
result CSV's columns, the services the TUI calls) is refused in one line naming the field, and nothing
is written.
"""

from __future__ import annotations

import pytest

from hea_campaign.campaign.errors import CampaignError
from hea_campaign.campaign.export import export_batch
from hea_campaign.campaign.export_batches import void_batch
from hea_campaign.campaign.lifecycle import approve, fail, reject
from hea_campaign.campaign.results import ResultsImportFailed, import_results, record_result
from hea_campaign.tui.cli import main

from .conftest import candidate_statuses, counts, insert_candidates
from .test_lab_cli import _refused

BAD = ["x\x1b[2J", "XRD\x1b]0;owned\x07", "a\rb", "a\tb", "\x9b31m", "evil\u202etxt", "zero\u200bwidth", "\x00"]


def test_the_reason_of_the_repro_never_reaches_the_export_file(capsys, store, tmp_path):
    (cid,) = insert_candidates(store, ["CoCrFeNi"])
    db = ["--db", store.url]
    line = _refused(capsys, "reject", str(cid), "--reason", "x\x1b[2J", *db)
    assert "the reason contains a control character (\\x1b)" in line and "\x1b" not in line
    assert candidate_statuses(store, [cid]) == {cid: "proposed"}
    line = _refused(capsys, "approve", str(cid), "--reason", "ok\x1b[2J", *db)
    assert "the reason contains a control character" in line
    assert main(["approve", str(cid), "--reason", "for the furnace on Monday", *db]) == 0
    out = tmp_path / "e.csv"
    assert main(["export", "--mass", "20", "--ids", str(cid), "--out", str(out), *db]) == 0
    text = out.read_text(encoding="utf-8")
    assert "for the furnace on Monday" in text
    assert not any(ch < " " and ch != "\n" or "\x7f" <= ch <= "\x9f" for ch in text)


@pytest.mark.parametrize("bad", BAD)
def test_decisions_refuse_a_reason_with_a_control_character(store, bad):
    ids = insert_candidates(store, ["CoCrFeNi", "FeNi"])
    before = counts(store)
    for act in (approve, reject):
        with pytest.raises(CampaignError, match=r"^the reason contains a control character \(\\x[0-9a-f]{2}\)|"
                                                r"^the reason contains a control character \(\\u[0-9a-f]{4}\)"):
            act(store, ids, by="amy", reason=f"too costly {bad}")
    assert counts(store) == before


def test_a_failed_synthesis_and_a_voided_batch_refuse_them_too(store, tmp_path):
    (cid,) = insert_candidates(store, ["CoCrFeNi"])
    approve(store, [cid], by="amy")
    done = export_batch(store, mass=20, out=tmp_path / "b.csv")
    before = counts(store)
    with pytest.raises(CampaignError, match=r"^the notes contain a control character \(\\x1b\)"):
        fail(store, [cid], "cracked", notes="crack\x1b[2J", by="amy")
    with pytest.raises(CampaignError, match=r"^the reason contains a control character \(\\u202e\)"):
        void_batch(store, done.batch_id, "wrong mass\u202e", by="amy")
    assert counts(store) == before and candidate_statuses(store, [cid]) == {cid: "exported"}


@pytest.mark.parametrize("field", ["method", "notes"])
def test_a_result_refuses_a_method_or_notes_with_a_control_character(capsys, store, field):
    db = ["--db", store.url]
    before = counts(store)
    for bad in BAD:
        if field == "notes" and bad == "a\tb":
            continue  # checked below: one line is not asked of notes, but a tab is still refused
        line = _refused(capsys, "result", "add", "CoCrFeNi", "--single-phase", "yes", f"--{field}", bad, *db)
        assert f"the {field} contain" in line and "a control character" in line
        assert not any(ch in line for ch in "\x1b\x07\r\x9b\u202e\u200b\x00")
    with pytest.raises(CampaignError, match="control character"):
        record_result(store, "CoCrFeNi", None, single_phase="yes", **{field: "a\tb"})
    assert counts(store) == before
    assert main(["result", "add", "CoCrFeNi", "--single-phase", "yes", "--method", "XRD", *db]) == 0
    capsys.readouterr()
    before = counts(store)
    line = _refused(capsys, "result", "correct", "1", "--single-phase", "no", f"--{field}", "x\x1b[2J", *db)
    assert f"the {field} contain" in line and "control character (\\x1b)" in line
    assert counts(store) == before


def test_notes_keep_their_lines_but_a_method_is_one_line(store):
    m = record_result(store, "CoCrFeNi", None, single_phase="yes", notes="two lines\nof notes").measurement
    assert m.notes == "two lines\nof notes"
    with pytest.raises(CampaignError, match=r"^the method contains a control character \(\\x0a\)"):
        record_result(store, "FeNi", None, single_phase="yes", method="XRD\nSEM")


def test_a_result_csv_with_control_characters_is_refused_naming_the_lines(store, tmp_path):
    path = tmp_path / "results.csv"
    path.write_text("formula,single_phase,method,operator,notes\n"
                    "FeNi,yes,XRD,raj,fine\n"
                    "CoCrFeNi,yes,XRD\x1b[2J,raj,\n"
                    "CoCrFeMnNi,yes,XRD,raj,see \u202eelif\n", encoding="utf-8")  # fmt: skip
    before = counts(store)
    with pytest.raises(ResultsImportFailed) as err:
        import_results(store, path, by="amy")
    assert [line for line, _ in err.value.errors] == [3, 4]
    msg = str(err.value)
    assert "line 3: the method contains a control character (\\x1b)" in msg
    assert "line 4: the notes contain a control character (\\u202e)" in msg
    assert counts(store) == before


def test_the_result_form_says_so_under_the_field(store):
    """The TUI's result form checks the method, notes and operator by the same function as it is typed."""
    from hea_campaign.campaign.results import check_result_text

    assert check_result_text("method", " XRD ") == "XRD" and check_result_text("notes", "  ") is None
    with pytest.raises(CampaignError, match=r"^the operator contains a control character \(\\x1b\): give a plain name"):
        check_result_text("operator", "eve\x1b[2J")


def test_a_new_campaign_name_follows_the_rule_too(tmp_path):
    """A campaign's name heads the JSON export and every screen: a new one with ESC in it is refused."""
    from sqlmodel import select

    from hea_campaign.campaign.store import CampaignStore
    from hea_campaign.db.tables import Campaign

    db = tmp_path / "lab.db"
    CampaignStore.open(db, campaign="default").close()
    with pytest.raises(CampaignError, match=r"^the campaign name contains a control character \(\\x1b\)"):
        CampaignStore.open(db, campaign="lab\x1b[2J")
    store = CampaignStore.open(db, campaign="default")
    with store.read() as s:
        assert s.exec(select(Campaign.name)).all() == ["default"]
    store.close()


@pytest.mark.parametrize("ch", ["\u00ad", "\u034f", "\u115f", "\u3164", "\uffa0", "\u180e", "\u2061",
                                "\U000e0041", "\U0001d173", "\uffff"])
def test_a_name_that_would_look_like_another_is_refused(ch):
    """'a<soft hyphen>b' was recorded and shown as 'ab', another person's name: every character that shows
    as nothing is refused in a name, while the joiners Persian and Indic names need are kept."""
    from hea_campaign.campaign.actors import actor_name, clean_user_name

    with pytest.raises(CampaignError, match="an invisible character"):
        actor_name(f"a{ch}b")
    assert clean_user_name(f"a{ch}b") == "ab"
    assert actor_name("\u0645\u06cc\u200c\u0634\u0648\u062f") == "\u0645\u06cc\u200c\u0634\u0648\u062f"


def test_a_dataset_csv_refuses_phases_or_a_method_with_a_control_character(store, tmp_path):
    """A dataset's phases cell with an escape sequence was stored and shown by `history` as 'FCC\\x1b[31m',
    while `result add --phases` refused the same text."""
    from hea_campaign.campaign.datasets import DatasetError
    from hea_campaign.campaign.importing import import_csv

    path = tmp_path / "d.csv"
    path.write_text('formula,phase\nFeCoNiCrIr,"FCC\x1b[31m"\nFeCoNiCrOs,FCC\u00ad\nFeCoNiCr,[b]FCC[/b]\n',
                    encoding="utf-8")
    before = counts(store)
    with pytest.raises((DatasetError, CampaignError)) as err:
        import_csv(store, path)
    msg = str(err.value)
    assert "line 2: the phases cell contains a control character (\\x1b)" in msg
    assert "line 3: the phases cell contains an invisible character (\\xad)" in msg and "line 4" not in msg
    assert counts(store) == before
