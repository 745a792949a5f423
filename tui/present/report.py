"""Plain-text rendering of campaign results for the command line."""

from __future__ import annotations

from hea_campaign.campaign.importing import ImportReport

from .model_use_text import model_use_text
from .money import usd
from .results_text import made_text, weighed_text
from .text import one_line


def _listing(items: list[str], limit: int | None = 8) -> list[str]:
    limit = len(items) if limit is None else limit
    shown = [f"    {item}" for item in items[:limit]]
    if len(items) > limit:
        shown.append(f"    ... and {len(items) - limit} more")
    return shown


def _conflict_line(formula: str, rows: list[tuple[int, str, bool]]) -> str:
    """An alloy whose current results disagree after the import: the file's rows, and, when they all agree,
    the other side, which can only be a result the store held already."""
    labels = {lab for _, _, lab in rows}
    stored = "" if len(labels) > 1 else \
        f" (the store already holds a result saying {'multi' if labels.pop() else 'single'}; hea-campaign history {formula})"
    if len(rows) <= 3:
        return f"{formula}: " + ", ".join(f"line {ln} {t} = {'single' if lab else 'multi'}" for ln, t, lab in rows) + stored
    single = [ln for ln, _, lab in rows if lab]
    multi = [ln for ln, _, lab in rows if not lab]
    if not (single and multi):
        return f"{formula}: {'single' if single else 'multi'} on lines {', '.join(map(str, single or multi))}{stored}"
    return f"{formula}: single on lines {', '.join(map(str, single))}; multi on lines {', '.join(map(str, multi))}"


def format_import_report(r: ImportReport, full: bool = False) -> str:
    """The import report; ``full`` lists every item (the TUI's report screen) instead of the first few."""
    lines = [
        f"Imported {r.source} ({r.layout} layout): {r.rows} rows read, "
        f"{r.labelled_rows} labelled, {r.unlabelled_rows} without a single-phase label.",
    ]
    if r.already_imported and not (r.alloys_added or r.measurements_added):
        lines.append(f"  nothing new: all {r.already_imported} readable rows were imported before")
    else:
        lines.append(f"  alloys added: {r.alloys_added} (already in the store: {r.alloys_existing}); "
                     f"measurements added: {r.measurements_added}; rows imported before: {r.already_imported}")
    if r.unread_columns:
        lines.append("  no single-phase label or phase column found, so every row is unlabelled; columns not read: "
                     + ", ".join(repr(c) for c in r.unread_columns) + " (name the label column with --label-column)")
    if r.errors:
        lines.append(f"  skipped {len(r.errors)} bad row(s):")
        lines += _listing([f"line {line}: {msg}" for line, msg in r.errors], limit=None if full else 8)
    if r.zero_amounts:
        lines.append(f"  rows that write an element with amount 0 (element left out): {len(r.zero_amounts)}")
        lines += _listing([f"line {ln}: {', '.join(els)}" for ln, els in sorted(r.zero_amounts.items())], limit=None if full else 5)
    if r.repeated_strings:
        lines.append(f"  formula strings that appear more than once: {len(r.repeated_strings)}")
        lines += _listing([f"{t} (lines {', '.join(map(str, ls))})" for t, ls in sorted(r.repeated_strings.items())], limit=None if full else 8)
    if r.same_composition:
        lines.append(f"  one composition written in different ways (stored as one alloy): {len(r.same_composition)}")
        lines += _listing([f"{f}: {' = '.join(ts)}" for f, ts in sorted(r.same_composition.items())], limit=None if full else 8)
    if r.conflicts:
        lines.append(f"  CONFLICTING labels (left out of training until corrected): {len(r.conflicts)} alloy(s)")
        lines += _listing([_conflict_line(f, rows) for f, rows in sorted(r.conflicts.items())], limit=None if full else 8)
    if r.outside_vocabulary:
        lines.append(
            f"  alloys with elements outside the model vocabulary (stored, cannot be encoded): {len(r.outside_vocabulary)}"
        )
        lines += _listing([f"{f}: {', '.join(els)}" for f, els in sorted(r.outside_vocabulary.items())], limit=None if full else 8)
    if r.near_duplicate_groups:
        lines.append(
            f"  near-duplicates (fractions equal when rounded to 0.01): {len(r.near_duplicate_groups)} group(s)"
        )
        lines += _listing([" ~ ".join(g) for g in r.near_duplicate_groups], limit=None if full else 5)
    return "\n".join(lines)


# --- lab loop ------------------------------------------------------------------


def _yes_no(value: bool | None) -> str:
    return "unknown" if value is None else ("single phase" if value else "multi phase")


def _result_text(single_phase: bool | None, phases: str | None, method: str | None) -> str:
    text = _yes_no(single_phase)
    if phases:
        text += f" ({phases})"
    if method:
        text += f" by {method}"
    return text


def format_recorded_result(r) -> str:
    """One recorded lab result (campaign.results.RecordedResult)."""
    m = r.measurement
    lines = [f"Recorded measurement {m.id}: {r.alloy.formula} {_result_text(m.single_phase, m.phases, m.method)}"
             + (f", measured {m.measured_on.isoformat()}" if m.measured_on else "")]  # fmt: skip
    if getattr(r, "formula_note", None):
        lines.append(f"  note: {r.formula_note}")
    if getattr(r, "date_note", None):
        lines.append(f"  note: {r.date_note}")
    if r.new_alloy:
        lines.append(f"  new alloy {r.alloy.formula} (id {r.alloy.id}) added to the campaign")
    if r.outside_vocabulary:
        lines.append(f"  note: {', '.join(r.outside_vocabulary)} outside the model vocabulary; the model cannot use this alloy")
    if r.candidate is not None:
        moved = "exported -> measured" if r.candidate_moved else "already measured; result added"
        lines.append(f"  candidate {r.candidate.id}: {moved}")
    for cid in getattr(r, "also_measured", []):
        lines.append(f"  candidate {cid} (same alloy): exported -> measured")
    if getattr(r, "now_conflicting", False):
        lines.append(f"  note: the current results of {r.alloy.formula} now disagree (another result or the "
                     "literature says otherwise): it is left out of training until one is corrected "
                     f"(hea-campaign history {r.alloy.formula})")
    return "\n".join(lines)


def format_results_import(r) -> str:
    """A results CSV import (campaign.results.ResultsImportReport)."""
    lines = [
        f"Imported results from {r.source}: {r.rows} rows; measurements added: {r.measurements_added} "
        f"(rows imported before: {r.already_imported}); new alloys: {r.alloys_added}; "
        f"candidates measured: {r.candidates_measured}"
    ]
    if getattr(r, "weighed", 0) or getattr(r, "waiting", 0) or getattr(r, "blank_measured", 0):
        lines.append(f"  weigh sheet: composition made recorded for {r.weighed} candidate(s); "
                     f"{r.waiting} candidate(s) without a result yet (import the sheet again when they have one)"
                     + (f"; {r.blank_measured} candidate(s) left blank as measured or failed already"
                        if getattr(r, "blank_measured", 0) else ""))
    lines += _weighed_unstored(getattr(r, "weighed_unstored", []))
    recorded = getattr(r, "already_recorded", [])
    if recorded:
        lines.append(f"  {len(recorded)} row(s) not stored: a lab result already says the same (same candidate or "
                     "alloy, label, and no other date); if one is another ingot, add it with result add ... "
                     "--confirm-duplicate")
        lines += _listing([f"line {line}: measurement {m}" for line, m in recorded])
    masses = getattr(r, "masses_added", [])
    if masses:
        lines.append(f"  {len(masses)} row(s) added the masses weighed to a stored result, as its correction:")
        lines += _listing([f"line {line}: measurement {m} -> {new}" for line, m, new in masses])
    beside = getattr(r, "stored_beside", [])
    if beside:
        lines.append(f"  note: {len(beside)} row(s) stored beside a result of the same candidate (or alloy) and "
                     "label measured on another day: another ingot is kept, but if only the date was fixed in the "
                     "file, withdraw the new measurement:")
        lines += _listing([_beside_line(b) for b in beside], limit=None)
    proportions = getattr(r, "proportions", [])
    if proportions:
        lines.append(f"  note: {len(proportions)} row(s) whose amounts look like at.% but are read otherwise:")
        lines += _listing([f"line {line}: {formula}: {note}" for line, formula, note in proportions])
    near = getattr(r, "near_candidates", [])
    if near:
        lines.append(f"  note: {len(near)} row(s) added a new alloy within 1 at.% of a candidate the lab made; if "
                     "one is that candidate's result, move it there (hea-campaign result correct MEASUREMENT "
                     "--single-phase ... --candidate ID):")
        lines += _listing([f"line {line}: {formula} (measurement {m}) is {d:.2f} at.% from candidate {cid} ({cf})"
                           for line, formula, m, d, cid, cf in near])
    if r.outside_vocabulary:
        lines.append(f"  alloys with elements outside the model vocabulary: {len(r.outside_vocabulary)}")
        lines += _listing([f"{f}: {', '.join(els)}" for f, els in sorted(r.outside_vocabulary.items())])
    conflicting = getattr(r, "now_conflicting", [])
    if conflicting:
        lines.append(f"  note: the current results of {len(conflicting)} alloy(s) now disagree (another result or "
                     "the literature says otherwise): they are left out of training until one is corrected "
                     "(hea-campaign history FORMULA):")
        lines += _listing(conflicting)
    return "\n".join(lines)


def _beside_line(b) -> str:
    """A row stored beside a result measured on another day (campaign.results.StoredBeside)."""
    whose = f" (candidate {b.candidate_id})" if b.candidate_id is not None else ""
    label = "single-phase" if b.single_phase else "multi-phase"
    had = " and ".join(f"{on.isoformat()} (measurement {m})" for m, on in b.stored)
    return (f"line {b.line}: {one_line(b.formula)}{whose} already had a {label} result measured {had}; stored "
            f"beside it as measurement {b.measurement_id} (measured {b.measured_on.isoformat()}). If only the "
            f"date was wrong: hea-campaign result withdraw {b.measurement_id} --reason ...")


def _weighed_unstored(unstored: list[tuple[int, str]]) -> list[str]:
    """Sheet candidates whose masses were typed without a result: not stored, and why."""
    waiting = [str(c) for c, why in unstored if why != "failed"]
    failed = [str(c) for c, why in unstored if why == "failed"]
    out = []
    if waiting:
        out.append(f"  masses typed without a result, not stored yet: candidate {', '.join(waiting)} (fill "
                   "single_phase on its lines and import the sheet again: masses and result are stored together)")
    if failed:
        out.append(f"  masses typed for a failed synthesis, not stored: candidate {', '.join(failed)} (a failed "
                   "ingot has no result to attach them to)")
    return out


def format_correction(m) -> str:
    weighed = weighed_text(getattr(m, "weighed_g", None))
    return (f"Recorded measurement {m.id}: {_result_text(m.single_phase, m.phases, m.method)}"
            f"{f', {weighed}' if weighed else ''}; "
            f"it supersedes measurement {m.supersedes_id}, which is kept in the history")  # fmt: skip


_LABEL_STATE_WORDS = {"none": "no current result", "unlabelled": "unlabelled", "single": "single phase",
                      "multi": "multi phase", "conflict": "conflicting results"}


def format_withdrawal(w) -> str:
    """What ``result withdraw`` did (campaign.withdrawals.Withdrawal)."""
    old = w.withdrawn
    cand = f" (candidate {old.candidate_id})" if old.candidate_id is not None else ""
    lines = [f"Withdrew measurement {old.id}: {_result_text(old.single_phase, old.phases, old.method)} for "
             f"{one_line(w.alloy.formula)}{cand}; recorded as measurement {w.withdrawal.id} (reason: "
             f"{one_line(w.withdrawal.notes)}); both are kept in the history, neither counts",
             f"  {one_line(w.alloy.formula)} now: {_LABEL_STATE_WORDS.get(w.label_state, w.label_state)}"]
    if w.reopened:
        lines.append(f"  exported again, awaiting their own result: candidate {', '.join(map(str, w.reopened))}")
    return "\n".join(lines)


def format_move(moved) -> str:
    """What ``result correct --candidate/--formula`` did (campaign.result_moves.MovedResult)."""
    def where(formula, cid):
        return formula + (f" (candidate {cid})" if cid is not None else "")

    m = moved.measurement
    lines = [f"Recorded measurement {m.id}: {_result_text(m.single_phase, m.phases, m.method)} for "
             f"{where(moved.to_formula, moved.to_candidate)}; it supersedes measurement {m.supersedes_id} of "
             f"{where(moved.from_formula, moved.from_candidate)}, which is kept in the history"]
    if moved.measured:
        lines.append(f"  measured now: candidate {', '.join(map(str, moved.measured))}")
    if moved.reopened:
        lines.append(f"  exported again, awaiting their own result: candidate {', '.join(map(str, moved.reopened))}")
    if getattr(moved, "formula_note", None):
        lines.append(f"  note: {moved.formula_note}")
    if getattr(moved, "date_note", None):
        lines.append(f"  note: {moved.date_note}")
    if moved.disagrees:
        lines.append(f"  note: {moved.disagrees}")
    return "\n".join(lines)


def format_history(h) -> str:
    """An alloy's history (campaign.results.AlloyHistory), oldest first, times in UTC."""
    label = "conflicting results" if h.conflict else _yes_no(h.label) if h.label is not None else "unlabelled"
    if all(e.superseded_by or e.details.get("withdrawal") for e in h.entries if e.kind == "measurement"):
        label = "none (no current result)"
    cands = f"; candidates: {', '.join(map(str, h.candidate_ids))}" if h.candidate_ids else ""
    lines = [f"{h.formula} (alloy {h.alloy_id}): current label {label}{cands}; times in UTC"]
    if h.model_use is not None and h.model_use.version_id is not None:  # the state now, before the chronology
        lines.append(model_use_text(h.model_use))
    if not h.entries:
        lines.append("  no measurements or candidate events yet")
    for e in h.entries:
        when = f"{e.at:%Y-%m-%d %H:%M}"
        who = f" [{e.actor}]" if e.actor else ""
        if e.kind == "measurement" and e.details.get("withdrawal"):
            d = e.details
            text = f"measurement {e.entity_id}: WITHDRAWS measurement {d.get('supersedes_id')}: {d.get('notes') or ''}"
            if d.get("operator") and d["operator"] != e.actor:
                text += f" (withdrawn by {d['operator']})"
        elif e.kind == "measurement":
            d = e.details
            text = f"measurement {e.entity_id}: {_result_text(d.get('single_phase'), d.get('phases'), d.get('method'))}"
            if d.get("measured_on"):
                text += f", measured {d['measured_on']}"
            if d.get("candidate_id"):
                text += f", candidate {d['candidate_id']}"
            if d.get("supersedes_id"):
                text += f", corrects {d['supersedes_id']}"
            if d.get("moved_from"):
                text += f" (moved here from {d['moved_from']})"
            if d.get("operator") and d["operator"] != e.actor:
                text += f", measured by {d['operator']}"
            if d.get("made_composition"):
                text += f", {made_text(d['made_composition'])}"
            if d.get("weighed_g"):
                text += f", {weighed_text(d['weighed_g'])}"
            if d.get("source") and d["source"] not in ("lab", "correction"):
                text += f", from {d['source']}"
            if d.get("notes"):
                text += f" - {d['notes']}"
            if d.get("withdrawn"):
                w = d["withdrawn"]
                text += (f"  (WITHDRAWN by measurement {w['by']}, {w['at']:%Y-%m-%d %H:%M} UTC, by {w['operator']}: "
                         f"{w['reason']})")
            elif e.superseded_by:
                moved = f" (moved to {d['moved_to']})" if d.get("moved_to") else ""
                text += f"  (SUPERSEDED by {e.superseded_by}{moved})"
        else:
            d = e.details
            verb = e.action.split(".", 1)[-1]
            text = f"candidate {e.entity_id}: {verb}"
            if d.get("from") and d.get("to"):
                text += f" ({d['from']} -> {d['to']})"
            if d.get("reason"):
                text += f": {d['reason']}"
            if d.get("export_batch_id"):
                text += f", batch {d['export_batch_id']}"
        lines.append(f"  {when}{one_line(who)} {one_line(text)}")  # a note's newline cannot fake a history line
    return "\n".join(lines)



def format_transitions(candidates, status: str) -> str:
    ids = ", ".join(str(c.id) for c in candidates)
    reason = candidates[0].status_reason if candidates else None
    head = f"{len(candidates)} candidate(s) {status}: {ids}" + (f" (reason: {one_line(reason)})" if reason else "")
    note = outside_space_note({c.id: c.outside_space for c in candidates if getattr(c, "outside_space", ())}, status)
    return head + (f"\n{note}" if note else "")


def outside_space_note(outside: dict, done: str) -> str:
    """Candidates ``done`` (approved, exported) although they lie outside the campaign's current design space
    (a space tightened after they were proposed), one line each with why; empty when none."""
    if not outside:
        return ""
    lines = [f"warning: candidate {cid} is outside the current design space: {'; '.join(map(one_line, why))}"
             for cid, why in sorted(outside.items())]
    return "\n".join(lines + [f"  {done} all the same; hea-campaign space show shows the space"])


def format_export(r) -> str:
    """A written synthesis batch (campaign.export.ExportResult)."""
    lines = [
        f"Exported {len(r.candidate_ids)} candidate(s) to {one_line(r.path)} ({r.format}); batch {r.batch_id}",
        f"  target mass {r.mass:g} {r.unit} per ingot, masses rounded to 0.1 mg and summing exactly to it"
        + (_loss_words(r.loss) if getattr(r, "loss", None) else ""),
        f"  elements: {' '.join(r.elements)}",
        f"  sha256 {r.sha256}",
    ]
    total, unpriced = r.batch_cost
    if total is not None:
        source = next((row["price_source"] for row in r.rows if row.get("price_source")), "")
        lines.insert(2, f"  raw-material cost of the batch: {usd(total)} for one ingot of each"
                        + (f" ({unpriced} candidate(s) with an element the price list lacks left out)" if unpriced else "")
                        + (f"; prices: {source}" if source else ""))
    if r.format == "sheet":
        lines.insert(2, "  weigh sheet: one line per candidate and element, per-element totals at the end; fill "
                        "weighed and single_phase, then: hea-campaign result import FILE")  # fmt: skip
    for note in getattr(r, "recovered", []):
        lines.append(f"  first settled an interrupted export: {note}")
    note = outside_space_note(getattr(r, "outside_space", {}), "exported")
    return "\n".join(lines + ([note] if note else []))


def export_notice(r) -> str:
    """The TUI's line after an export: the batch, where it went, and what its raw materials cost."""
    total, unpriced = r.batch_cost
    cost = "" if total is None else f"; raw materials {usd(total)} for one ingot of each" + (
        f" ({unpriced} without a price left out)" if unpriced else "")
    note = outside_space_note(getattr(r, "outside_space", {}), "exported")
    return f"Batch {r.batch_id}: {len(r.candidate_ids)} candidate(s) written to {one_line(r.path)}{cost}" + (
        f"\n{note}" if note else "")


def _loss_words(loss: dict[str, float]) -> str:
    allowances = ", ".join(f"{e} +{100 * v:g} %" for e, v in sorted(loss.items()))
    return (f" before the loss allowances ({allowances}), which the sheet's masses include; `result import` "
            f"records the composition weighed, so a weighed allowance shows in it")


def format_void(r) -> str:
    """A voided export batch (campaign.export_batches.VoidResult)."""
    ids = r.candidate_ids
    which = (f"candidate {ids[0]} is" if len(ids) == 1 else f"candidates {', '.join(map(str, ids))} are")
    return (f"Batch {r.batch_id} is void ({one_line(r.reason)}); {which} approved again. The file {one_line(r.path)} "
            f"is kept; do not weigh from it.")  # fmt: skip


def format_failed(candidates) -> str:
    ids = ", ".join(str(c.id) for c in candidates)
    reason = candidates[0].status_reason if candidates else ""
    return f"{len(candidates)} candidate(s) failed in synthesis: {ids} ({one_line(reason)}); approve again to retry"


def format_failure_withdrawn(candidates, enter: str = "with hea-campaign result add --candidate ID") -> str:
    """Failures withdrawn (the candidates now); ``enter``: where the real result is entered."""
    ids = ", ".join(str(c.id) for c in candidates)
    return (f"{len(candidates)} failed synthesis(es) withdrawn: {ids} (exported again; the failure stays in the "
            f"history); enter the real result {enter}")


def format_backup(r) -> str:
    """A verified backup (campaign.backup.BackupResult)."""
    shown = ", ".join(f"{t} {n}" for t, n in sorted(r.counts.items()) if t != "alembic_version")
    made = getattr(r, "created_folder", None)
    # the whole folder the copy went into: every missing folder on the way was made (bk/new, not just bk)
    lines = ([f"Created the folder {one_line(r.path.parent)} for the backup"] if made is not None else []) + [
        f"Backup written to {one_line(r.path)} ({r.size_bytes / 1024:.0f} KiB); integrity check: {r.integrity}",
        f"  rows: {shown}"]
    if r.models is not None:
        lines.append(f"  model checkpoints: {r.model_files} file(s) copied to {one_line(r.models)} (restore the store "
                     f"beside it under the same name, e.g. {one_line(r.path.name)} with {one_line(r.models.name)})")
    if r.models_missing:
        lines.append(f"  not found, so not copied: {', '.join(r.models_missing)} (retrain to propose again)")
    damaged = getattr(r, "models_damaged", ())
    if damaged:
        lines.append(f"  changed on disk (not the file the store records), so not copied: {', '.join(damaged)} "
                     f"(retrain to propose again)")
    return "\n".join(lines)


def backfill_lines(b) -> list[str]:
    """What ``db upgrade`` recorded of older model versions' use of each alloy (campaign.model_roles_backfill)."""
    if b is None or not (b.recorded or b.missed):
        return []
    lines = []
    if b.recorded:
        lines.append(f"recorded what model version(s) {', '.join(f'v{i}' for i in b.recorded)} did with each alloy, "
                     "from their checkpoints (a retrain's kept-out tenth is not in a checkpoint: "
                     "`history` says those alloys were not used)")
    lines += [f"v{i}: what it did with each alloy stays not recorded: {one_line(why)}" for i, why in b.missed.items()]
    if b.missed:
        lines.append("  (once the checkpoint is back where the store expects it, `hea-campaign db upgrade` again "
                     "records it)")
    return lines
