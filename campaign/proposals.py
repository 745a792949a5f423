"""Proposing candidates: one call that runs a mode, filters, flags, picks and stores.

Every mode ends in the same pipeline: move into the campaign's design space
and round to lab granularity, drop what still breaks it (element count,
bounds, cost, density), report alloys within granularity of a measured alloy
as known (with the measured label) instead of storing them, drop duplicates
(among themselves, of any alloy in the store and so of every open
candidate), assess uncertainty and flags, rank by the acquisition strategy
with diversity in latent space, and store the batch as one ``proposal_run``
with its parameters and model version.  Each stored candidate carries its
second opinion, conformal set, three nearest measured alloys, cost and
density in its ``uncertainty`` record.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from hea_campaign.db import store as q
from hea_campaign.db.tables import Alloy, Candidate, ProposalRun

from .acquisition import STRATEGIES, acquisition, distinct_at, pick_batch
from .chemistry import FormulaError, parse_formula
from .constraints import Constraints, project, satisfies, violations
from .design_space import load_design_space, load_prices, space_for_run
from .economics import DENSITY_NOTE, cost_per_kg, density, price_table
from .errors import CampaignError
from .inversion import Caution, invert
from .known_alloys import find_known, measured_alloys, nearest
from .model_versions import get_version, load_version, version_arrays
from .screening import Grid, screen_space, space_size
from .store import CampaignStore, current_user
from .training_set import PROPOSAL_SOURCE, formula_of
from .uncertainty import Reference, assess, build_reference, has_reference

MODES = ("invert", "latent", "screen")


@dataclass
class ProposalRequest:
    mode: str = "invert"
    starts: Sequence[str] = ()  # formulas to invert from
    from_multi_phase: int = 0  # or: this many labelled multi-phase alloys of the store
    inversion: str = "paper"  # "paper" or "proximal"
    cutoff: float = 0.6
    max_steps: int | None = None
    keep_elements: bool = False
    latent: Sequence[Sequence[float]] = ()  # latent points to decode
    p_target: float = 0.9
    screen_elements: Sequence[str] = ()
    step: float = 0.05
    constraints: Constraints | None = None  # None: the campaign's design space
    space_overrides: dict = field(default_factory=dict)  # Constraints fields changed for this run only
    batch: int = 12
    strategy: str = "greedy"
    seed: int = 0
    model_version_id: int | None = None
    scheduler: str | None = None  # screening: a Dask scheduler (tcp://host:8786) to run the parts on
    max_compositions: int | None = None  # screening: refuse a space of more compositions than this (None: no limit)

    def describe(self) -> dict:
        d = {k: v for k, v in self.__dict__.items() if k not in ("constraints", "space_overrides")}
        d["starts"] = list(self.starts)
        d["latent"] = [list(map(float, z)) for z in self.latent]
        d["screen_elements"] = list(self.screen_elements)
        d["constraints"] = None if self.constraints is None else self.constraints.describe()
        return d


@dataclass(frozen=True)
class ScreenPlan:
    """What a screening will enumerate: the elements it screens, those it leaves out (and why), and how
    many compositions of the grid lie inside the design space's element count and per-element bounds."""

    elements: tuple[str, ...]
    left_out: dict[str, str]
    count: int


def _pct(fraction: float) -> str:
    return f"{100 * fraction:.6g}"


def _names(elements) -> str:
    return ", ".join(elements)


def _space_words(space: Constraints) -> str:
    """The bounds a screened composition must meet, in words (cost and density are checked as it is screened)."""
    most = space.max_elements if space.max_elements is not None else "any number of"
    words = [f"{space.min_elements} to {most} elements", f"each {_pct(space.element_min)} to "
             f"{_pct(space.element_max)} at.%"]
    words += [f"{e} at least {_pct(v)} at.%" for e, v in sorted(space.min_fraction.items()) if v > 0]
    words += [f"{e} at most {_pct(v)} at.%" for e, v in sorted(space.max_fraction.items())]
    return ", ".join(words)


def plan_screening(elements: Sequence[str], step: float, space: Constraints, vocabulary,
                   limit: int | None = None, prices=None) -> ScreenPlan:
    """The screening of ``elements`` in steps of ``step`` inside ``space``, or a CampaignError saying in one
    line why it would produce nothing (or more than ``limit`` compositions) before anything is screened.

    Elements the space bans or does not allow are left out (the plan says which, and why): screened
    compositions never hold them."""
    els = list(elements)
    unknown = [e for e in els if e not in vocabulary]
    if unknown:
        from .chemistry import outside_vocabulary_message

        raise CampaignError(outside_vocabulary_message(unknown, "cannot screen elements outside the model vocabulary"))
    not_allowed = [e for e in els if space.allowed is not None and e not in space.allowed and e not in space.banned]
    banned = [e for e in els if e in space.banned]
    left_out = {e: "banned by the design space" for e in banned}
    left_out.update({e: "not allowed by the design space" for e in not_allowed})
    kept = [e for e in els if e not in left_out]
    why = []
    if not_allowed:
        why.append(f"{_names(not_allowed)} {'is' if len(not_allowed) == 1 else 'are'} not allowed by the design "
                   f"space (allowed: {_names(sorted(space.allowed))})")
    if banned:
        why.append(f"{_names(banned)} {'is' if len(banned) == 1 else 'are'} banned by the design space")
    if not kept:
        raise CampaignError(f"nothing to screen: {' and '.join(why)}")
    missing = [e for e, v in sorted(space.min_fraction.items()) if v > 0 and e not in kept]
    if missing:
        raise CampaignError(
            f"the design space requires {_names(f'{e} (at least {_pct(space.min_fraction[e])} at.%)' for e in missing)}"
            f", which {'is' if len(missing) == 1 else 'are'} not among the elements to screen ({_names(kept)})")
    if len(kept) < space.min_elements:
        also = f" ({'; '.join(why)})" if why else ""
        raise CampaignError(f"{len(kept)} element{'s' if len(kept) != 1 else ''} to screen{also}, but the design "
                            f"space needs at least {space.min_elements} per alloy: screen more elements or lower "
                            f"the minimum number of elements")
    grid = Grid(kept, step, space)
    if grid.count == 0:
        raise CampaignError(
            f"none of the {space_size(len(kept), step):,} compositions of {_names(kept)} in steps of {_pct(step)} "
            f"at.% lies in the design space ({_space_words(space)}){_why_none(kept, step, space)}")
    count = grid.count
    floor = max(space.element_min, step)
    for e, amounts in zip(list(kept), grid.values, strict=True):  # bounds no amount at this step fits: never in
        if not (amounts > 0).any():
            left_out[e] = (f"its maximum of {_pct(space.upper(e))} at.% is below the {_pct(floor)} at.% an element "
                           "present needs at this step" if space.upper(e) < floor - 1e-9
                           else f"no amount in steps of {_pct(step)} at.% lies within its bounds")
            kept.remove(e)
    if space.max_cost_per_kg is not None or space.max_density is not None:
        from .space_limits import check_limits

        try:  # a relaxation: what no composition of the bounds meets, none on the grid meets either
            check_limits(space.replace(allowed=frozenset(kept)), vocabulary, prices)
        except CampaignError as exc:
            raise CampaignError(f"nothing to screen among {_names(kept)}: {exc}") from None
    if limit is not None and count > limit:
        raise CampaignError(
            f"screening {len(kept)} elements in steps of {_pct(step)} at.% means {count:,} compositions inside the "
            f"design space, more than the limit of {limit:,}: use a coarser --step, fewer elements, or raise "
            f"--max-compositions")
    return ScreenPlan(tuple(kept), left_out, count)


def _why_none(kept: Sequence[str], step: float, space: Constraints) -> str:
    """Why a grid holds no composition of the space: a finer step would find some, or elements whose
    maximum keeps them out at any step (below the minimum every element present needs)."""
    fine = space.granularity
    if step > fine + 1e-12 and round(1 / fine) <= 1000 and Grid(kept, fine, space).count > 0:
        return f": use a finer --step (down to the granularity, {_pct(fine)} at.%)"
    floor = max(space.element_min, fine)
    never = [e for e in kept if space.upper(e) < floor - 1e-9]
    if never:
        return (f": {_names(f'{e} (at most {_pct(space.upper(e))} at.%)' for e in never)} can never be present, "
                f"since every element present needs at least {_pct(floor)} at.%")
    return ""


def screening_plan(store: CampaignStore, req: ProposalRequest) -> ScreenPlan:
    """The plan of a screening request in the campaign's design space (with the request's overrides), made
    before the model is loaded, so the front ends can refuse or warn (with the count) before screening."""
    from hea_campaign.model.vocabulary import DEFAULT_VOCABULARY

    prices = load_prices(store)
    req = _with_space(store, req, DEFAULT_VOCABULARY, prices)
    return plan_screening(req.screen_elements, req.step, req.constraints, DEFAULT_VOCABULARY, req.max_compositions,
                          prices)


def screening_keeps(batch: int) -> int:
    """How many of a screened space's compositions go on to the checks, the best by score."""
    return max(50 * batch, 500)


@dataclass
class Pool:
    """Compositions produced by a mode, with what each mode knows about them."""

    X: np.ndarray
    p_target: np.ndarray | None = None
    start_formula: list[str | None] = field(default_factory=list)
    change: np.ndarray | None = None
    steps: np.ndarray | None = None
    paths: list[list[dict]] = field(default_factory=list)
    plan: ScreenPlan | None = None  # screening: what was screened


@dataclass
class ProposalOutcome:
    run_id: int | None
    candidate_ids: list[int]
    produced: int
    dropped: dict[str, int]
    paths: dict[str, list[dict]]  # start formula -> path (also for starts that failed)
    known: list[dict] = field(default_factory=list)  # {formula, measured, label, distance_at_pct}
    constraints: Constraints | None = None  # the design space that was applied
    prior_weight: float | None = None  # greedy: the physics prior's largest bonus to p (model.physics_rule)
    outside_map: list[str] = field(default_factory=list)  # latent points far from every training alloy's
    left_out: dict[str, str] = field(default_factory=dict)  # screening: element -> why it was not screened
    screened: int | None = None  # screening: compositions of the grid inside the design space's bounds
    version_id: int | None = None  # the model version that proposed
    results_since: int = 0  # lab results entered, corrected or withdrawn after that version was trained
    latent_extent: float | None = None  # latent mode: the widest side of the training alloys' latent box


LATENT_COLLAPSED = 0.5  # a latent box narrower than this (a trained map spans several units; a model stopped at
# epoch 10 spanned 0.08) is a collapsed map: every latent point decodes to about one alloy


LATENT_MARGIN = 0.25  # of the training alloys' latent range, each side: beyond it a decoding extrapolates


def latent_points_outside(points, training_latent: np.ndarray) -> list[str]:
    """The latent points (their coordinates, formatted) outside the box of the training alloys' latent means widened by
    LATENT_MARGIN of its size on each side: what the decoder gives there was never learnt from data."""
    Z, T = np.asarray(points, dtype=float), np.asarray(training_latent, dtype=float)
    if not len(Z) or not len(T):
        return []
    lo, hi = T.min(axis=0), T.max(axis=0)
    pad = LATENT_MARGIN * (hi - lo)
    out = np.any((Z < lo - pad) | (Z > hi + pad), axis=1)
    return [",".join(f"{v:g}" for v in z) for z in Z[out]]


_references: dict[str, Reference] = {}


def reference_for(version, model, X_lab, y_lab) -> Reference:
    """The flag reference stored in the version's checkpoint (covered by its sha256).

    Versions trained before it was stored get one rebuilt from their training
    rows, without conformal calibration (no validation rows were kept), so
    they never flag ``uncertain``: retrain to get it.
    """
    # Keyed by the checkpoint's sha256, like load_version's cache: version ids
    # repeat across stores (every store's first version is 1), and one process
    # may open several stores (tests, scripts).
    key = version.checkpoint_sha256 or f"id:{version.id}"
    if key not in _references:
        arrays = version_arrays(version)
        if has_reference(arrays):
            _references[key] = Reference.from_arrays(arrays, model.vocabulary, key=key)
        else:
            _references[key] = build_reference(model, X_lab, y_lab, key=key)
    return _references[key]


def _start_rows(store: CampaignStore, req: ProposalRequest, vocabulary) -> tuple[np.ndarray, list[str]]:
    rows, names = [], []
    for text in req.starts:
        comp = parse_formula(text)
        rows.append(comp.vector(vocabulary))
        names.append(comp.formula)
    if req.from_multi_phase:
        with store.read() as session:  # labelled alloys only, as plain columns, in id order
            labelled = q.labelled_compositions(session, store.campaign_id)
        index = {e: i for i, e in enumerate(vocabulary)}
        usable, fewest = set(index), 1
        if req.keep_elements and req.constraints is not None:  # kept elements must be ones the space allows,
            usable = {e for e, ok in zip(vocabulary, req.constraints.allowed_mask(vocabulary), strict=True) if ok}
            fewest = req.constraints.min_elements  # and enough of them: the loop never adds one
        multi = [(f, comp) for f, comp, single, conflict in labelled
                 if not single and not conflict and all(el in usable for el in comp) and len(comp) >= fewest]
        if not multi and req.keep_elements:
            raise CampaignError("--keep-elements keeps every element of the start alloys, and no multi-phase alloy "
                                f"of the store has at least {fewest} elements, all of them ones the design space "
                                "allows; nothing was proposed: drop --keep-elements, or allow more elements")
        rng = np.random.default_rng(req.seed)
        for i in rng.permutation(len(multi))[: req.from_multi_phase]:
            x = np.zeros(len(vocabulary))
            for el, f in multi[i][1].items():
                x[index[el]] = f
            rows.append(x)
            names.append(multi[i][0])
    if not rows:
        raise CampaignError("inversion needs starting alloys: give formulas or a number of multi-phase alloys")
    return np.array(rows), names


def _refuse_kept_outside(X0: np.ndarray, names: list[str], space: Constraints, vocabulary) -> None:
    """--keep-elements with a start whose elements the design space bans or leaves out: the loop could
    only drop them, so the run would quietly propose another system (CoCrFeNi kept, Co banned: CrFeNi);
    or with fewer elements than the space's minimum, which the loop, never adding one, cannot reach."""
    allowed = space.allowed_mask(vocabulary)
    clash = [(n, [vocabulary[j] for j in np.flatnonzero((x > 0) & ~allowed)]) for n, x in zip(names, X0, strict=True)]
    clash = [(n, els) for n, els in clash if els]
    if clash:
        said = "; ".join(f"{n} has {', '.join(els)}" for n, els in clash[:5]) + ("; ..." if len(clash) > 5 else "")
        raise CampaignError(f"--keep-elements keeps every element of the start alloys, but the design space "
                            f"does not allow them ({said}); nothing was proposed: drop --keep-elements, or allow "
                            "those elements (--allowed / --banned, or hea-campaign space set)")
    few = [(n, int((x > 0).sum())) for n, x in zip(names, X0, strict=True) if (x > 0).sum() < space.min_elements]
    if few:
        said = "; ".join(f"{n} has {k}" for n, k in few[:5]) + ("; ..." if len(few) > 5 else "")
        raise CampaignError(f"--keep-elements never adds an element, and the design space asks for at least "
                            f"{space.min_elements} ({said}); nothing was proposed: drop --keep-elements, or lower "
                            "the minimum (--min-elements, or hea-campaign space set --elements)")


def _prior_weight(strategy: str, n_labels: int) -> float | None:
    """The largest bonus greedy's physics prior adds to p (None for the other strategies)."""
    from hea_campaign.model.physics_rule import PRIOR_LABELS

    return PRIOR_LABELS / max(n_labels, 1) if strategy == "greedy" else None


def _labels_learnt(version, y_ref) -> int:
    """Labelled alloys behind a version's p (training and validation rows: the scorer refits on both)."""
    return len(y_ref) + len(version_arrays(version).get("val_ids", ()))


def _path_record(path, vocabulary, space: Constraints | None = None, prices=None) -> list[dict]:
    """Each step's formula and p; a step outside the design space says why ("outside"): steps are moved
    into the element count and bounds where they can be (a start with too few elements cannot: no element
    is invented), but cost and density are only checked on the candidates a run stores, so a path may
    pass through alloys beyond those limits."""
    steps = [{"step": k, "formula": formula_of(x, vocabulary), "p": round(p, 4)} for k, (x, p) in enumerate(path)]
    if not path or space is None:
        return steps
    X = np.array([x for x, _ in path])
    breaks: list[list[str]] = [[] for _ in steps]
    shape = replace(space, max_cost_per_kg=None, max_density=None)
    for k in np.flatnonzero(~satisfies(X, shape, vocabulary)):
        breaks[k] += violations(X[k], shape, vocabulary, short=True)
    if space.max_cost_per_kg is not None:
        for k, c in enumerate(cost_per_kg(X, vocabulary, prices or price_table())):
            if not c <= space.max_cost_per_kg + 1e-9:  # no price (nan) counts as over, as in satisfies
                breaks[k].append(f"cost {c:.2f} USD/kg > {space.max_cost_per_kg:g}" if np.isfinite(c)
                                 else f"cost unknown (no price), limit {space.max_cost_per_kg:g} USD/kg")
    if space.max_density is not None:
        for k, rho in enumerate(density(X, vocabulary)):
            if rho > space.max_density + 1e-9:
                breaks[k].append(f"density {rho:.2f} g/cm3 > {space.max_density:g}")
    for step, b in zip(steps, breaks, strict=True):
        if b:
            step["outside"] = b
    return steps


def _generate(store, req: ProposalRequest, model, progress, should_stop, prices=None, ref=None) -> tuple[Pool, dict[str, list[dict]]]:
    vocab = model.vocabulary
    space = req.constraints
    allowed = space.allowed_mask(vocab)
    g = space.granularity
    to_space = lambda X: project(X, space, vocab)  # noqa: E731
    if req.mode == "invert":
        X0, names = _start_rows(store, req, vocab)
        if req.keep_elements:
            _refuse_kept_outside(X0, names, space, vocab)
        caution = None if ref is None else Caution(data_rows=ref.X_train, data_radius=ref.novelty_threshold)
        res = invert(model, X0, mode=req.inversion, cutoff=req.cutoff, max_steps=req.max_steps,
                     keep_elements=req.keep_elements, allowed=allowed, granularity=g, project=to_space,
                     caution=caution, accept=lambda X: satisfies(X, space, vocab, prices))
        paths = {n: _path_record(p, vocab, space, prices) for n, p in zip(names, res.paths, strict=True)}
        ok = res.reached
        return Pool(
            X=res.final[ok],
            start_formula=[n for n, k in zip(names, ok, strict=True) if k],
            change=res.change_at_pct[ok],
            steps=res.steps[ok],
            paths=[paths[n] for n, k in zip(names, ok, strict=True) if k],
        ), paths
    if req.mode == "latent":
        if not req.latent:
            raise CampaignError("latent generation needs at least one latent point")
        Z = np.array(req.latent, dtype=float)
        if Z.ndim != 2 or Z.shape[1] != model.config.latent_dim:
            raise CampaignError(f"latent points need {model.config.latent_dim} coordinates each")
        X = to_space(model.decode(Z, req.p_target))
        n = len(X)
        return Pool(X=X, p_target=np.full(n, req.p_target), start_formula=[None] * n, paths=[[] for _ in range(n)]), {}
    if req.mode == "screen":
        plan = plan_screening(req.screen_elements, req.step, space, vocab, req.max_compositions, prices)
        keep = screening_keeps(req.batch)
        best_X, _ = screen_space(model, plan.elements, step=req.step, keep=keep, strategy=req.strategy,
                                 constraints=space, prices=prices, scheduler=req.scheduler, progress=progress,
                                 should_stop=should_stop)
        if not len(best_X) and not (should_stop and should_stop()):
            limits = [f"at most {v:g} {unit}" for v, unit in ((space.max_cost_per_kg, "USD/kg"),
                                                               (space.max_density, "g/cm3")) if v is not None]
            raise CampaignError(f"none of the {plan.count:,} compositions screened meets the design space's "
                                f"{' and '.join(limits) or 'limits'}")
        n = len(best_X)
        return Pool(X=best_X, start_formula=[None] * n, paths=[[] for _ in range(n)], plan=plan), {}
    raise CampaignError(f"unknown proposal mode '{req.mode}'; choose one of {', '.join(MODES)}")


def _distinct_rows(X: np.ndarray, ok: np.ndarray) -> list[int]:
    """Rows allowed by ``ok``, each composition once (first occurrence), found on the fractions
    themselves (to 1e-9) rather than by writing a formula for every row of the pool."""
    rows = np.flatnonzero(ok)
    if rows.size == 0:
        return []
    key = np.round(X[rows] * 1e9).astype(np.int64)
    _, first = np.unique(key, axis=0, return_index=True)
    return rows[np.sort(first)].tolist()


def _pick_new(store, X, vocab, pick, dropped: dict, apart: float) -> tuple[list[int], dict[int, str]]:
    """The diverse batch of rows whose alloys the store does not hold yet, no two within ``apart`` (every
    element, as a fraction; ``acquisition.distinct_at``) of each other.

    Canonical formulas are written only for the rows picked; a pick already in
    the store (or equal to another pick once written, or a near copy of an earlier
    pick: latent diversity does not see compositions) is set aside and the batch
    picked again from the rest, so the work follows the batch, not the pool.
    """
    formulas: dict[int, str] = {}
    excluded = np.zeros(len(X), bool)
    while True:
        avail = np.flatnonzero(~excluded)
        if not len(avail):
            return [], formulas
        picked = [int(avail[j]) for j in pick(avail)]
        for j in picked:
            if j not in formulas:
                formulas[j] = formula_of(X[j], vocab)
        with store.read() as session:
            existing = q.alloys_by_formula(session, store.campaign_id, [formulas[j] for j in picked])
        seen: set[str] = set()
        bad, kept = [], []
        for j in picked:
            f = formulas[j]
            if f in existing:
                dropped["already in the store"] += 1
                bad.append(j)
            elif f in seen:
                dropped["duplicate"] += 1
                bad.append(j)
            elif kept and np.abs(X[kept] - X[j]).max(axis=1).min() < apart:
                dropped["near copy of a picked candidate"] += 1
                bad.append(j)
            else:
                kept.append(j)
            seen.add(f)
        if not bad:
            return picked, formulas
        excluded[bad] = True


def propose(
    store: CampaignStore,
    req: ProposalRequest,
    *,
    by: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> ProposalOutcome | None:
    """Run a proposal and store its batch; returns what was kept and why the rest was dropped.

    ``should_stop()`` true (a Cancel in the TUI) ends the run early and stores nothing: None.
    """
    if req.strategy not in STRATEGIES:
        raise CampaignError(f"unknown strategy '{req.strategy}'; choose one of {', '.join(STRATEGIES)}")
    if req.batch < 1:
        raise CampaignError("the batch size must be at least 1")
    version = get_version(store, req.model_version_id)
    model, X_ref, y_ref = load_version(version)
    stale = {"version_id": version.id, "results_since": _results_since(store, version.id)}
    prices = load_prices(store)
    req = _with_space(store, req, model.vocabulary, prices)
    space = req.constraints
    ref = reference_for(version, model, X_ref, y_ref)
    try:
        pool, paths = _generate(store, req, model, progress, should_stop, prices, ref)
    except FormulaError as exc:
        raise CampaignError(str(exc)) from None
    if should_stop is not None and should_stop():
        return None  # a cancelled run keeps nothing, not the part screened before the Cancel
    measured = measured_alloys(store, model.vocabulary)
    keep, known, dropped = _screened_out(pool, paths, req, space, prices, measured, model.vocabulary)
    produced = len(pool.X)
    outside_map = latent_points_outside(req.latent, ref.latent) if req.mode == "latent" else []
    if req.mode == "latent" and len(ref.latent):
        stale["latent_extent"] = float(np.ptp(np.asarray(ref.latent), axis=0).max())
    screened = {} if pool.plan is None else {"left_out": dict(pool.plan.left_out), "screened": pool.plan.count}
    if not keep:
        return ProposalOutcome(None, [], produced, dropped, paths, known, space, outside_map=outside_map, **screened, **stale)
    idx = np.array(keep)
    X = pool.X[idx]
    a = assess(model, ref, X, None if pool.p_target is None else pool.p_target[idx])
    n_labels = _labels_learnt(version, y_ref)

    def pick(rows: np.ndarray) -> list[int]:  # positions into rows
        return pick_batch(req.strategy, a.p_single[rows], a.spread[rows], X[rows],
                          None if a.latent is None else a.latent[rows], req.batch, n_labels=n_labels,
                          vocabulary=model.vocabulary, min_change=apart, fill=False)  # fmt: skip

    apart = distinct_at(space.granularity)
    picked, formulas = _pick_new(store, X, model.vocabulary, pick, dropped, apart)
    prior_weight = _prior_weight(req.strategy, n_labels)
    if not picked:
        return ProposalOutcome(None, [], produced, dropped, paths, known, space, outside_map=outside_map, **screened, **stale)
    batch = _Picked(pool, idx, picked, formulas, a, X[picked], measured, prices, model.vocabulary)
    run_id, ids = _store_batch(store, req, version, batch, by or current_user(),
                               {"mode": req.mode, "produced": produced, "dropped": dropped, "known": known,
                                "prior_weight": prior_weight, **screened})
    return ProposalOutcome(run_id, ids, produced, dropped, paths, known, space, prior_weight, outside_map, **screened, **stale)


def _results_since(store: CampaignStore, version_id: int) -> int:
    """Results the proposing version has not learnt (entered after its training began): the run says so."""
    with store.read() as session:
        return q.results_since(session, store.campaign_id, version_id)


def _with_space(store: CampaignStore, req: ProposalRequest, vocab, prices) -> ProposalRequest:
    """The request with the design space it runs in: the campaign's (or the one given), with this run's
    overrides applied and checked."""
    stored = req.constraints is None
    space = space_for_run(load_design_space(store) if stored else req.constraints, req.space_overrides, vocab,
                          label="the campaign's design space" if stored else "the design space",
                          screen_step=req.step if req.mode == "screen" else None, prices=prices)
    return replace(req, constraints=space, space_overrides={})


def _screened_out(pool, paths, req: ProposalRequest, space, prices, measured, vocab):
    """The pool rows worth assessing (inside the design space, not a measured alloy, not a duplicate),
    the known alloys found, and how many were dropped for each reason."""
    dropped = {"did not reach the cutoff": 0, "outside the design space": 0, "known (measured) alloy": 0,
               "duplicate": 0, "already in the store": 0, "near copy of a picked candidate": 0}
    if req.mode == "invert":
        dropped["did not reach the cutoff"] = len(paths) - len(pool.X)
    ok = satisfies(pool.X, space, vocab, prices) if len(pool.X) else np.zeros(0, bool)
    dropped["outside the design space"] = int((~ok).sum())
    inside = np.flatnonzero(ok)
    known: list[dict] = []
    for k, match in find_known(pool.X[inside], measured, space.granularity).items():
        i = int(inside[k])
        ok[i] = False
        known.append({"formula": formula_of(pool.X[i], vocab), "measured": match.formula, "label": match.label,
                      "distance_at_pct": match.distance, "start": pool.start_formula[i],
                      "disagreeing": [{"formula": f, "label": lab, "distance_at_pct": d}
                                      for f, lab, d in match.disagreeing]})
    dropped["known (measured) alloy"] = len(known)
    keep = _distinct_rows(pool.X, ok)
    dropped["duplicate"] = int(ok.sum()) - len(keep)
    return keep, known, dropped


@dataclass(frozen=True)
class _Picked:
    """The batch picked from the assessed rows, with what each candidate's record shows beside p."""

    pool: object  # the generated pool (paths, starts, change, steps by pool row)
    idx: np.ndarray  # assessed row -> pool row
    picked: list[int]  # assessed rows, in pick order
    formulas: list[str]  # by assessed row
    assessment: object  # campaign.uncertainty assessment of the assessed rows
    X: np.ndarray  # the picked compositions
    measured: object  # the labelled alloys (nearest measured alloys)
    prices: object
    vocab: tuple[str, ...]

    def records(self) -> list[dict]:
        """Each picked candidate's uncertainty record: flags' reasons, nearest measured alloys, cost, density."""
        near = nearest(self.X, self.measured, 3)
        cost = cost_per_kg(self.X, self.vocab, self.prices)
        rho = density(self.X, self.vocab)
        out = []
        for n, j in enumerate(self.picked):
            record = self.assessment.uncertainty(j)
            record["nearest_measured"] = near[n]
            record["cost_usd_per_kg"] = None if not np.isfinite(cost[n]) else round(float(cost[n]), 2)
            record["density_g_cm3"] = round(float(rho[n]), 3)
            record["density_note"] = DENSITY_NOTE
            out.append(record)
        return out


def _store_batch(store: CampaignStore, req: ProposalRequest, version, batch: _Picked, actor: str,
                 summary: dict) -> tuple[int, list[int]]:
    """The run, its alloys and candidates and their audit events, in one unit of work."""
    pool, a = batch.pool, batch.assessment
    records = batch.records()
    ids: list[int] = []
    with store.write() as session:
        run = ProposalRun(campaign_id=store.campaign_id, model_version_id=version.id, mode=req.mode,
                          params=req.describe(), created_by=actor, n_candidates=len(batch.picked))
        session.add(run)
        session.flush()
        starts = q.alloys_by_formula(session, store.campaign_id, [s for s in pool.start_formula if s])
        for j, record in zip(batch.picked, records, strict=True):
            i = int(batch.idx[j])
            comp = parse_formula(batch.formulas[j])
            alloy = Alloy(campaign_id=store.campaign_id, formula=comp.formula, composition=comp.as_dict(),
                          n_elements=len(comp), source=f"{PROPOSAL_SOURCE}:run {run.id}")
            session.add(alloy)
            session.flush()
            start = pool.start_formula[i]
            cand = Candidate(
                campaign_id=store.campaign_id, alloy_id=alloy.id, proposal_run_id=run.id,
                model_version_id=version.id, start_alloy_id=starts[start].id if start in starts else None,
                origin=req.mode if req.mode != "invert" else f"invert:{req.inversion}",
                p_single=float(a.p_single[j]), uncertainty=record, flags=a.flags[j],
                latent_z=[float(v) for v in a.latent[j]], path=pool.paths[i],
                change_at_pct=None if pool.change is None else float(pool.change[i]),
                steps=None if pool.steps is None else int(pool.steps[i]),
            )
            session.add(cand)
            session.flush()
            ids.append(cand.id)
            q.audit(session, actor=actor, action="candidate.propose", entity="candidate", entity_id=cand.id,
                    campaign_id=store.campaign_id, payload={"formula": comp.formula, "run": run.id})
        q.audit(session, actor=actor, action="proposal.run", entity="proposal_run", entity_id=run.id,
                campaign_id=store.campaign_id, payload={**summary, "kept": len(ids)})
    return run.id, ids
