"""Model versions as text: the Models screen's table cells, a version's details, a comparison."""

from __future__ import annotations

import math

from hea_campaign.campaign.model_catalog import scorer_figures

from .text import one_line

# the marks for comparison first, then the version and its validation figures, which an 80-column screen
# shows without scrolling: the scorer's (it ranks candidates) and the SSVAE head's, each named; then the date, which
# 120 columns show
VERSION_COLUMNS = ("cmp", "version", "active", "scorer acc", "scorer AUC", "SSVAE head acc", "SSVAE head AUC",
                   "trained", "labelled", "unlabelled", "best epoch", "train s", "by")
# the Models screen's chart of the validation figures per epoch: the head's (the scorer is fitted once, after)
HEAD_CHART_TITLE = "SSVAE head val accuracy, AUC"


def _num(value, fmt: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return format(value, fmt)


def version_cells(v, mark: str = "") -> tuple:
    """One row of the versions table (campaign.model_catalog.VersionSummary); ``mark`` its comparison mark."""
    m = v.metrics
    acc, auc = scorer_figures(m) or (None, None)
    return (mark, f"v{v.id}", "active" if v.active else "", _num(acc, ".3f"), _num(auc, ".3f"),
            _num(m.get("val_accuracy"), ".3f"), _num(m.get("val_auc"), ".3f"), f"{v.created_at:%Y-%m-%d %H:%M}",
            v.n_labelled, v.n_unlabelled, _num(m.get("best_epoch"), "d"), _num(m.get("train_seconds"), ".0f"),
            one_line(v.created_by or ""))


def marked_line(marked: list[int], n_versions: int | None = None) -> str:
    """The Models screen's line under the table: which versions are marked for comparison, and where it is.

    ``n_versions``: how many versions the store has; with only one there is no other to move to, and the
    line says that a second must be trained first."""
    only = n_versions == 1
    if not marked:
        return ("only one version so far: train another on the Retrain tab to compare two" if only
                else "space marks a version for comparison (two marked are compared)")
    if len(marked) == 1:
        return (f"v{marked[0]} marked; it is the only version: train another on the Retrain tab to compare" if only
                else f"v{marked[0]} marked for comparison: move to another version and press space")
    a, b = sorted(marked)
    return f"v{a} and v{b} marked: their comparison is in the panel at the bottom (space again unmarks)"


_USE_NAMES = (("train", "trained on"), ("validation", "validation"), ("comparison", "kept out for comparing versions"),
              ("unlabelled", "unlabelled"))


def use_line(counts: dict[str, int] | None) -> list[str]:
    """How many alloys a version used in each role (store, migration 0008); nothing when not asked."""
    if counts is None:
        return []
    if not counts:
        return ["  which alloys it used: not recorded (trained before release 0.8.0)"]
    return ["  alloys: " + ", ".join(f"{counts[k]} {name}" for k, name in _USE_NAMES if counts.get(k))
            + " (`hea-campaign history FORMULA` says which)"]


def format_version(v, curve, use: dict[str, int] | None = None) -> str:
    """What is known of one version, and whether its training curve is stored."""
    lines = [f"Model version v{v.id}" + ("  (active: proposals use it)" if v.active else "")
             + f", trained {v.created_at:%Y-%m-%d %H:%M} UTC by {one_line(v.created_by or '?')}",
             f"  data: {v.n_labelled} labelled + {v.n_unlabelled} unlabelled alloys, hash {v.data_hash[:12]}, seed {v.seed}",
             *use_line(use)]
    lines += _figure_lines(v.metrics)  # before the settings: whose figure is whose, whole at 80x24 when scrolled
    cfg = getattr(v, "config", None) or {}
    if "prior_r" in cfg:  # the setting a lab changes (train --prior-r); it acts only through unlabelled alloys
        lines.append(f"  prior r {cfg['prior_r']:g}, up to {cfg.get('epochs', '?')} epoch{'' if cfg.get('epochs') == 1 else 's'}"
                     + ("" if v.n_unlabelled else " (no unlabelled alloys: prior r had nothing to act on)"))
    if v.metrics.get("cancelled"):
        lines.append("  training was cancelled: this is the best model reached before that")
    if v.metrics.get("warm_start_from"):
        lines.append(f"  continued from v{v.metrics['warm_start_from']}")
    if curve.stored:
        lines.append(f"  training curve: {len(curve.epochs)} evaluated epochs up to {curve.epochs[-1]} "
                     f"({', '.join(curve.series)})")
    else:
        lines.append("  no training curve stored (trained before curves were kept)")
    return "\n".join(lines)


def _figure_lines(m: dict) -> list[str]:
    """Which model each validation figure is of: the scorer ranks candidates, the head's are charted."""
    head = f"validation accuracy {_num(m.get('val_accuracy'), '.3f')}, ROC AUC {_num(m.get('val_auc'), '.3f')}"
    chosen = m.get("scorer", "ssvae")
    figures = scorer_figures(m)
    if chosen == "ssvae":
        scorer = "the SSVAE head itself"
    elif figures is None:
        scorer = f"{one_line(chosen)} (too few validation alloys to choose on: no figures)"
    else:
        scorer = (f"{one_line(chosen)}, validation accuracy {_num(figures[0], '.3f')}, "
                  f"ROC AUC {_num(figures[1], '.3f')} (chosen on these alloys)")
    return [f"  scorer (ranks candidates): {scorer}", f"  SSVAE head (its curves are charted): {head}"]


INTEGER_ROWS = ("labelled alloys", "unlabelled alloys", "best_epoch")


def format_comparison(c) -> str:
    """Two versions side by side (campaign.model_catalog.VersionComparison)."""
    a, b = c.a, c.b
    lines = [f"{'':<20} {'v' + str(a.id):>10} {'v' + str(b.id):>10} {'change':>10}"]
    for name, x, y in c.metrics:
        whole = name in INTEGER_ROWS
        fmt = "d" if whole else ".3f"
        x = None if x is None else (int(x) if whole else float(x))
        y = None if y is None else (int(y) if whole else float(y))
        diff = "" if x is None or y is None else format(y - x, "+d" if whole else "+.3f")
        lines.append(f"{name:<20} {_num(x, fmt):>10} {_num(y, fmt):>10} {diff:>10}")
    if c.config_changes:
        lines.append("configuration that differs:")
        lines += [f"  {k}: {x!r} -> {y!r}" for k, x, y in c.config_changes if k != "seed"]
        if any(k == "seed" for k, _, _ in c.config_changes):
            lines.append(f"  seed: {a.seed} -> {b.seed}")
    else:
        lines.append("same configuration")
    return "\n".join(lines)


def activation_question(chosen, active) -> str:
    """The Models screen's yes/no before ``a`` swaps the model every proposal uses (one key, lab-wide).

    Names both versions' scorer figures and says they are on different alloys, so a lower figure is
    a reason to look, not a verdict; a lower ROC AUC is said first."""
    def figures(v) -> str:
        acc, auc = scorer_figures(v.metrics) or (None, None)
        return f"v{v.id}: accuracy {_num(acc, '.3f')}, ROC AUC {_num(auc, '.3f')}"

    if active is None:
        return (f"Make version v{chosen.id} the active one? Every proposal, in this TUI and for everyone sharing "
                f"the store, will use it ({figures(chosen)} on its validation alloys).")
    lower = ""
    new_auc, old_auc = ((scorer_figures(v.metrics) or (None, None))[1] for v in (chosen, active))
    if new_auc is not None and old_auc is not None and new_auc < old_auc:
        lower = f"v{chosen.id} scores lower than the active v{active.id}. "
    return (f"{lower}Make version v{chosen.id} the active one instead of v{active.id}? Every proposal, in this TUI "
            f"and for everyone sharing the store, will use it. On their own validation alloys (not the same "
            f"alloys): {figures(chosen)}; {figures(active)}.")
