"""Model and design commands: train, retrain, models, activate, explain, propose, candidates, candidate."""

from __future__ import annotations

import time
from typing import Annotated, Optional

import typer

from ..present.choices import CandidateStatus, Flag, Loop, Strategy
from ..present.proposal_request import DEFAULTS as D
from ..present.training_request import check_force, training_request
from .errors import INTERRUPTED, end_progress_line, progress_line
from .options import ByOption, CampaignOption, CapitalsYes, DbOption, echo, given, given_options
from .options import open_store as _open

Seed = Annotated[int, typer.Option(metavar="N", help="Random seed (split and initialisation), 0 to 2^32-1.")]
Epochs = Annotated[Optional[int], typer.Option(metavar="N", help="Maximum epochs, 1 to 100000 (default from the model config).")]
Activate = Annotated[bool, typer.Option("--activate", help="Make the new version the active one, unless it is worse than "
                                        "the active one on rows neither saw (never if interrupted).")]
Force = Annotated[bool, typer.Option("--force", help="With --activate: activate even a worse version.")]
PriorR = Annotated[Optional[float], typer.Option(
    "--prior-r", metavar="R", help="The SSVAE's expert prior that an alloy is single phase (r in y ~ Bernoulli(r)), "
    "0.01 to 0.99; default 0.5. It weighs the unlabelled alloys' guessed label.")]
def _train_with_ctrl_c(run, what: str):
    """Run ``run(should_stop, progress)``; the first Ctrl+C asks training to stop after the current epoch.

    Returns (result, interrupted).  A second Ctrl+C abandons at once (KeyboardInterrupt: nothing saved);
    a stop before an epoch has been evaluated (none reported yet, so no model to keep) saves nothing
    either and exits with status 130; the message on the first Ctrl+C says which of the two will happen.
    """
    import signal

    from hea_campaign.campaign.model_versions import TrainingCancelled

    stop = {"flag": False}
    kept = {"epoch": 0}  # the best epoch so far (0: none evaluated yet, nothing to keep)
    printer = _progress_printer()

    def progress(r) -> None:
        kept["epoch"] = max(kept["epoch"], int(getattr(r, "best_epoch", 0) or 0))
        printer(r)

    def on_sigint(_signum, _frame) -> None:
        if stop["flag"]:
            raise KeyboardInterrupt
        stop["flag"] = True
        if kept["epoch"]:
            echo("\nStopping after this epoch; the best model so far will be kept (Ctrl+C again: stop, save nothing)",
                 err=True)
        else:
            echo("\nStopping: no epoch has finished yet, so nothing will be saved", err=True)

    try:
        previous = signal.signal(signal.SIGINT, on_sigint)
    except ValueError:  # not the main thread (tests calling main() from a worker): no handler
        previous = None
    echo(f"{what} (Ctrl+C stops and keeps the best model so far)...", err=True)  # once Ctrl+C is ours
    try:
        return run(lambda: stop["flag"], progress), stop["flag"]
    except TrainingCancelled as exc:
        echo(f"Interrupted: {exc}.", err=True)
        raise SystemExit(130) from None  # said already (a Ctrl+C turned into status 130 by Typer is said by main)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _stopped_after_training(version, activate: bool) -> None:
    """A Ctrl+C that came after the last epoch (fitting the scorer, comparing): the version is complete and
    kept, but a stop was asked for, so it was not activated (said only then: an earlier stop says so itself)."""
    if not version.metrics.get("cancelled"):
        echo(f"Interrupted after the last epoch: v{version.id} is complete and kept"
             + (f", but not activated; activate it with: hea-campaign activate {version.id}" if activate else ""),
             err=True)


def _progress_printer():
    last = [0.0]

    def progress(r) -> None:
        now = time.monotonic()
        if now - last[0] > 2 or r.epoch == r.epochs:
            last[0] = now
            echo(f"  epoch {r.epoch}/{r.epochs}  loss {r.losses.get('loss', float('nan')):.3f}  "
                 f"validation accuracy {r.val_accuracy:.3f}  ROC AUC {r.val_auc:.3f}  ({r.elapsed_s:.0f} s)", err=True)

    return progress


def register(app: typer.Typer) -> None:
    register_retrain(app)

    @app.command()
    def train(
        db: DbOption = None,
        campaign: CampaignOption = "default",
        seed: Seed = 0,
        epochs: Epochs = None,
        activate: Activate = False,
        force: Force = False,
        prior_r: PriorR = None,
        by: ByOption = None,
    ) -> None:
        """Train a model version on the campaign's current labels (10% held out for validation).

        With --activate beside an active version, the fixed tenth `retrain` keeps out is kept out here
        too, so that the two are compared on alloys neither learned from; otherwise every label is used.

        Ctrl+C stops after the current epoch and keeps the best model so far as a
        version marked interrupted (never activated); a second Ctrl+C saves nothing.

        Example: hea-campaign train --epochs 300 --activate
        """
        from hea_campaign.campaign.model_versions import train_version
        from hea_campaign.campaign.read_models import model_version
        from hea_campaign.campaign.retraining import activate_unless_worse, comparison_holdout
        from hea_campaign.campaign.training_set import snapshot

        from ..present.training_report import format_trained

        check_force(force, activate)
        asked = training_request(seed, epochs, prior_r)
        store = _open(db, campaign, by)
        ts = snapshot(store)  # one reading of the labels for the kept-out rows and the training
        held = comparison_holdout(store, ts) if activate else None  # rows the new version must not see
        out, interrupted = _train_with_ctrl_c(lambda stop, progress: train_version(
            store, seed=asked.seed, epochs=asked.epochs, activate=False, by=by, progress=progress,
            should_stop=stop, holdout_ids=held, config_overrides=asked.config_overrides, training_set=ts),
            "Training")
        # a Ctrl+C after the last epoch leaves a complete version, but a stop was asked for: never activated
        comparison = (activate_unless_worse(store, out, force=force, by=by, held_ids=held)
                      if activate and not interrupted else None)
        activated = comparison is not None and comparison.activated
        v = model_version(out.version)
        echo(format_trained(v.id, v.metrics, v.n_labelled, v.n_unlabelled, activated=activated))
        echo(f"Unlabelled alloys used by the unlabelled term: {v.n_unlabelled}"
             + ("" if v.n_unlabelled else " (the store holds none: import alloys without a label, e.g. "
                "an MPEA CSV's B2/Other rows, to make training semi-supervised"
                + ("; --prior-r acts only on them, so it changed nothing here" if asked.prior_r is not None else "")
                + ")"))
        m = out.version.metrics
        if m.get("scorer"):
            chosen = "chosen on validation" if m.get("scorer_validation") else "default: too few validation rows to choose"
            echo(f"Scorer (p_single for ranking): {m['scorer']} ({chosen})")
        if interrupted:
            _stopped_after_training(out.version, activate)
            raise SystemExit(INTERRUPTED)  # kept and said above; a script tells a stopped run from a finished one
        _refused(comparison, v.id)

    @app.command()
    def models(db: DbOption = None, campaign: CampaignOption = "default") -> None:
        """List model versions with their metrics (* marks the active one).

        Example: hea-campaign models
        """
        from hea_campaign.campaign.read_models import model_versions

        from ..present.training_report import format_versions

        echo(format_versions(model_versions(_open(db, campaign))))

    @app.command()
    def activate(
        version: Annotated[int, typer.Argument(metavar="VERSION", help="Model version id (see `hea-campaign models`).")],
        db: DbOption = None,
        campaign: CampaignOption = "default",
        by: ByOption = None,
    ) -> None:
        """Make a model version the active one.

        Example: hea-campaign activate 3
        """
        from hea_campaign.campaign.model_versions import activate as do_activate

        from ..present.checks import version_number

        number = version_number(version)  # before the store is opened: `activate 0` is a slip, not a store question
        v = do_activate(_open(db, campaign, by), number, by)
        echo(f"Model version v{v.id} is now active.")

    @app.command()
    def explain(
        formula: Annotated[str, typer.Argument(metavar="FORMULA", help="Alloy to explain, e.g. AlCoCrFeNi.")],
        db: DbOption = None,
        campaign: CampaignOption = "default",
        version: Annotated[Optional[int], typer.Option(metavar="VERSION", help="Model version (default: active).")] = None,
        plot: Annotated[Optional[str], typer.Option("--plot", metavar="FILE", help="Also write the contributions as a PNG (FILE.png).")] = None,
        yes: CapitalsYes = False,
    ) -> None:
        """SHAP contributions of the eight descriptors to the SSVAE head's p(single phase) for one alloy, beside the scorer's p.

        Example: hea-campaign explain AlCoCrFeNi
        """
        from hea_campaign.campaign.chemistry import parse_typed_formula, proportion_note
        from hea_campaign.campaign.explaining import explain_formula

        from ..present.checks import record_id
        from ..present.design_report import format_explanation

        from .plot_commands import plot_file

        parse_typed_formula(formula, confirmed=yes)
        if version is not None:
            record_id(version, "--version")
        png = plot_file(plot)
        explained = explain_formula(_open(db, campaign), formula, version, allow_capitals=yes)
        echo(format_explanation(*explained))
        if proportion_note(formula):
            echo(f"note: {proportion_note(formula)}")
        if png is not None:
            import numpy as np

            from ..present.plots import shap_png

            name, version_id, e, _ = explained
            from ..present.checks import replacing

            contributions = {n: float(c) for n, c in zip(e.descriptor_names, np.ravel(e.contributions), strict=True)}
            replaced = replacing(png)
            echo(f"plot: {shap_png(name, version_id, contributions, png)}{replaced}")

    @app.command()
    def propose(
        ctx: typer.Context,
        db: DbOption = None,
        campaign: CampaignOption = "default",
        from_: Annotated[Optional[str], typer.Option("--from", metavar="FORMULAS", help="Invert from these formulas (comma-separated).")] = None,
        from_multi_phase: Annotated[Optional[int], typer.Option(metavar="N", help="Invert from N (at least 1) labelled multi-phase alloys of the store.")] = None,
        loop: Annotated[Loop, typer.Option(help="Inversion loop: paper (the seed paper's), latent-steps (damped paper loop) or proximal (gradient steps with a change penalty).")] = Loop(D.loop),
        cutoff: Annotated[float, typer.Option(metavar="P", help="Stop inverting once p(single) exceeds this, in (0, 1).")] = D.cutoff,
        max_steps: Annotated[Optional[int], typer.Option(metavar="N", help="Step limit of the inversion loop.")] = None,
        keep_elements: Annotated[bool, typer.Option("--keep-elements", help="Inversion may only use the starting elements.")] = False,
        latent: Annotated[Optional[str], typer.Option(metavar="Z1,Z2[;Z1,Z2]", help="Decode latent points, e.g. '0,0;1,-0.5' (see where the training alloys lie with hea-campaign latent-map: points outside it were never learnt).")] = None,
        p: Annotated[float, typer.Option("--p", metavar="P", help="Target p(single) for latent decoding, in (0, 1).")] = D.p,
        screen: Annotated[Optional[str], typer.Option(metavar="ELEMENTS", help="Screen the space of these elements, e.g. Fe,Ni,Co,Cr,Al,Ti.")] = None,
        step: Annotated[float, typer.Option(metavar="AT%", help="Screening step in at.%; divides 100 and is a multiple of the granularity (--granularity, else the design space's).")] = D.step,
        allowed: Annotated[Optional[list[str]], typer.Option(metavar="ELEMENTS", help="Only these elements (comma-separated; repeat it to add more). Default: the design space's.")] = None,
        banned: Annotated[Optional[list[str]], typer.Option(metavar="ELEMENTS", help="Never these elements (repeat it to add more). Default: the design space's.")] = None,
        min_frac: Annotated[Optional[list[str]], typer.Option("--min", metavar="EL:AT%,...", help="Required element minimum in at.%, e.g. 'Al:5' (Fe:1 is 1 at.%); repeat it or separate with commas.")] = None,
        max_frac: Annotated[Optional[list[str]], typer.Option("--max", metavar="EL:AT%,...", help="Element maximum in at.%, e.g. 'Cr:30'; repeat it or separate with commas.")] = None,
        max_elements: Annotated[Optional[int], typer.Option(metavar="N", help="At most this many elements (default: the design space's, 6).")] = None,
        min_elements: Annotated[Optional[int], typer.Option(metavar="N", help="At least this many elements (default: the design space's, 4).")] = None,
        granularity: Annotated[Optional[float], typer.Option(metavar="AT%", help="Lab granularity in at.% (default: the design space's, 1).")] = None,
        batch: Annotated[int, typer.Option(metavar="N", help="Candidates to keep, 1 to 1000.")] = D.batch,
        strategy: Annotated[Strategy, typer.Option(help="greedy (default: the best p_single plus a physics-rule prior that fades as labels accumulate, near-copies skipped; it won simulate), exploit (p_single, spread out in latent space), explore (most uncertain) or balanced.")] = Strategy(D.strategy),
        seed: Annotated[int, typer.Option(metavar="N", help="Seed for choosing multi-phase starts.")] = D.seed,
        max_compositions: Annotated[Optional[int], typer.Option(metavar="N", help="Refuse a screening of more compositions inside the design space's element count and bounds (before its cost and density limits) than this \\[default: 20,000,000]; above 1,000,000 a warning gives the count.")] = None,
        scheduler: Annotated[Optional[str], typer.Option(metavar="ADDRESS", help="Screen on this Dask cluster, e.g. tcp://10.0.0.5:8786 (default: on this machine).")] = None,
        yes: CapitalsYes = False,
        by: ByOption = None,
    ) -> None:
        """Propose candidates with the active model: inversion, latent decoding or screening.

        Every candidate is moved into the campaign's design space (`hea-campaign space show`; the constraint
        options here override it for this run) and rounded to its granularity; one within granularity of a
        measured alloy is reported as known, with its measured label, and not stored.

        Example: hea-campaign propose --from-multi-phase 10 --loop proximal --batch 6
        """
        from hea_campaign.campaign.proposals import propose as run
        from hea_campaign.campaign.proposals import screening_plan
        from hea_campaign.campaign.read_models import candidates_with_ids

        from ..present.design_report import format_proposal
        from ..present.proposal_request import build_proposal_request, check_mode_options, screening_warning

        req = build_proposal_request(
            starts=from_, from_multi_phase=from_multi_phase, loop=loop.value, cutoff=cutoff, max_steps=max_steps,
            keep_elements=keep_elements, latent=latent, p=p, screen=screen, step=given(ctx, "step", step),
            allowed=allowed, banned=banned,
            min_frac=min_frac, max_frac=max_frac, max_elements=max_elements, min_elements=min_elements,
            granularity=granularity, batch=batch, strategy=strategy.value, seed_value=seed,
            max_compositions=max_compositions, scheduler=scheduler, allow_capitals=yes,
        )
        check_mode_options(req, given_options(ctx, ("loop", "cutoff", "max_steps", "keep_elements", "seed", "p",
                                                    "step", "max_compositions")))
        store = _open(db, campaign, by)
        # refused here, before the model loads, when the screening can produce nothing or is too large
        warning = screening_warning(req, screening_plan(store, req)) if req.mode == "screen" else None
        if warning:
            echo(f"warning: {warning}", err=True)

        def progress(done: int, total: int) -> None:
            progress_line(f"  screened {done:,}/{total:,}")

        outcome = run(store, req, by=by, progress=progress if req.mode == "screen" else None)
        end_progress_line()
        stored = candidates_with_ids(store, outcome.candidate_ids) if outcome.candidate_ids else []
        echo(format_proposal(req, outcome, stored))

    @app.command()
    def candidates(
        db: DbOption = None,
        campaign: CampaignOption = "default",
        status: Annotated[Optional[CandidateStatus], typer.Option(help="Only candidates with this status.")] = None,
        flag: Annotated[Optional[Flag], typer.Option(help="Only candidates with this uncertainty flag.")] = None,
        limit: Annotated[int, typer.Option(min=1, max=1_000_000, metavar="N",
                                           help="Show at most this many candidates (one page, in id order).")] = 100,
        offset: Annotated[int, typer.Option(min=0, metavar="N",
                                            help="Skip this many candidates first (the next page: --offset 100).")] = 0,
    ) -> None:
        """List candidates in id order, optionally filtered by status and flag, one page at a time.

        The database is asked for one page (--limit rows from --offset) and for the
        count; a last line says which rows of how many are shown.

        Example: hea-campaign candidates --status proposed --flag low_density --limit 50 --offset 50
        """
        from hea_campaign.campaign.read_models import candidates as candidate_views
        from hea_campaign.campaign.read_models import count_candidates

        from ..present.checks import DB_ID_MAX, integer
        from ..present.design_report import format_candidate_table

        integer(offset, "--offset", lo=0, hi=DB_ID_MAX)
        store = _open(db, campaign)
        status_value, flag_value = status and status.value, flag and flag.value
        rows = candidate_views(store, status_value, flag_value, limit=limit, offset=offset)
        total = count_candidates(store, status_value, flag_value)
        echo(format_candidate_table(rows, total=total, offset=offset))

    @app.command()
    def candidate(
        candidate_id: Annotated[int, typer.Argument(metavar="ID", help="Candidate id.")],
        db: DbOption = None,
        campaign: CampaignOption = "default",
    ) -> None:
        """One candidate in full: composition, descriptors, p, flags, path, SHAP.

        Example: hea-campaign candidate 12
        """
        from hea_campaign.campaign.read_models import candidate_detail

        from ..present.checks import record_id
        from ..present.views import candidate_detail_text

        cid = record_id(candidate_id, "the candidate id")
        echo(candidate_detail_text(candidate_detail(_open(db, campaign), cid)).plain)


def _refused(comparison, version_id: int) -> None:
    """--activate refused a worse version: say so as an error (exit status 2); the version is kept."""
    if comparison is not None and comparison.refused:
        from hea_campaign.campaign.errors import CampaignError

        raise CampaignError(f"not activated: {comparison.refused}. Version {version_id} is kept; activate it anyway "
                            f"with --force, or later: hea-campaign activate {version_id}")  # fmt: skip


def register_retrain(app: typer.Typer) -> None:
    @app.command()
    def retrain(
        db: DbOption = None,
        campaign: CampaignOption = "default",
        seed: Seed = 0,
        epochs: Epochs = None,
        activate: Activate = False,
        force: Force = False,
        prior_r: PriorR = None,
        by: ByOption = None,
    ) -> None:
        """Train a new version on the current labels but a fixed tenth, and compare it with the active one there.

        The tenth (chosen by alloy id, with its near-duplicates) stays out of every retraining, so that
        versions can be compared on alloys neither learned from; `train` without --activate uses every label.

        Ctrl+C stops after the current epoch and keeps the best model so far as a
        version marked interrupted (never activated); a second Ctrl+C saves nothing.

        Example: hea-campaign retrain --activate
        """
        from hea_campaign.campaign.retraining import retrain as run

        from ..present.training_report import render_comparison

        check_force(force, activate)
        asked = training_request(seed, epochs, prior_r)
        store = _open(db, campaign, by)
        (trained, comparison), interrupted = _train_with_ctrl_c(lambda stop, progress: run(
            store, seed=asked.seed, epochs=asked.epochs, activate_new=activate, by=by, progress=progress,
            should_stop=stop, force=force, config_overrides=asked.config_overrides),
            "Training on the current labels")
        if interrupted and trained.version.metrics.get("cancelled"):  # retrain never activates a stopped run
            echo(f"Interrupted: kept the best model so far (epoch {trained.version.metrics.get('best_epoch')}) as "
                 f"version v{comparison.new_id}, marked interrupted; it was not activated.")
        echo(render_comparison(comparison))
        if interrupted:
            _stopped_after_training(trained.version, activate)
            raise SystemExit(INTERRUPTED)
        _refused(comparison, comparison.new_id)
        if not comparison.activated:
            echo(f"Activate it with: hea-campaign activate {comparison.new_id}")
