"""The proposal request, built once for both front ends: one set of defaults, one set of checks.

``build_proposal_request`` takes the user's values as typed (strings from the
TUI form, numbers from Typer; blank means the default) and returns a checked
``campaign.proposals.ProposalRequest`` or raises ``CampaignError``.  Fractions
are given in at.% by the user (the only unit: ``Fe:1`` is 1 at.%) and stored
as fractions in the request.  Constraint options left blank take the
campaign's design space (``hea-campaign space show``); given ones override
it for this run only.
"""

from __future__ import annotations

from dataclasses import dataclass

from typing import TYPE_CHECKING

from hea_campaign.campaign.errors import CampaignError

from .checks import integer, is_blank, names, number, seed

if TYPE_CHECKING:  # imported when a request is built: campaign.proposals loads numpy and the model
    from hea_campaign.campaign.proposals import ProposalRequest

# The choices, here so that `--help` needs no numpy or torch (tests check they equal campaign's).
LOOPS = ("paper", "latent-steps", "proximal")  # campaign.inversion.MODES
STRATEGIES = ("greedy", "exploit", "explore", "balanced")  # campaign.acquisition.STRATEGIES


@dataclass(frozen=True)
class ProposalDefaults:
    loop: str = "proximal"  # reaches the cutoff most often with the smallest change (README, inverse design)
    cutoff: float = 0.6
    p: float = 0.9
    step: float = 5.0  # at.%
    batch: int = 12
    strategy: str = "greedy"
    seed: int = 0


DEFAULTS = ProposalDefaults()
MAX_BATCH = 1000
MAX_STEPS = 10_000
MAX_STARTS = 10_000
MAX_ELEMENTS = 118
SCREEN_WARN = 1_000_000  # compositions: above this the front ends warn with the count before screening
SCREEN_MAX = 20_000_000  # compositions: above this screening is refused unless the user raises the limit


def _or(value, default):
    return default if is_blank(value) else value


def parse_bounds(text, name: str) -> dict[str, float]:
    """'Al:5,Cr:30' or 'Al:5%,Cr:30%' (always at.%) -> {element: fraction}; 'Fe:1' is 1 at.%.

    A repeated option arrives as a list (``--min Fe:30 --min Ni:30``): every value counts, and an
    element given twice with different amounts is refused rather than one silently winning."""
    out: dict[str, float] = {}
    for item in names(text, name, unique=False):
        el, colon, value = item.partition(":")
        el, value = el.strip(), value.strip()
        if not colon or not el or not value:
            raise CampaignError(f"{name} must look like 'Al:5,Cr:30' in at.% (got '{item}')")
        v = number(value.removesuffix("%").strip(), f"{name} {el} (at.%)", lo=0, hi=100)
        if el in out and abs(out[el] - v / 100) > 1e-12:
            raise CampaignError(f"{name} gives {el} twice with different amounts "
                                f"({100 * out[el]:g} and {v:g} at.%): give it once")
        out[el] = v / 100
    return out


def granularity_pct(value, name: str = "--granularity") -> float:
    """Lab granularity in at.%: compositions are whole numbers of it, so it must divide 100 at.%."""
    g = number(value, f"{name} (at.%)", lo=0, hi=50, lo_open=True)
    if abs(100 / g - round(100 / g)) > 1e-6:
        raise CampaignError(f"{name} must divide 100 at.% evenly, e.g. 0.5, 1, 2, 5 or 10 (got {g:g})")
    return g


def check_step(step_pct: float, gran_pct: float | None, *, step_given: bool = True) -> None:
    """Screened compositions are not rounded, so the step must be a whole multiple of the granularity.

    ``step_given``: whether the user gave the step; only a step that was not given is named as the default
    (a typed --step 5 is the user's, even though 5 is also the default)."""
    ratio = None if gran_pct is None else step_pct / gran_pct
    if ratio is None or (ratio >= 1 - 1e-9 and abs(ratio - round(ratio)) <= 1e-6):
        return
    default = "" if step_given else ", the default, as --step was not given"
    units = round(100 / gran_pct)
    suggest = min(gran_pct * k for k in range(1, units + 1) if units % k == 0 and gran_pct * k >= step_pct - 1e-9)
    raise CampaignError(f"the screening step ({step_pct:g} at.%{default}) must be a multiple of the granularity "
                        f"({gran_pct:g} at.%), and so at least the granularity: use e.g. --step {suggest:g}")


def multi_phase_count(value) -> int:
    """How many multi-phase alloys to invert from; blank is 0 (not this mode), and a given count is at least 1."""
    if is_blank(value):
        return 0
    n = integer(value, "--from-multi-phase")
    if n < 1:
        raise CampaignError(f"--from-multi-phase is how many multi-phase alloys to start from and must be at least 1 "
                            f"(got {n})")
    return integer(n, "--from-multi-phase", lo=1, hi=MAX_STARTS)


def parse_latent(text) -> list[list[float]]:
    """'0.5,-1.2' or '0,0;1,1' -> latent points, all of one dimension, finite."""
    if is_blank(text):
        return []
    points = []
    for part in str(text).split(";"):
        values = [v for v in part.split(",")]
        points.append([number(v, "--latent coordinate", lo=-1e3, hi=1e3) for v in values])
    if len({len(p) for p in points}) != 1:
        raise CampaignError("--latent points must all have the same number of coordinates")
    return points


def build_proposal_request(
    *,
    starts=None, from_multi_phase=None, loop=None, cutoff=None, max_steps=None, keep_elements: bool = False,
    latent=None, p=None, screen=None, step=None, allowed=None, banned=None, min_frac=None, max_frac=None,
    max_elements=None, min_elements=None, granularity=None, batch=None, strategy=None, seed_value=None,
    max_compositions=None,
    scheduler=None,
    allow_capitals: bool = False,
) -> ProposalRequest:
    """Check every value and build the request (exactly one mode: inversion, latent points or screening).
    A start alloy typed all in capitals that also reads as another alloy (CONI: CoNi?) raises
    CapitalsFormula unless ``allow_capitals`` (the CLI's --yes, a yes in the TUI)."""
    from hea_campaign.campaign.proposals import ProposalRequest

    d = DEFAULTS
    start_list = names(starts, "--from")
    if not allow_capitals:
        from hea_campaign.campaign.chemistry import capitals_reading, parse_typed_formula

        for text in start_list:
            if capitals_reading(text) is not None:  # parsed only then: a bad start is refused where it is read
                parse_typed_formula(text)
    n_multi = multi_phase_count(from_multi_phase)
    points = parse_latent(latent)
    screen_elements = names(screen, "--screen")
    modes = [m for m, on in (("invert", start_list or n_multi), ("latent", points), ("screen", screen_elements)) if on]
    if len(modes) != 1:
        raise CampaignError("choose one mode: --from/--from-multi-phase, --latent or --screen")
    loop = str(_or(loop, d.loop))
    if loop not in LOOPS:
        raise CampaignError(f"--loop must be one of {', '.join(LOOPS)} (got '{loop}')")
    strategy = str(_or(strategy, d.strategy))
    if strategy not in STRATEGIES:
        raise CampaignError(f"--strategy must be one of {', '.join(STRATEGIES)} (got '{strategy}')")
    gran = None if is_blank(granularity) else granularity_pct(granularity)
    step_pct = number(_or(step, d.step), "--step (at.%)", lo=0, hi=100, lo_open=True)
    if abs(100 / step_pct - round(100 / step_pct)) > 1e-9:
        raise CampaignError(f"--step must divide 100 at.% evenly, e.g. 1, 2, 5 or 10 (got {step_pct:g})")
    if screen_elements:  # the step is the screening grid; inversion and latent decoding do not use it
        check_step(step_pct, gran, step_given=not is_blank(step))
    n_min = None if is_blank(min_elements) else integer(min_elements, "--min-elements", lo=1, hi=MAX_ELEMENTS)
    n_max = None if is_blank(max_elements) else integer(max_elements, "--max-elements", lo=1, hi=MAX_ELEMENTS)
    if n_max is not None and n_min is not None and n_max < n_min:
        raise CampaignError(f"--max-elements ({n_max}) is smaller than --min-elements ({n_min})")
    allowed_list = names(allowed, "--allowed")
    for name, pool in (("--screen", screen_elements), ("--allowed", allowed_list)):
        if pool and n_min is not None and n_min > len(pool):
            raise CampaignError(f"--min-elements ({n_min}) is more than the {len(pool)} element(s) of {name}")
    mins, maxs = parse_bounds(min_frac, "--min"), parse_bounds(max_frac, "--max")
    for el, lo in mins.items():
        if lo > maxs.get(el, 1.0):
            raise CampaignError(f"--min for {el} ({100 * lo:g} at.%) is above its --max ({100 * maxs[el]:g} at.%)")
    overrides = space_overrides(allowed=allowed_list, banned=names(banned, "--banned"), min_fraction=mins,
                                max_fraction=maxs, max_elements=n_max, min_elements=n_min,
                                granularity=None if gran is None else gran / 100)
    # the limit is checked on the compositions inside the design space (campaign.proposals.plan_screening)
    limit = integer(_or(max_compositions, SCREEN_MAX), "--max-compositions", lo=1) if screen_elements else None
    return ProposalRequest(
        mode=modes[0], starts=start_list, from_multi_phase=n_multi, inversion=loop,
        cutoff=number(_or(cutoff, d.cutoff), "--cutoff", lo=0, hi=1, lo_open=True, hi_open=True),
        max_steps=None if is_blank(max_steps) else integer(max_steps, "--max-steps", lo=1, hi=MAX_STEPS),
        keep_elements=bool(keep_elements), latent=points,
        p_target=number(_or(p, d.p), "--p", lo=0, hi=1, lo_open=True, hi_open=True),
        screen_elements=screen_elements, step=step_pct / 100, constraints=None, space_overrides=overrides,
        batch=integer(_or(batch, d.batch), "--batch", lo=1, hi=MAX_BATCH), strategy=strategy,
        seed=seed(_or(seed_value, d.seed)),
        scheduler=scheduler_address(scheduler, screening=modes[0] == "screen"), max_compositions=limit,
    )


# Options that only one mode reads: typed for another mode they would be ignored without a word.
MODE_OPTIONS = {
    "--loop": "invert", "--cutoff": "invert", "--max-steps": "invert", "--keep-elements": "invert",
    "--seed": "multi", "--p": "latent", "--step": "screen", "--max-compositions": "screen",
}  # fmt: skip
MODE_WORDS = {
    "invert": "inversion (--from, --from-multi-phase)", "multi": "choosing the alloys of --from-multi-phase",
    "latent": "latent decoding (--latent)", "screen": "screening (--screen)",
}  # fmt: skip
RUN_WORDS = {"invert": "inverts --from's alloys only", "latent": "decodes latent points", "screen": "screens"}


def check_mode_options(req, given) -> None:
    """Refuse an option ``given`` (names as typed, e.g. '--p') that the request's mode does not read: '--p 0.8'
    with --from-multi-phase would run with the cutoff 0.6 while the user believed otherwise."""
    modes = {req.mode} | ({"multi"} if req.mode == "invert" and req.from_multi_phase else set())
    for option in given:
        needs = MODE_OPTIONS.get(option)
        if needs is not None and needs not in modes:
            doing = "inverts" if req.mode == "invert" and needs != "multi" else RUN_WORDS[req.mode]
            raise CampaignError(f"{option} is for {MODE_WORDS[needs]}, and this run {doing}: leave it out"
                                + (" (an inversion stops at --cutoff)" if option == "--p" else ""))


def form_mode_gap(mode: str, *, starts="", multi="", latent="", screen="") -> str | None:
    """What the Propose form's chosen mode still needs, in the form's words (the CLI says "choose one
    mode: --from ..." because it has no mode field)."""
    if mode.startswith("invert") and is_blank(starts) and is_blank(multi):
        return "an inversion starts from alloys: type start alloys, or N multi-phase alloys to draw from the store"
    if mode == "latent" and is_blank(latent):
        return "latent generation needs latent points (z1,z2; more separated by ';')"
    if mode == "screen" and is_blank(screen):
        return "screening needs the elements to screen (e.g. Fe,Ni,Co,Cr,Mn)"
    return None


SCHEDULER_SCHEMES = ("tcp://", "tls://", "ucx://", "ws://", "wss://")


def scheduler_address(text, *, screening: bool = True) -> str | None:
    """A Dask scheduler address (tcp://host:8786), checked for its form only; blank: None (run here)."""
    if is_blank(text):
        return None
    address = str(text).strip()
    if not screening:
        raise CampaignError("--scheduler spreads screening over a cluster; use it with --screen")
    host = address.split("://", 1)[-1]
    if (not address.startswith(SCHEDULER_SCHEMES) or not host or len(address) > 300
            or not all(c.isalnum() or c in ".-_:[]" for c in host)):
        raise CampaignError(f"--scheduler must look like tcp://host:8786 (got {address[:60]!r})")
    return address


def space_overrides(**given) -> dict:
    """The design-space settings a user gave (blank ones left out), as ``Constraints`` fields."""
    out = {}
    for key, value in given.items():
        if value is None or (isinstance(value, (list, dict, str)) and not value):
            continue
        out[key] = frozenset(value) if key in ("allowed", "banned") else value
    return out


def screening_warning(req, plan) -> str | None:
    """The warning both front ends show before a large screening, with the count of compositions inside the
    design space's element count and bounds and the elements really screened (``campaign.proposals.
    screening_plan``); None when small."""
    if req.mode != "screen" or plan is None or plan.count <= SCREEN_WARN:
        return None
    return (f"screening {plan.count:,} compositions inside the design space's bounds ({len(plan.elements)} "
            f"elements, step {100 * req.step:g} at.%); this can take a long time")
