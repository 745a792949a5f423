"""Errors a person can act on; the CLI and TUI show their message, never a traceback."""

from __future__ import annotations


class CampaignError(Exception):
    """Base class for problems the user can fix (bad input, missing data, wrong state)."""


class DatasetError(CampaignError):
    """A dataset cannot be found, downloaded, verified or read."""
