"""The fixed choices a user picks from, as Enums, so both front ends offer and check the same values.

Kept here (not imported from campaign/ or db/) so that building the command
line needs neither numpy nor torch; tests/tui/test_present.py checks that
they equal the lists the campaign services accept.
"""

from __future__ import annotations

from enum import Enum


class Choice(str, Enum):
    def __str__(self) -> str:
        return self.value


class Loop(Choice):
    paper = "paper"
    latent_steps = "latent-steps"
    proximal = "proximal"


class Strategy(Choice):
    greedy = "greedy"
    exploit = "exploit"
    explore = "explore"
    balanced = "balanced"


class CandidateStatus(Choice):
    proposed = "proposed"
    approved = "approved"
    rejected = "rejected"
    exported = "exported"
    measured = "measured"
    failed = "failed"


class ExportStatus(Choice):
    """The statuses a candidate can be exported from (campaign.lifecycle.TRANSITIONS: only approved)."""

    approved = "approved"


class Flag(Choice):
    uncertain = "uncertain"
    novel = "novel"
    low_density = "low_density"
    disputed = "disputed"
    out_of_range = "out_of_range"
    inconsistent = "inconsistent"


class ExportFormat(Choice):
    csv = "csv"
    json = "json"
    sheet = "sheet"


class FailureReason(Choice):
    cracked = "cracked"
    oxidised = "oxidised"
    incomplete_melting = "incomplete-melting"
    other = "other"


class MassUnit(Choice):
    g = "g"
    mg = "mg"


class YesNo(Choice):
    yes = "yes"
    no = "no"


class Protocol(Choice):
    paper = "paper"
    system_holdout = "system-holdout"


def values(enum: type[Choice]) -> tuple[str, ...]:
    return tuple(m.value for m in enum)
