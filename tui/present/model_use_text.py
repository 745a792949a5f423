"""The line that says what the active model version did with an alloy (history, candidate detail)."""

from __future__ import annotations


_ROLE_TEXT = {
    "train": "trained on this alloy's result",
    "validation": "chose its epoch and scorer on this alloy's result (validation), without training on it",
    "comparison": "kept this alloy out of training and validation, to compare versions on results neither saw",
    "unlabelled": "learned this alloy's composition without a label (the semi-supervised term)",
}


def model_use_text(u) -> str:
    """One line: what the active model version did with an alloy (campaign.model_use.ModelUse)."""
    if u.version_id is None:
        return "model: no active model version"
    head = f"model: active version {u.version_id} (trained {u.trained_at:%Y-%m-%d %H:%M} UTC)"
    since = _since(u)
    if not u.recorded:
        return f"{head}: what it did with each alloy is not recorded (trained before release 0.8.0){since}"
    if u.role is not None:
        return f"{head} {_ROLE_TEXT.get(u.role, u.role)}{since}"
    if getattr(u, "outside_vocabulary", ""):  # never trainable, whenever its result came
        return (f"{head} did not use this alloy: the model reads no {u.outside_vocabulary} "
                "(retraining cannot change that)")
    if u.entered_since is not None and u.label_state in ("single", "multi"):
        return f"{head} began training before this alloy's result was entered: `retrain` to use it"
    why = {"conflict": " (its results conflict)", "none": " (it has no current result)",
           "unlabelled": " (its result has no single/multi label)"}.get(u.label_state, "")
    return f"{head} did not use this alloy{why}{since}"


def _since(u) -> str:
    """What a measurement entered after the version's training began means for this alloy: one to use, or,
    when it left the alloy without a current result (moved away, withdrawn), nothing to retrain on, unless
    the version learnt from the result that is gone."""
    if u.entered_since is None:
        return ""
    if u.label_state != "none":
        return f"; measurement {u.entered_since} was entered after its training began: `retrain` to use it"
    learnt = u.role in ("train", "validation")
    return (f"; measurement {u.entered_since}, entered after its training began, left the alloy without a current "
            "result" + (": `retrain` so that the model stops using it" if learnt else " (nothing to retrain on)"))
