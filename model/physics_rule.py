"""The textbook physics rule for single-phase solid solutions, and the prior it lends a ranking.

The rule needs no label: mixing enthalpy inside a window around zero
(-15 to 5 kJ/mol), then the smallest atomic size difference first.  On its own
it is a reference strategy of ``simulate`` (what a lab does without this
tool).  As a prior it adds to p_single a bonus that fades as labels
accumulate: ``PRIOR_LABELS / n_labels`` times the candidate's percentile under
the rule among the candidates being ranked.  With 50 labels the bonus is at
most 0.3; with the 1,366 alloys of the seed store it is at most 0.011, so a
lab's own data decide once it has some.  ``PRIOR_LABELS`` was chosen with
``simulate``-style replays on seeds other than those of the shipped run,
never on held-out test rows (README, "Campaign simulation").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .descriptors import featurize
from .vocabulary import DEFAULT_VOCABULARY

RULE_DH_WINDOW = (-15.0, 5.0)  # kJ/mol: mixing enthalpy of solid-solution formers
PRIOR_LABELS = 15.0  # the prior weighs as much as this many labels spread over the ranking
_INSIDE = 1000.0  # larger than any atomic size difference (%)


def rule_scores(fractions: np.ndarray, vocabulary: Sequence[str] = DEFAULT_VOCABULARY) -> np.ndarray:
    """The rule's ranking (higher first): inside the mixing-enthalpy window, then small size difference."""
    D = featurize(np.asarray(fractions, dtype=np.float64), vocabulary)
    lo, hi = RULE_DH_WINDOW
    inside = (D[:, 7] >= lo) & (D[:, 7] <= hi)
    return np.where(inside, _INSIDE, 0.0) - D[:, 4]


def physics_prior(fractions: np.ndarray, n_labels: int,
                  vocabulary: Sequence[str] = DEFAULT_VOCABULARY) -> np.ndarray:
    """Bonus added to p_single when ranking: the rule's percentile among these rows, fading with labels."""
    X = np.asarray(fractions, dtype=np.float64)
    if len(X) == 0:
        return np.zeros(0)
    from scipy.stats import rankdata

    percentile = (rankdata(rule_scores(X, vocabulary)) - 1) / max(len(X) - 1, 1)
    return PRIOR_LABELS / max(int(n_labels), 1) * percentile
