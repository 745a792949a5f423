"""Candidates without the model: rows inserted straight into the store.

Proposals need a trained model (built elsewhere); the lab loop only needs
candidate rows with a model version and a proposal run to point at, so these
helpers write them directly through the db tables.  The end-to-end test with
real proposals lives with the design engine.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import func, select

from hea_campaign.campaign.chemistry import parse_formula
from hea_campaign.db import store as q
from hea_campaign.db.tables import Alloy, AuditEvent, Candidate, Measurement, ModelVersion, ProposalRun


def insert_candidates(
    store,
    formulas: Sequence[str],
    *,
    status: str = "proposed",
    p_single: float = 0.8,
    flags: list | None = None,
) -> list[int]:
    """Insert one candidate per formula (adding alloys as needed); returns their ids."""
    with store.write() as s:
        mv = ModelVersion(campaign_id=store.campaign_id, created_by="tests", active=True)
        s.add(mv)
        s.flush()
        run = ProposalRun(campaign_id=store.campaign_id, model_version_id=mv.id, mode="screening",
                          created_by="tests", n_candidates=len(formulas))  # fmt: skip
        s.add(run)
        s.flush()
        ids = []
        for text in formulas:
            comp = parse_formula(text)
            alloy = q.alloys_by_formula(s, store.campaign_id, [comp.formula]).get(comp.formula)
            if alloy is None:
                alloy = Alloy(campaign_id=store.campaign_id, formula=comp.formula, composition=comp.as_dict(),
                              n_elements=len(comp), source="proposal")  # fmt: skip
                s.add(alloy)
                s.flush()
            cand = Candidate(
                campaign_id=store.campaign_id, alloy_id=alloy.id, proposal_run_id=run.id, model_version_id=mv.id,
                origin="screening", p_single=p_single, flags=list(flags or []), status=status,
            )  # fmt: skip
            s.add(cand)
            s.flush()
            ids.append(cand.id)
        return ids


def candidate_statuses(store, ids) -> dict[int, str]:
    with store.read() as s:
        return {i: c.status for i, c in q.candidates_by_id(s, store.campaign_id, ids).items()}


def counts(store) -> dict[str, int]:
    """Rows in the tables the lab loop writes."""
    with store.read() as s:
        return {
            name: s.exec(select(func.count()).select_from(table)).one()
            for name, table in [("alloy", Alloy), ("measurement", Measurement), ("candidate", Candidate),
                                ("audit", AuditEvent)]
        } | {"statuses": sorted(s.exec(select(Candidate.id, Candidate.status)).all())}  # fmt: skip

