"""Status and candidate detail, rendered once for both front ends as ``rich.text.Text``.

The Textual app shows the Text (styles kept); the command line prints
``.plain``.  Every value is escaped before it goes into the markup, so text a
user typed (a name given with --by, a note, a reason) is shown as typed and
never read as markup: ``alice [admin]`` stays ``alice [admin]``, ``[/]`` does
not crash the app.
"""

from __future__ import annotations

from rich.markup import escape
from rich.text import Text

from hea_campaign.campaign.descriptor_info import DESCRIPTOR_UNITS

from .formulas import path_lines
from .model_use_text import model_use_text
from .results_text import made_text, weighed_text
from .text import one_line
from .training_report import format_metrics


def e(value: object) -> str:
    """A value for a markup template: control characters neutralised, markup escaped."""
    return escape(one_line(value))


def status_text(s, *, train_hint: str = "train one with: hea-campaign train", show_store: bool = True) -> Text:
    """Counts, candidates by status, the active model by name, recent activity (campaign.status.CampaignStatus).

    The TUI leaves out the store line (its header shows the store and campaign).
    """
    from hea_campaign.campaign.status import read_only_here

    why = read_only_here(s.store_url) if show_store else None
    lines = [f"[b]Store:[/b] {e(s.store_url)}  campaign: {e(s.campaign)}"] if show_store else []
    lines += [f"  [yellow]read-only here ({e(why)}): commands that only read work[/]"] if why else []
    lines += [
        f"[b]Alloys:[/b] {s.alloys}  (current measurements: {s.measurements})",
        f"  labelled: {s.labelled}  ([green]single phase: {s.single_phase}[/], [red]multi phase: {s.multi_phase}[/])",
        f"  unlabelled: {s.unlabelled}  (train feeds them to the SSVAE's unlabelled term)",
        f"  alloys only proposed, without a current result: {s.proposed_only}",
        *([f"  results all moved to another alloy or withdrawn: {s.moved_away}  (not trained on)"] if s.moved_away else []),
        f"  conflicting labels: {s.conflicts}",
        f"  elements outside the vocabulary: {s.outside_vocabulary}",
        "[b]Candidates:[/b] " + ", ".join(f"{e(k)} {v}" for k, v in s.candidates.items()),
    ]
    if getattr(s, "voided_batches", 0):
        lines.append(f"  voided export batches: {s.voided_batches}")
    if getattr(s, "interrupted_exports", 0):
        lines.append(f"  interrupted exports: {s.interrupted_exports} (settled by the next export)")
    if s.active_model:
        shown = format_metrics(s.active_model.get("metrics"))
        lines.append(f"[b]Active model:[/b] v{s.active_model['id']} (trained {e(s.active_model['created_at'])}): "
                     f"{e(shown)}")
        since = s.active_model.get("results_since") or 0
        if since:
            lines.append(f"  [yellow]lab results entered, corrected or withdrawn since its training began: {since}[/] "
                         "(retrain to use them)")
    else:
        lines.append(f"[b]Active model:[/b] none ({e(train_hint)})")
    if s.recent:
        lines.append("[b]Recent activity:[/b]")
        lines += [f"  {e(item)}" for item in s.recent]
    return Text.from_markup("\n".join(lines))


def bar(value: float, scale: float, width: int = 30, char: str = "█") -> str:
    n = int(round(width * min(abs(value) / scale, 1.0))) if scale > 0 else 0
    return char * n


# the numbers a candidate's assessment keeps, by name (cost and density are shown above, with units)
_SIGNAL_NAMES = {"spread": "spread of p", "latent_density": "latent density",
                 "density_percentile": "its percentile among training alloys",
                 "uncertainty_score": "uncertainty score (ambiguity of p)", "ambiguity": "ambiguity of p"}
# a candidate that keeps its ambiguity beside the score has the other class's conformal p-value as its score
_SCORE_AS_P_VALUE = "uncertainty score (the other class's conformal p-value)"
_SHOWN_ABOVE = {"cost_usd_per_kg", "density_g_cm3"}


def lab_result_lines(results) -> list[str]:
    """A candidate's lab results as markup lines (user text escaped); nothing when it has none."""
    if not results:
        return []
    lines = ["", "[b]Lab results[/b]"]
    for r in results:
        label = {True: "single phase", False: "multi phase"}.get(r["single_phase"], "no label")
        parts = [label + (f" ({e(r['phases'])})" if r["phases"] else "")]
        parts += [e(v) for v in (r["method"], r["measured_on"]) if v]
        parts += [f"by {e(r['operator'])}"] if r["operator"] else []
        parts += [f"notes: {e(r['notes'])}"] if r.get("notes") else []
        parts += [e(t) for t in (made_text(r.get("made_composition")), weighed_text(r.get("weighed_g"))) if t]
        state = "" if r["current"] else "  [dim](corrected by a later entry)[/]"
        if r.get("withdrawn"):
            w = r["withdrawn"]
            state = (f"  [b]WITHDRAWN[/b] [dim](by {e(w['operator'] or '?')}, {e(w['at'])} UTC, measurement "
                     f"{w['by']}: {e(w['reason'] or '')})[/]")
        elif r.get("moved_to"):
            state = f"  [dim](moved to {e(r['moved_to'])}: entered for the wrong alloy)[/]"
        state += "" if r.get("for_candidate", True) else "  [dim](entered for the alloy, not for this candidate)[/]"
        lines.append(f"  measurement {r['id']}: " + ", ".join(parts) + state)
    return lines


def candidate_detail_text(d) -> Text:
    """One candidate in full (campaign.read_models.CandidateDetailView): composition, flags, descriptors, SHAP, path."""
    c = d.candidate
    lines = [
        f"[b]Candidate {c.id}[/b]  {e(d.formula)}   status [b]{e(c.status)}[/b]   model v{c.model_version_id}   "
        f"proposal run {c.proposal_run_id}   origin {e(c.origin)}",
        *([f"[b]Note[/b] (the last approval, rejection, failure or withdrawn failure): {e(c.status_reason)}"] if c.status_reason else []),
        *([f"[yellow]outside the current design space[/]: {e('; '.join(c.outside_space))}"]
          if getattr(c, "outside_space", ()) else []),
        f"p(single phase) [b]{c.p_single:.3f}[/b]"
        + (f"   from {e(d.start_formula)}" if d.start_formula else "")
        + (f"   change {c.change_at_pct:.1f} at.%" if c.change_at_pct is not None else "")
        + (f" in {c.steps} step(s)" if c.steps is not None else ""),
    ]
    lines += lab_result_lines(getattr(d, "lab_results", ()))
    if getattr(d, "model_use", None) is not None and d.model_use.version_id is not None:
        lines.append("  " + e(model_use_text(d.model_use)))
    lines += ["", "[b]Composition[/b] (at.%)"]
    for el, f in sorted(d.composition.items(), key=lambda kv: -kv[1]):
        lines.append(f"  {e(el):>2} {100 * f:5.1f} [cyan]{bar(f, 1.0, 40)}[/]")
    from hea_campaign.campaign.flag_meaning import warns

    lines += ["", "[b]Flags[/b]"]
    lines += [f"  [yellow]{e(f.name)}[/]: {e(f.reason)}" for f in c.flags if warns(f.name)]
    lines += [f"  [dim]{e(f.name)}[/] (where it lies; such alloys were not predicted worse): {e(f.reason)}"
              for f in c.flags if not warns(f.name)]
    lines += [] if c.flags else ["  none"]
    from .design_report import trust_lines

    trust = trust_lines(d)
    if trust:
        lines += ["", "[b]Second opinion, nearest measured alloys, cost and density[/b]"]
        lines += [e(t) for t in trust]
    lines += ["", "[b]Descriptors[/b] against the labelled training range"]
    for name, v in d.descriptors.items():
        lo, hi = d.training_range[name]
        where = (v - lo) / (hi - lo) if hi > lo else 0.5
        pos = int(round(max(0.0, min(1.0, where)) * 29))
        track = "".join("●" if i == pos else "─" for i in range(30))
        warn = "  [red]outside[/]" if not lo - 1e-9 <= v <= hi + 1e-9 else ""
        lines.append(f"  {e(name):>6} {v:10.3f} {e(DESCRIPTOR_UNITS.get(name, '')):<10} {lo:9.3f} {track} {hi:.3f}{warn}")
    if d.shap:
        scale = max(abs(v) for v in d.shap.values()) or 1.0
        head = "" if d.shap_head_p is None else f" = {d.shap_head_p:.3f}"
        scorer = " (p above is the scorer's)" if getattr(d, "scored", True) else ""
        lines += ["", f"[b]SHAP contributions[/b] to the SSVAE head's p{head}{scorer}"]
        for name, v in sorted(d.shap.items(), key=lambda kv: -abs(kv[1])):
            color = "green" if v >= 0 else "red"
            lines.append(f"  {e(name):>6} {v:+.3f} [{color}]{bar(v, scale, 30)}[/]")
    lines += ["", "[b]Latent position[/b] z = ("
              + ", ".join(f"{z + 0.0:.2f}".replace("-0.00", "0.00") for z in c.latent_z) + ")"]
    names = {**_SIGNAL_NAMES, **({"uncertainty_score": _SCORE_AS_P_VALUE} if "ambiguity" in c.uncertainty else {})}
    shown = [f"{e(names.get(k, k.replace('_', ' ')))} {v:.3g}" for k, v in c.uncertainty.items()
             if isinstance(v, (int, float)) and not isinstance(v, bool) and k not in _SHOWN_ABOVE]
    lines.append("  " + "; ".join(shown))
    if c.path:
        lines += ["", "[b]Inversion path[/b]"]
        lines += [e(line) for line in path_lines(list(c.path), split=True)]  # canonical formula and at.% on every step
    return Text.from_markup("\n".join(lines))
