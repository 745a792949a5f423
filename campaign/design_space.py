"""A campaign's design space, kept in the store (``Campaign.settings``).

What the lab is willing to make: allowed and banned elements, number of
elements, per-element at.% bounds, granularity, and optional limits on
raw-material cost and density.  Every proposal mode applies it; a campaign
that never set one gets a HEA lab's defaults (4 to 6 elements, each 5 to
35 at.%, 1 at.% granularity).  The lab's own price list, if imported, lives
beside it and overrides pymatgen's element prices.

At.% is the only unit a person types: ``Fe:2`` is 2 at.% and ``Fe:1`` is
1 at.% (a trailing ``%`` is accepted and changes nothing).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from hea_campaign.db import store as q
from hea_campaign.db.tables import Campaign

from .constraints import HEA_DEFAULTS, ConstraintError, Constraints, check_screening_step
from .economics import PriceTable, price_table, read_price_list
from .errors import CampaignError, cut
from .store import CampaignStore, current_user

SETTINGS_KEY = "design_space"
PRICES_KEY = "prices"


@dataclass
class DesignSpaceView:
    constraints: Constraints
    is_default: bool
    prices: PriceTable
    price_list: dict | None  # {"source", "usd_per_kg": {...}} when a lab list is imported
    price_summary: str = ""  # where the vocabulary's prices come from, one line
    problem: str | None = None  # why no composition fits the stored space (stored before it was checked)


def _campaign(session, store: CampaignStore) -> Campaign:
    row = session.get(Campaign, store.campaign_id)
    if row is None:  # pragma: no cover - the store handle was made from this row
        raise CampaignError(f"campaign '{store.campaign_name}' is gone from the store")
    return row


def load_design_space(store: CampaignStore) -> Constraints:
    """The campaign's design space (the HEA defaults if none was set)."""
    with store.read() as session:
        settings = dict(_campaign(session, store).settings or {})
    return constraints_from_settings(settings)


def constraints_from_settings(settings: Mapping) -> Constraints:
    raw = settings.get(SETTINGS_KEY)
    if not raw:
        return HEA_DEFAULTS
    try:
        return Constraints.from_dict(raw)
    except (TypeError, ValueError) as exc:
        raise CampaignError(f"the stored design space cannot be read ({exc}); set it again with hea-campaign space set") from None


def space_for_run(space: Constraints, overrides: Mapping, vocabulary, *, label: str = "the campaign's design space",
                  screen_step: float | None = None, prices: PriceTable | None = None) -> Constraints:
    """The space one proposal applies: ``space`` with this run's options, refused with the reason if impossible.

    A space stored before it was checked this strictly, or made impossible by the options, would
    otherwise run and produce nothing useful."""
    if overrides:
        try:
            space = space.replace(**overrides)
        except TypeError as exc:
            raise CampaignError(f"unknown design-space setting: {exc}") from None
        label += " with this run's options"
    try:
        space.validate(vocabulary, prices)
    except ConstraintError as exc:
        raise ConstraintError(f"{label} cannot be used: {exc} (see hea-campaign space show; "
                              f"change it with hea-campaign space set)") from None
    if screen_step is not None:
        check_screening_step(screen_step, space.granularity, "the granularity" if "granularity" in (overrides or {})
                             else "the design space's granularity")  # not given for this run: say whose it is
    return space


def load_prices(store: CampaignStore) -> PriceTable:
    with store.read() as session:
        settings = dict(_campaign(session, store).settings or {})
    return prices_from_settings(settings)


def prices_from_settings(settings: Mapping) -> PriceTable:
    lab = settings.get(PRICES_KEY)
    if not lab:
        return price_table()
    return price_table(lab.get("usd_per_kg", {}), f"lab price list {lab.get('source', '')}".strip())


def show(store: CampaignStore) -> DesignSpaceView:
    with store.read() as session:
        settings = dict(_campaign(session, store).settings or {})
    from hea_campaign.model.vocabulary import DEFAULT_VOCABULARY

    prices = prices_from_settings(settings)
    space = constraints_from_settings(settings)
    return DesignSpaceView(space, not settings.get(SETTINGS_KEY), prices, settings.get(PRICES_KEY),
                           prices.describe(DEFAULT_VOCABULARY), _problem(space, DEFAULT_VOCABULARY, prices))


def _problem(space: Constraints, vocabulary, prices: PriceTable) -> str | None:
    """Why the space admits no composition, so `space show` flags a space stored before the checks
    (or one a later price list made too dear)."""
    try:
        space.validate(vocabulary, prices)
    except ConstraintError as exc:
        return str(exc)
    return None


def save_design_space(store: CampaignStore, constraints: Constraints, *, by: str | None = None,
                      vocabulary=None) -> Constraints:
    """Validate and store a design space (one audit event with the old and new values)."""
    return change_design_space(store, by=by, vocabulary=vocabulary, whole=constraints).space


def update_design_space(store: CampaignStore, *, by: str | None = None, reset: bool = False, **changes) -> Constraints:
    """Change some settings of the stored design space (``reset`` starts from the defaults)."""
    return change_design_space(store, by=by, reset=reset, **changes).space


def import_price_list(store: CampaignStore, path, *, by: str | None = None) -> dict[str, float]:
    """Read a lab price list CSV (element, usd_per_kg) into the campaign; it overrides pymatgen's prices."""
    return change_design_space(store, by=by, prices_file=path).prices_imported


def read_price_file(path) -> dict:
    """A lab price list file as stored: {"source": file name, "usd_per_kg": {element: price}}."""
    from pathlib import Path

    p = Path(path).expanduser()
    try:
        text = p.read_text(encoding="utf-8-sig")
    except IsADirectoryError:
        raise CampaignError(f"cannot read the price list {p}: it is a folder, not a CSV file") from None
    except FileNotFoundError:
        raise CampaignError(f"cannot read the price list {p}: no such file") from None
    except UnicodeDecodeError:
        raise CampaignError(f"cannot read the price list {p}: it is not UTF-8 text (save it as CSV UTF-8)") from None
    except OSError as exc:
        raise CampaignError(f"cannot read the price list {p}: {exc.strerror or exc}") from None
    return {"source": p.name, "usd_per_kg": read_price_list(text, p.name)}


@dataclass
class SpaceChange:
    space: Constraints
    prices_imported: dict[str, float] | None = None
    prices_cleared: bool = False  # a lab list was there and is gone
    space_written: bool = False
    no_list_to_clear: bool = False  # asked to remove a lab list the campaign did not have
    prices_unused: list[str] = field(default_factory=list)  # listed elements no proposal can contain (Np for Nb?)
    prices_dropped: list[str] = field(default_factory=list)  # priced by the list replaced, not by the new one
    unallowed: list[str] = field(default_factory=list)  # banned now, so taken off the stored allowed list


def change_design_space(store: CampaignStore, *, by: str | None = None, reset: bool = False, prices_file=None,
                        clear_prices: bool = False, whole: Constraints | None = None, vocabulary=None,
                        **changes) -> SpaceChange:
    """Change the design space and the lab price list in one unit of work (`space set`, the TUI's form).

    A changed space is checked against the prices it will be costed with, and both are written
    together or not at all: a refused change leaves the old price list in place.  ``whole`` replaces
    the space; ``reset`` starts from the defaults; ``changes`` are settings of ``Constraints``.
    """
    from hea_campaign.model.vocabulary import DEFAULT_VOCABULARY

    if prices_file is not None and clear_prices:
        raise CampaignError("give a price list or clear it, not both")
    new_list = read_price_file(prices_file) if prices_file is not None else None
    actor = by or current_user()
    with store.write() as session:
        row = _campaign(session, store)
        settings = dict(row.settings or {})
        had_list = PRICES_KEY in settings
        before = set((settings.get(PRICES_KEY) or {}).get("usd_per_kg", {}))
        if new_list is not None:
            settings[PRICES_KEY] = new_list
        elif clear_prices:
            settings.pop(PRICES_KEY, None)
        base = HEA_DEFAULTS if reset else constraints_from_settings(settings)
        changes, unallowed = _unallow_banned(base, changes)
        space = whole or _changed(base, changes)
        writes_space = whole is not None or reset or bool(changes)
        if writes_space:  # a new price list alone is kept even if it puts the stored space out of reach
            space.validate(vocabulary or DEFAULT_VOCABULARY, prices_from_settings(settings))  # (space show says so)
        old = settings.get(SETTINGS_KEY)
        if writes_space:
            settings[SETTINGS_KEY] = space.describe()
        row.settings = settings  # a new dict, so the JSON column is written
        session.add(row)
        if new_list is not None:
            q.audit(session, actor=actor, action="prices.import", entity="campaign", entity_id=row.id,
                    campaign_id=row.id, payload={"source": new_list["source"], "n": len(new_list["usd_per_kg"])})
        if clear_prices and had_list:
            q.audit(session, actor=actor, action="prices.clear", entity="campaign", entity_id=row.id,
                    campaign_id=row.id, payload={})
        if writes_space:
            q.audit(session, actor=actor, action="design_space.set", entity="campaign", entity_id=row.id,
                    campaign_id=row.id, payload={"old": old, "new": settings[SETTINGS_KEY]})
    vocab = vocabulary or DEFAULT_VOCABULARY
    unused = [] if new_list is None else [e for e in new_list["usd_per_kg"] if e not in vocab]
    dropped = [] if new_list is None else sorted(before - set(new_list["usd_per_kg"]))
    return SpaceChange(space, None if new_list is None else new_list["usd_per_kg"], clear_prices and had_list,
                       writes_space, clear_prices and not had_list, unused, dropped, unallowed)


def _unallow_banned(base: Constraints, changes: Mapping) -> tuple[dict, list[str]]:
    """Banning an element of the stored allowed list (the allowed list not given in the same change) takes it
    off that list instead of refusing: the ban is what was asked; retyping the whole list was the only way."""
    changes = dict(changes)
    banned = changes.get("banned")
    if banned is None or "allowed" in changes or base.allowed is None:
        return changes, []
    overlap = sorted(set(base.allowed) & set(banned))
    if overlap:
        changes["allowed"] = frozenset(set(base.allowed) - set(overlap))
    return changes, overlap


def _changed(base: Constraints, changes: Mapping) -> Constraints:
    try:
        return base.replace(**changes)
    except TypeError as exc:
        raise ConstraintError(str(exc)) from None


def parse_element_bounds(text: str | None, what: str) -> dict[str, float]:
    """'Al:5,Cr:30' (at.%, a trailing % allowed) -> {'Al': 0.05, 'Cr': 0.30}.

    One unit only: the number is always at.%, so 'Fe:1' is 1 at.%."""
    out: dict[str, float] = {}
    for item in [t.strip() for t in (text or "").split(",") if t.strip()]:
        el, sep, value = item.partition(":")
        el, value = el.strip(), value.strip().removesuffix("%").strip()
        try:
            v = float(value) if sep else math.nan
        except ValueError:
            v = math.nan
        if not el or not math.isfinite(v) or not 0 <= v <= 100:
            raise CampaignError(f"{what} takes element:at.% pairs between 0 and 100, e.g. 'Al:5,Cr:30' (got '{cut(item, 40)}')")
        if el in out:
            raise CampaignError(f"{what} names {el} twice")
        out[el] = v / 100.0
    return out


def outside_reasons(formulas: Mapping, settings: Mapping) -> dict:
    """Why each composition lies outside the design space and price list in ``settings`` (a campaign's),
    short reasons ("Cu is banned", "12.19 USD/kg > 12"); ``formulas`` maps any key (a candidate id) to a
    canonical formula, and only keys outside the space come back.

    The proposal's own check (``constraints.satisfies``) picks the rows, ``violations`` says why: a space
    tightened after candidates were proposed leaves them standing, and approving or exporting one
    should say so.  So does a granularity changed since (``constraints.on_grid``): every proposal is
    rounded to the space's grid, and a composition off the current one could not be proposed now."""
    import numpy as np

    from hea_campaign.model.vocabulary import DEFAULT_VOCABULARY

    from .chemistry import FormulaError, parse_formula
    from .constraints import grid_violation, on_grid, satisfies, violations

    if not formulas:
        return {}
    space, prices = constraints_from_settings(settings), prices_from_settings(settings)
    keys, comps = [], []
    for key, formula in formulas.items():
        try:
            comps.append(parse_formula(formula))
        except FormulaError:  # pragma: no cover - stored formulas are canonical
            continue
        keys.append(key)
    extra = sorted({e for c in comps for e in c.elements} - set(DEFAULT_VOCABULARY))
    vocabulary = [*DEFAULT_VOCABULARY, *extra]
    if not keys:
        return {}
    X = np.stack([c.vector(vocabulary) for c in comps])
    ok = satisfies(X, space, vocabulary, prices) & on_grid(X, space.granularity)

    def why(row) -> list[str]:
        grid = grid_violation(row, space.granularity, vocabulary)
        return violations(row, space, vocabulary, prices, short=True) + ([grid] if grid else [])

    return {keys[i]: tuple(why(X[i]) or ["outside the design space"]) for i in np.flatnonzero(~ok)}


def outside_current_space(store: CampaignStore, formulas: Mapping) -> dict:
    """``outside_reasons`` under the campaign's current design space and price list (one read of its settings)."""
    if not formulas:
        return {}
    with store.read() as session:
        settings = dict(_campaign(session, store).settings or {})
    return outside_reasons(formulas, settings)
