"""Model and design commands: train, models, activate, explain, propose, candidates."""

from __future__ import annotations

import sys
import time
from typing import Annotated, Optional

import typer

from .options import ByOption, CampaignOption, DbOption
from .options import open_store as _open
from ..present.proposal_request import DEFAULTS as D


def register(app: typer.Typer) -> None:
    register_retrain(app)

    @app.command()
    def train(
        db: DbOption = None,
        campaign: CampaignOption = "default",
        seed: Annotated[int, typer.Option(help="Random seed (split and initialisation).")] = 0,
        epochs: Annotated[Optional[int], typer.Option(help="Maximum epochs (default from the model config).")] = None,
        activate: Annotated[bool, typer.Option("--activate", help="Make the new version the active one, unless it is "
                                               "worse than the active one on rows neither saw.")] = False,
        force: Annotated[bool, typer.Option("--force", help="With --activate: activate even a worse version.")] = False,
        by: ByOption = None,
    ) -> None:
        """Train a model version on the campaign's current labels (10% held out for validation)."""
        from hea_campaign.campaign.model_versions import train_version
        from hea_campaign.campaign.retraining import activate_unless_worse

        from ..present.checks import integer

        epochs = None if epochs is None else integer(epochs, "--epochs", lo=1)
        store = _open(db, campaign, by)
        last = [0.0]

        def progress(r) -> None:
            now = time.monotonic()
            if now - last[0] > 2 or r.epoch == r.epochs:
                last[0] = now
                typer.echo(
                    f"  epoch {r.epoch}/{r.epochs}  loss {r.losses.get('loss', float('nan')):.3f}  "
                    f"val acc {r.val_accuracy:.3f}  val AUC {r.val_auc:.3f}  ({r.elapsed_s:.0f} s)",
                    err=True,
                )

        typer.echo("Training (Ctrl+C keeps the best model so far)...", err=True)
        stop = {"flag": False}
        try:
            out = train_version(store, seed=seed, epochs=epochs, activate=False, by=by, progress=progress,
                                should_stop=lambda: stop["flag"])
        except KeyboardInterrupt:
            raise
        v = out.version
        m = v.metrics
        comparison = activate_unless_worse(store, out, force=force, by=by) if activate else None
        active = comparison is not None and comparison.activated
        typer.echo(
            f"Model version v{v.id}: validation accuracy {m['val_accuracy']:.3f}, AUC {m['val_auc']:.3f} "
            f"({v.n_labelled} labelled + {v.n_unlabelled} unlabelled alloys, best epoch {m['best_epoch']}, "
            f"{m['train_seconds']:.1f} s){' - active' if active else ''}"
        )
        _refused(comparison, v.id)
        if not activate:
            typer.echo(f"Activate it with: hea-campaign activate {v.id}")

    @app.command()
    def models(db: DbOption = None, campaign: CampaignOption = "default") -> None:
        """List model versions with their metrics."""
        from hea_campaign.campaign.model_versions import list_versions

        rows = list_versions(_open(db, campaign, create=False))
        if not rows:
            typer.echo("No model versions yet: hea-campaign train --activate")
            return
        typer.echo(f"{'':2}{'id':>4}  {'created (UTC)':19}  {'val acc':>7}  {'val AUC':>7}  {'labelled':>8}  {'seed':>4}  data")
        for v in rows:
            m = v.metrics
            typer.echo(
                f"{'*' if v.active else ' ':2}{v.id:>4}  {v.created_at:%Y-%m-%d %H:%M:%S}  "
                f"{m.get('val_accuracy', float('nan')):7.3f}  {m.get('val_auc', float('nan')):7.3f}  "
                f"{v.n_labelled:>8}  {v.seed:>4}  {v.data_hash[:10]}"
            )

    @app.command()
    def activate(
        version: Annotated[int, typer.Argument(help="Model version id (see `hea-campaign models`).")],
        db: DbOption = None,
        campaign: CampaignOption = "default",
        by: ByOption = None,
    ) -> None:
        """Make a model version the active one."""
        from hea_campaign.campaign.model_versions import activate as do_activate

        v = do_activate(_open(db, campaign, by, create=False), version, by)
        typer.echo(f"Model version v{v.id} is now active.")

    @app.command()
    def explain(
        formula: Annotated[str, typer.Argument(help="Alloy to explain, e.g. AlCoCrFeNi.")],
        db: DbOption = None,
        campaign: CampaignOption = "default",
        version: Annotated[Optional[int], typer.Option(help="Model version (default: active).")] = None,
    ) -> None:
        """SHAP contributions of the eight descriptors to p(single phase) for one alloy."""
        from hea_campaign.campaign.explaining import explain_formula

        from ..present.design_report import format_explanation

        typer.echo(format_explanation(*explain_formula(_open(db, campaign, create=False), formula, version)))

    @app.command()
    def propose(
        db: DbOption = None,
        campaign: CampaignOption = "default",
        from_: Annotated[Optional[str], typer.Option("--from", help="Invert from these formulas (comma-separated).")] = None,
        from_multi_phase: Annotated[int, typer.Option(help="Invert from N labelled multi-phase alloys of the store.")] = 0,
        loop: Annotated[str, typer.Option(help="Inversion loop: paper (the seed paper's), latent-steps (damped paper loop) or proximal (gradient steps with a change penalty).")] = D.loop,
        cutoff: Annotated[float, typer.Option(help="Stop inverting once p(single) exceeds this.")] = D.cutoff,
        max_steps: Annotated[Optional[int], typer.Option(help="Step limit of the inversion loop.")] = None,
        keep_elements: Annotated[bool, typer.Option("--keep-elements", help="Inversion may only use the starting elements.")] = False,
        latent: Annotated[Optional[str], typer.Option(help="Decode latent points 'z1,z2[;z1,z2...]'.")] = None,
        p: Annotated[float, typer.Option("--p", help="Target p(single) for latent decoding.")] = D.p,
        screen: Annotated[Optional[str], typer.Option(help="Screen the space of these elements, e.g. Fe,Ni,Co,Cr,Al,Ti.")] = None,
        step: Annotated[float, typer.Option(help="Screening step in at.%.")] = D.step,
        allowed: Annotated[Optional[str], typer.Option(help="Only these elements (comma-separated). Default: the design space's.")] = None,
        banned: Annotated[Optional[str], typer.Option(help="Never these elements. Default: the design space's.")] = None,
        min_frac: Annotated[Optional[str], typer.Option("--min", help="Required element minimum in at.%, e.g. 'Al:5' (Fe:1 is 1 at.%).")] = None,
        max_frac: Annotated[Optional[str], typer.Option("--max", help="Element maximum in at.%, e.g. 'Cr:30'.")] = None,
        max_elements: Annotated[Optional[int], typer.Option(help="At most this many elements (default: the design space's, 6).")] = None,
        min_elements: Annotated[Optional[int], typer.Option(help="At least this many elements (default: the design space's, 4).")] = None,
        granularity: Annotated[Optional[float], typer.Option(help="Lab granularity in at.% (default: the design space's, 1).")] = None,
        batch: Annotated[int, typer.Option(help="Candidates to keep.")] = D.batch,
        strategy: Annotated[str, typer.Option(help="exploit, explore or balanced.")] = D.strategy,
        seed: Annotated[int, typer.Option(help="Seed for choosing multi-phase starts.")] = D.seed,
        scheduler: Annotated[Optional[str], typer.Option(help="Screen on this Dask cluster, e.g. tcp://10.0.0.5:8786 (default: on this machine).")] = None,
        by: ByOption = None,
    ) -> None:
        """Propose candidates with the active model: inversion, latent decoding or screening.

        Every candidate is moved into the campaign's design space (`hea-campaign space show`; the constraint
        options here override it for this run) and rounded to its granularity; one within granularity of a
        measured alloy is reported as known, with its measured label, and not stored."""
        from hea_campaign.campaign.proposals import propose as run

        from ..present.design_report import format_proposal
        from ..present.proposal_request import build_proposal_request

        req = build_proposal_request(
            starts=from_, from_multi_phase=from_multi_phase, loop=loop, cutoff=cutoff, max_steps=max_steps,
            keep_elements=keep_elements, latent=latent, p=p, screen=screen, step=step, allowed=allowed, banned=banned,
            min_frac=min_frac, max_frac=max_frac, max_elements=max_elements, min_elements=min_elements,
            granularity=granularity, batch=batch, strategy=strategy, seed_value=seed, scheduler=scheduler,
        )
        store = _open(db, campaign, by, create=False)

        def progress(done: int, total: int) -> None:
            print(f"\r  screened {done:,}/{total:,}", end="", file=sys.stderr, flush=True)

        outcome = run(store, req, by=by, progress=progress if screen else None)
        if screen:
            print(file=sys.stderr)
        typer.echo(format_proposal(store, req, outcome))

    @app.command()
    def candidates(
        db: DbOption = None,
        campaign: CampaignOption = "default",
        status: Annotated[Optional[str], typer.Option(help="proposed, approved, rejected, exported or measured.")] = None,
        flag: Annotated[Optional[str], typer.Option(help="uncertain, novel, low_density, disputed, out_of_range or inconsistent.")] = None,
        limit: Annotated[int, typer.Option(min=1, help="Show at most this many rows (in id order).")] = 1000,
        offset: Annotated[int, typer.Option(min=0, help="Skip this many rows first.")] = 0,
    ) -> None:
        """List candidates, optionally filtered by status and flag, a page at a time."""
        from hea_campaign.campaign.candidates import count_candidates, list_candidates

        from ..present.design_report import format_candidate_table

        store = _open(db, campaign, create=False)
        rows = list_candidates(store, status, flag, limit=limit, offset=offset)
        total = count_candidates(store, status, flag) if offset or len(rows) >= limit else None
        typer.echo(format_candidate_table(rows, total, offset))

    @app.command()
    def candidate(
        candidate_id: Annotated[int, typer.Argument(help="Candidate id.")],
        db: DbOption = None,
        campaign: CampaignOption = "default",
    ) -> None:
        """One candidate in full: composition, descriptors, p, flags, path, SHAP."""
        from hea_campaign.campaign.candidates import candidate_detail

        from ..present.design_report import format_candidate_detail

        typer.echo(format_candidate_detail(candidate_detail(_open(db, campaign, create=False), candidate_id)))


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
        seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
        epochs: Annotated[Optional[int], typer.Option(help="Maximum epochs.")] = None,
        activate: Annotated[bool, typer.Option("--activate", help="Make the new version active, unless it is worse "
                                               "than the active one on rows neither saw.")] = False,
        force: Annotated[bool, typer.Option("--force", help="With --activate: activate even a worse version.")] = False,
        by: ByOption = None,
    ) -> None:
        """Train a new version on all current labels and compare it with the active one on the same held-out rows."""
        from hea_campaign.campaign.retraining import retrain as run

        from ..present.training_report import render_comparison

        from ..present.checks import integer

        epochs = None if epochs is None else integer(epochs, "--epochs", lo=1)
        store = _open(db, campaign, by)
        typer.echo("Training on the current labels...", err=True)
        trained, comparison = run(store, seed=seed, epochs=epochs, activate_new=activate, by=by, force=force)
        typer.echo(render_comparison(comparison))
        _refused(comparison, comparison.new_id)
        if not activate:
            typer.echo(f"Activate it with: hea-campaign activate {comparison.new_id}")
