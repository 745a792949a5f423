"""Plain-text rendering of campaign results for the command line."""

from __future__ import annotations

from hea_campaign.campaign.importing import ImportReport
from hea_campaign.campaign.status import CampaignStatus


def _listing(items: list[str], limit: int = 8) -> list[str]:
    shown = [f"    {item}" for item in items[:limit]]
    if len(items) > limit:
        shown.append(f"    ... and {len(items) - limit} more")
    return shown


def _conflict_line(formula: str, rows: list[tuple[int, str, bool]]) -> str:
    if len(rows) <= 3:
        return f"{formula}: " + ", ".join(f"line {ln} {t} = {'single' if lab else 'multi'}" for ln, t, lab in rows)
    single = [ln for ln, _, lab in rows if lab]
    multi = [ln for ln, _, lab in rows if not lab]
    return f"{formula}: single on lines {', '.join(map(str, single))}; multi on lines {', '.join(map(str, multi))}"


def format_import_report(r: ImportReport) -> str:
    lines = [
        f"Imported {r.source} ({r.layout} layout): {r.rows} rows read, "
        f"{r.labelled_rows} labelled, {r.unlabelled_rows} without a single-phase label.",
        f"  alloys added: {r.alloys_added} (already in the store: {r.alloys_existing}); "
        f"measurements added: {r.measurements_added}; rows imported before: {r.already_imported}",
    ]
    if r.errors:
        lines.append(f"  skipped {len(r.errors)} bad row(s):")
        lines += _listing([f"line {line}: {msg}" for line, msg in r.errors])
    if r.zero_amounts:
        lines.append(f"  rows that write an element with amount 0 (element left out): {len(r.zero_amounts)}")
        lines += _listing([f"line {ln}: {', '.join(els)}" for ln, els in sorted(r.zero_amounts.items())], limit=5)
    if r.repeated_strings:
        lines.append(f"  formula strings that appear more than once: {len(r.repeated_strings)}")
        lines += _listing([f"{t} (lines {', '.join(map(str, ls))})" for t, ls in sorted(r.repeated_strings.items())])
    if r.same_composition:
        lines.append(f"  one composition written in different ways (stored as one alloy): {len(r.same_composition)}")
        lines += _listing([f"{f}: {' = '.join(ts)}" for f, ts in sorted(r.same_composition.items())])
    if r.conflicts:
        lines.append(f"  CONFLICTING labels (left out of training until corrected): {len(r.conflicts)} alloy(s)")
        lines += _listing([_conflict_line(f, rows) for f, rows in sorted(r.conflicts.items())])
    if r.outside_vocabulary:
        lines.append(
            f"  alloys with elements outside the model vocabulary (stored, cannot be encoded): {len(r.outside_vocabulary)}"
        )
        lines += _listing([f"{f}: {', '.join(els)}" for f, els in sorted(r.outside_vocabulary.items())])
    if r.near_duplicate_groups:
        lines.append(
            f"  near-duplicates (fractions equal when rounded to 0.01): {len(r.near_duplicate_groups)} group(s)"
        )
        lines += _listing([" ~ ".join(g) for g in r.near_duplicate_groups], limit=5)
    return "\n".join(lines)


def format_status(s: CampaignStatus) -> str:
    lines = [
        f"Store: {s.store_url}  campaign: {s.campaign}",
        f"Alloys: {s.alloys}  (measurements: {s.measurements})",
        f"  labelled: {s.labelled}  (single phase: {s.single_phase}, multi phase: {s.multi_phase})",
        f"  unlabelled: {s.unlabelled}",
        f"  conflicting labels: {s.conflicts}",
        f"  elements outside the vocabulary: {s.outside_vocabulary}",
        "Candidates: " + ", ".join(f"{k} {v}" for k, v in s.candidates.items()),
    ]
    if s.active_model:
        metrics = s.active_model.get("metrics") or {}
        shown = ", ".join(f"{k} {v:.3f}" for k, v in metrics.items() if isinstance(v, (int, float)))
        lines.append(f"Active model: v{s.active_model['id']} ({s.active_model['created_at']}) {shown}".rstrip())
    else:
        lines.append("Active model: none (train one with: hea-campaign train)")
    if s.recent:
        lines.append("Recent activity:")
        lines += [f"  {e}" for e in s.recent]
    return "\n".join(lines)
