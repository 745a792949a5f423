"""Model versions as the Models screen shows them: metrics, data size, curves, comparisons.

Read models only; activating a version is ``model_versions.activate``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from hea_campaign.db import store as q

from .errors import CampaignError
from .store import CampaignStore


@dataclass
class VersionSummary:
    id: int
    active: bool
    created_at: datetime
    created_by: str
    n_labelled: int  # labelled alloys it trained on (validation rows excluded)
    n_unlabelled: int
    seed: int
    data_hash: str
    metrics: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)


@dataclass
class TrainingCurve:
    version_id: int
    epochs: list[int]
    series: dict[str, list[float | None]]  # loss terms and val_accuracy / val_auc / val_loss, per epoch

    @property
    def stored(self) -> bool:
        return bool(self.epochs)


@dataclass
class VersionComparison:
    a: VersionSummary
    b: VersionSummary
    metrics: list[tuple[str, float | None, float | None]]  # name, value of a, value of b
    config_changes: list[tuple[str, object, object]]


def _summary(v) -> VersionSummary:
    return VersionSummary(id=v.id, active=bool(v.active), created_at=v.created_at, created_by=v.created_by,
                          n_labelled=v.n_labelled, n_unlabelled=v.n_unlabelled, seed=v.seed, data_hash=v.data_hash,
                          metrics=dict(v.metrics or {}), config=dict(v.config or {}))


def list_versions(store: CampaignStore) -> list[VersionSummary]:
    """Every model version of the campaign, newest first."""
    with store.read() as session:
        return [_summary(v) for v in reversed(q.model_versions(session, store.campaign_id))]


def training_curve(store: CampaignStore, version_id: int) -> TrainingCurve:
    """The stored per-epoch curve of a version (empty for versions trained before curves were kept)."""
    with store.read() as session:
        events = [e for e in q.audit_events_for(session, "model_version", [version_id]) if e.action == "model.train"
                  and e.campaign_id == store.campaign_id]
    records = (events[-1].payload or {}).get("curve", []) if events else []
    names = sorted({k for rec in records for k in rec if k != "epoch"})
    return TrainingCurve(version_id, [int(r["epoch"]) for r in records],
                         {n: [r.get(n) for r in records] for n in names})


METRICS = ("val_accuracy", "val_auc", "train_accuracy", "best_epoch", "train_seconds")
# the names a comparison shows them by: the head's figures named as the head's, beside the scorer's
METRIC_NAMES = {"val_accuracy": "SSVAE head val acc", "val_auc": "SSVAE head val AUC",
                "train_accuracy": "SSVAE head train acc"}


def scorer_figures(metrics: dict | None) -> tuple[float, float] | None:
    """(accuracy, ROC AUC) of the scorer that ranks a version's candidates, on the validation alloys it was
    chosen on; the SSVAE head's own when the head is the scorer; None when no figures were kept."""
    m = metrics or {}
    chosen = m.get("scorer", "ssvae")  # a version from before scorers: its head ranked
    d = (m.get("scorer_validation") or {}).get(chosen)
    if isinstance(d, dict):
        return d.get("accuracy", float("nan")), d.get("roc_auc", float("nan"))
    if chosen == "ssvae" and "val_accuracy" in m:
        return m["val_accuracy"], m.get("val_auc", float("nan"))
    return None


def compare_versions(store: CampaignStore, a_id: int, b_id: int) -> VersionComparison:
    """Two versions side by side: metrics (with the data size) and what differs in their configuration."""
    found = {v.id: v for v in list_versions(store)}
    for i in (a_id, b_id):
        if i not in found:
            raise CampaignError(f"no model version {i} in this campaign")
    a, b = found[a_id], found[b_id]
    rows = [("labelled alloys", float(a.n_labelled), float(b.n_labelled)),
            ("unlabelled alloys", float(a.n_unlabelled), float(b.n_unlabelled))]
    sa, sb = scorer_figures(a.metrics) or (None, None), scorer_figures(b.metrics) or (None, None)
    rows += [("scorer val acc", sa[0], sb[0]), ("scorer val AUC", sa[1], sb[1])]
    rows += [(METRIC_NAMES.get(m, m), a.metrics.get(m), b.metrics.get(m)) for m in METRICS]
    keys = sorted(set(a.config) | set(b.config))
    changes = [(k, a.config.get(k), b.config.get(k)) for k in keys if a.config.get(k) != b.config.get(k)]
    return VersionComparison(a, b, rows, changes)


def active_version_line(store: CampaignStore) -> str:
    """One line naming the model proposals use now."""
    with store.read() as session:
        v = q.active_model(session, store.campaign_id)
    if v is None:
        return "No active model yet: train one (key t) or activate one (key v)."
    acc = (scorer_figures(v.metrics) or (None,))[0]
    return (f"Proposals use the active model v{v.id} (trained {v.created_at:%Y-%m-%d %H:%M}"
            + (f", scorer val accuracy {acc:.3f}" if isinstance(acc, (int, float)) else "")
            + "); key v lists versions.")
