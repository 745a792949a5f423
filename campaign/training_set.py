"""The rows a model learns from, taken from the store at one moment.

Labelled: alloys whose current measurements agree on single phase yes/no.
Unlabelled: alloys with no label yet (literature rows with an unclassifiable
phase, alloys entered without a result).  Left out, with the count kept so it
can be reported: conflicting labels, elements outside the vocabulary, and
compositions that exist only because the model proposed them (learning from
its own proposals would feed the model its own beliefs), and alloys whose every
result was moved to another alloy (a mistyped formula, corrected: nobody made
that composition) or withdrawn (it should never have been entered).  Where the lab
recorded the composition actually made (weighed masses), that is what the
model learns from.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from hea_campaign.db import store as q
from hea_campaign.model.vocabulary import DEFAULT_VOCABULARY

from .alloy_sources import PROPOSAL_SOURCE
from .chemistry import from_fractions
from .labels import LabelState, label_states
from .store import CampaignStore


@dataclass
class TrainingSet:
    vocabulary: tuple[str, ...]
    lab_ids: np.ndarray
    X_lab: np.ndarray
    y_lab: np.ndarray
    lab_formulas: list[str]
    unlab_ids: np.ndarray
    X_unlab: np.ndarray
    excluded: dict[str, int] = field(default_factory=dict)
    # the newest measurement when the labels were read: a version trained on them knows none after it
    last_measurement_id: int | None = None

    def data_hash(self) -> str:
        """sha256 of the labelled (formula, label) pairs and unlabelled formulas, order-free."""
        digest = hashlib.sha256()
        for formula, label in sorted(zip(self.lab_formulas, self.y_lab.astype(int).tolist())):
            digest.update(f"L|{formula}|{label}\n".encode())
        digest.update(f"U|{len(self.unlab_ids)}|{','.join(map(str, sorted(self.unlab_ids.tolist())))}\n".encode())
        return digest.hexdigest()

    def validation_split(self, fraction: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Seeded indices (train, validation) into the labelled rows, stratified by label, with
        near-duplicates (within 1 at.% in every element) on one side: a validation row with a near-copy
        in training would flatter the epoch, the scorer and the conformal sets chosen on it."""
        from hea_campaign.model.splits import grouped_validation

        return grouped_validation(self.X_lab, self.y_lab.astype(np.int64), fraction, seed)


def _vector(composition: dict, index: dict[str, int]) -> np.ndarray | None:
    x = np.zeros(len(index))
    for el, f in composition.items():
        if el not in index:
            return None
        x[index[el]] = f
    return x


def composition_for_training(st: LabelState) -> dict:
    """The composition actually made when the lab recorded one (the mean over its current
    labelled measurements), else the nominal one."""
    if not st.made:
        return st.composition
    elements = sorted({e for comp in st.made for e in comp})
    mean = {e: sum(float(comp.get(e, 0.0)) for comp in st.made) / len(st.made) for e in elements}
    total = sum(mean.values())
    return {e: v / total for e, v in mean.items() if v > 0}


def snapshot(store: CampaignStore, vocabulary: tuple[str, ...] = DEFAULT_VOCABULARY) -> TrainingSet:
    """Read the current labels and compositions of the campaign into arrays (plain columns,
    no row object per alloy)."""
    index = {e: i for i, e in enumerate(vocabulary)}
    excluded = {"conflicting labels": 0, "outside vocabulary": 0, "proposed only": 0, "results moved away": 0}
    lab, lab_ids, ys, formulas, unlab, unlab_ids = [], [], [], [], [], []
    with store.read() as session:
        # read first: a result committed between the two reads is in the labels yet counts as new (never the
        # reverse).  Ids, not times: a writer stamps entered_at before it commits (an import holds its
        # transaction for minutes), and on a server clocks differ; writers hold the store's write lock (SQLite's,
        # or PostgreSQL's advisory lock), so ids are issued in commit order
        last_measurement_id = q.newest_measurement_id(session)
        states = label_states(session, store.campaign_id)  # in alloy id order
    for st in states:
        alloy_id = st.alloy_id
        if st.conflict:
            excluded["conflicting labels"] += 1
            continue
        x = _vector(composition_for_training(st), index)
        if x is None:
            excluded["outside vocabulary"] += 1
            continue
        if st.label is None:
            if st.n_measurements == 0:  # no current result: a proposal never made, or a typo's results moved
                excluded["proposed only" if st.source.startswith(PROPOSAL_SOURCE) else "results moved away"] += 1
                continue
            unlab.append(x)
            unlab_ids.append(alloy_id)
        else:
            lab.append(x)
            lab_ids.append(alloy_id)
            ys.append(1.0 if st.label else 0.0)
            formulas.append(st.formula)
    V = len(vocabulary)
    return TrainingSet(
        vocabulary=tuple(vocabulary),
        lab_ids=np.array(lab_ids, dtype=int),
        X_lab=np.array(lab).reshape(-1, V),
        y_lab=np.array(ys),
        lab_formulas=formulas,
        unlab_ids=np.array(unlab_ids, dtype=int),
        X_unlab=np.array(unlab).reshape(-1, V),
        excluded=excluded,
        last_measurement_id=last_measurement_id,
    )


def formula_of(row: np.ndarray, vocabulary: tuple[str, ...]) -> str:
    return from_fractions({e: float(v) for e, v in zip(vocabulary, row, strict=True) if v > 0}).formula
