"""Errors a person can act on; the CLI and TUI show their message, never a traceback."""

from __future__ import annotations


class CampaignError(Exception):
    """Base class for problems the user can fix (bad input, missing data, wrong state)."""


class DatasetError(CampaignError):
    """A dataset cannot be found, downloaded, verified or read."""


class LabFileAsDataset(DatasetError):
    """A lab results file or weigh sheet given where a dataset of alloys is read (its message names the
    command that reads it; the TUI names its own control instead)."""


def cut(text: str, limit: int) -> str:
    """``text`` for a message: whole up to ``limit`` characters, else its first ``limit`` and '...', so a
    cut is never read as the whole."""
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "..."
