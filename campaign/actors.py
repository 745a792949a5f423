"""Who is acting, for the audit trail (kept apart from the store so the TUI can ask before SQLAlchemy is loaded).

``actor_name`` is the one rule for a name given with ``--by`` (the CLI checks it as the
command line is read, the TUI when it starts): not blank, at most ``ACTOR_MAX`` characters
(the size of the store's who-columns: ``audit_event.actor``, ``measurement.operator``,
``created_by``, ``voided_by``; see db/tables.py), on one line with no control or escape
characters.  ``current_user`` (the default) always passes it: an OS user name is cleaned and cut.
``plain_text`` is the character rule on its own, for the free text kept with results and decisions
(method, notes, reasons): none of it may carry a control, escape or invisible character either.
"""

from __future__ import annotations

import getpass
import os
import re

from hea_campaign.db.states import ACTOR_MAX

from .errors import CampaignError

ENV_BY = "HEA_CAMPAIGN_BY"  # who is acting when --by is not given (a shared login, a script)
# C0 and C1 controls (newline and tab included), DEL, the line/paragraph separators, the direction
# marks, embeddings, overrides and isolates, and the invisible characters that would make two names
# that look the same differ (zero-width space, word joiner, BOM): none belongs in a name recorded as
# who did something.  The zero-width (non-)joiners stay: names in Persian and Indic scripts need them.
_INVISIBLE = "\x7f-\x9f\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff"
_CONTROL = re.compile(f"[\x00-\x1f{_INVISIBLE}]")
_CONTROL_BUT_NEWLINE = re.compile(f"[\x00-\x09\x0b-\x1f{_INVISIBLE}]")  # a result's notes keep their lines
UNKNOWN = "unknown"


def actor_name(value: str | None, option: str = "--by", default: str = "the OS user") -> str | None:
    """The name given with --by, checked and stripped of surrounding spaces (None: not given).

    Raises ``CampaignError`` with one line naming ``option`` when the name is blank, longer than
    the store records (``ACTOR_MAX``), or contains a control character (newline, ESC, ...).
    """
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise CampaignError(f"{option} is blank: give the name to record as who did it, or leave it out ({default})")
    name = plain_text(value.strip(), option, "a plain name")
    if len(name) > ACTOR_MAX:
        raise CampaignError(f"{option} is {len(name)} characters long; the store records a name of at most "
                            f"{ACTOR_MAX} characters: give a shorter name")
    return name


def plain_text(text: str, what: str, kind: str = "plain text", *, contains: str = "contains",
               lines: bool = False) -> str:
    """``text`` unchanged when it holds none of the characters a name refuses (``_CONTROL``: newlines, tabs,
    ESC and the other C0/C1 controls, direction marks and overrides, invisible characters); else a
    ``CampaignError`` of one line naming ``what`` ("--by", "the method", "the reason") and the character.

    The one rule for text typed by a person that is kept and shown again: names (``actor_name``) and the
    free text of results and decisions (method, notes, reasons), which reach export files and terminals.
    ``lines``: newlines are kept (a result's notes, a lab CSV's cell over two lines); nothing else is."""
    bad = (_CONTROL_BUT_NEWLINE if lines else _CONTROL).search(text)
    if bad is not None:
        how = "without tabs or escape characters (new lines are fine)" if lines else \
            "on one line, without newlines, tabs or escape characters"
        raise CampaignError(f"{what} {contains} a control character ({_shown(bad.group())}): give {kind} {how}")
    hidden = None if text.isascii() else next((ch for ch in text if _unseen(ch)), None)
    if hidden is not None:
        raise CampaignError(f"{what} {contains} an invisible character ({_shown(hidden)}): give {kind} without it")
    return text


_BLANK_LOOKING = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0")  # a grapheme joiner, fillers


def _unseen(ch: str) -> bool:
    """A character that shows as nothing, so that two names that look the same differ (a soft hyphen in
    "a\u00adb" reads "ab"): every format character (Unicode category Cf) but the zero-width (non-)joiners,
    which Persian and Indic names need; the fillers and the grapheme joiner; noncharacters."""
    import unicodedata

    if ch in "\u200c\u200d":
        return False
    code = ord(ch)
    return (unicodedata.category(ch) == "Cf" or ch in _BLANK_LOOKING or 0xFDD0 <= code <= 0xFDEF
            or code & 0xFFFE == 0xFFFE)


def given_actor(value: str | None, option: str = "--by") -> str | None:
    """The name given with ``option`` (--by), else ``HEA_CAMPAIGN_BY`` when it is set, each checked by
    ``actor_name`` (a blank or empty HEA_CAMPAIGN_BY is refused, naming it, as a blank --by is); None when
    neither is given (the services then take the OS user).  --by wins: the variable is not read then."""
    if value is not None:
        return actor_name(value, option)
    env = os.environ.get(ENV_BY)
    if env is None:
        return None
    return actor_name(env, ENV_BY)


def resolve_actor(value: str | None, option: str = "--by") -> str:
    """Who is acting: the checked --by name, else HEA_CAMPAIGN_BY (``given_actor``), else the OS user
    (``current_user``)."""
    return given_actor(value, option) or current_user()


def current_user() -> str:
    """Who is acting by default: the OS user, cleaned so that it always fits the store.

    The login name comes from the environment first (LOGNAME, USER, ...), so it can be
    anything: control characters are dropped and a name longer than ``ACTOR_MAX`` is cut,
    so the default never trips the --by check; ``'unknown'`` when nothing usable is left.
    """
    try:
        raw = getpass.getuser()
    except Exception:  # no passwd entry in some containers
        raw = os.environ.get("USER", UNKNOWN)
    return clean_user_name(raw)


def clean_user_name(raw: object) -> str:
    """An OS user name made recordable: control characters dropped, stripped, cut to ``ACTOR_MAX``."""
    name = "".join(ch for ch in _CONTROL.sub("", str(raw or "")) if not _unseen(ch)).strip()[:ACTOR_MAX].strip()
    return name or UNKNOWN


def _shown(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
