"""Default names for synthesis batch files: batch number and date, never one that exists."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from hea_campaign.db import cockpit_queries as cq

from .store import CampaignStore


def next_batch_number(store: CampaignStore) -> int:
    """The number the next export batch will most likely get (the newest batch's id + 1)."""
    with store.read() as session:
        return cq.newest_batch_id(session, store.campaign_id) + 1


def default_batch_path(store: CampaignStore, folder: Path, fmt: str = "csv", today: date | None = None) -> Path:
    """folder/synthesis-batch-<N>-<YYYY-MM-DD>.<fmt>, with -2, -3 ... added if such a file exists."""
    stem = f"synthesis-batch-{next_batch_number(store)}-{(today or date.today()).isoformat()}"
    path = folder / f"{stem}.{fmt}"
    n = 2
    while path.exists():
        path = folder / f"{stem}-{n}.{fmt}"
        n += 1
    return path
