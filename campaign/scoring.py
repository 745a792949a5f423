"""The campaign's scorer beside its SSVAE: what ranks candidates and fills p_single.

A model version holds an SSVAE (the generative engine) and, in its checkpoint,
the state of the scorer chosen on validation rows (``model.scoring``).
``ScoredModel`` puts the two together: ``predict_proba`` is the scorer's,
everything else (encode, decode, the torch head used inside gradient steps)
is the SSVAE's, so every service that ranks or reports p_single uses the
best-validated probability without knowing which members it has.
"""

from __future__ import annotations

import numpy as np


class ScoredModel:
    """An SSVAE whose ``predict_proba`` comes from the version's scorer.

    ``scorer`` may be a callable that builds it: refitting the trees is put off
    until a probability is asked for (a warm start needs only the SSVAE).
    """

    def __init__(self, ssvae, scorer):
        self.ssvae = ssvae
        self._scorer = scorer

    @property
    def scorer(self):
        if callable(self._scorer) and not hasattr(self._scorer, "predict_proba"):
            self._scorer = self._scorer()
        return self._scorer

    def predict_proba(self, fractions: np.ndarray, return_std: bool = False):
        return self.scorer.predict_proba(fractions, return_std=return_std)

    def head_proba(self, fractions: np.ndarray, return_std: bool = False):
        """The SSVAE classifier head's own probability (what the latent space is conditioned on)."""
        return self.ssvae.predict_proba(fractions, return_std=return_std)

    def __getattr__(self, name: str):
        return getattr(self.ssvae, name)


def head_of(model):
    """The SSVAE behind a model (itself when it has no scorer)."""
    return model.ssvae if isinstance(model, ScoredModel) else model


def fit_version_scorer(ssvae, X_train, y_train, X_val, y_val, *, seed: int = 0, members=None, vocabulary=None):
    """The scorer a model version keeps, and the one its conformal calibration uses.

    Returns ``(scorer, calibration)``.  ``scorer`` is ``fit_scorer``'s: members
    chosen on the validation rows, trees refitted on training + validation
    rows; it fills p_single.  Its p on the validation rows is therefore not
    held out, and conformal scores computed with it would be optimistic (too
    small sets, coverage below the stated level).  ``calibration`` has the
    same members fitted on the training rows only, so the validation rows are
    new to it, as a candidate is new to ``scorer``.  (A scorer that saw 10 %
    more rows is no worse on new alloys, so sets calibrated this way err on
    the side of coverage.)  Used by ``train_version`` and ``evaluate --flags``
    alike.
    """
    from hea_campaign.model.scoring import Scorer, fit_scorer
    from hea_campaign.model.vocabulary import DEFAULT_VOCABULARY

    voc = tuple(vocabulary or getattr(ssvae, "vocabulary", None) or DEFAULT_VOCABULARY)
    on_train: dict = {}  # the chosen trees as fitted on the training rows during selection: reused
    sc = fit_scorer(X_train, y_train, X_val, y_val, ssvae=ssvae, seed=seed, members=members, vocabulary=voc,
                    fitted_on_train=on_train)
    if not all(m in on_train for m in sc.members if m != "ssvae"):
        on_train = {}  # no selection ran (members given, or too few validation rows): fit them here
    calibration = Scorer(sc.members, int(seed), voc, np.asarray(X_train, np.float64),
                         np.asarray(y_train).astype(np.int64), ssvae if "ssvae" in sc.members else None,
                         _trees=on_train)
    return sc, calibration
