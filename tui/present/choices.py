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
    exploit = "exploit"
    explore = "explore"
    balanced = "balanced"


class CandidateStatus(Choice):
    proposed = "proposed"
    approved = "approved"
    rejected = "rejected"
    exported = "exported"
    measured = "measured"


class Flag(Choice):
    low_density = "low_density"
    out_of_range = "out_of_range"
    inconsistent = "inconsistent"
    high_spread = "high_spread"


class ExportFormat(Choice):
    csv = "csv"
    json = "json"


class MassUnit(Choice):
    g = "g"
    mg = "mg"


class YesNo(Choice):
    yes = "yes"
    no = "no"


class Protocol(Choice):
    paper = "paper"


def values(enum: type[Choice]) -> tuple[str, ...]:
    return tuple(m.value for m in enum)
