"""Lab-loop commands: results, history, approve/reject, export, backup.

Each command opens the store, makes one call into a campaign service and
prints the outcome with a tui.report formatter.  Validation and decisions
live in campaign/ (results, lifecycle, export, backup), so the TUI can offer
the same actions by calling the same functions.
"""

# No "from __future__ import annotations" here: Typer reads these annotations at
# runtime, and the Annotated aliases below are local to register().
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..present.choices import ExportFormat, ExportStatus, FailureReason, MassUnit
from .options import ByOption, CampaignOption, CapitalsYes, DbOption, echo
from .options import open_store as _open


def register(app: typer.Typer) -> None:
    """Attach the lab-loop commands to the main app."""
    result_app = typer.Typer(help="Lab results: add one, import a CSV, correct or withdraw one.\n\n"
                                  "Example: hea-campaign result add CoCrFeNi --single-phase yes --phases FCC",
                             no_args_is_help=True)
    app.add_typer(result_app, name="result")

    SinglePhase = Annotated[str, typer.Option("--single-phase", metavar="yes|no", help="Did the alloy come out single phase: yes or no.")]
    Phases = Annotated[Optional[str], typer.Option("--phases", metavar="PHASES", help='Phases seen, e.g. "FCC" or "FCC+BCC".')]
    Method = Annotated[Optional[str], typer.Option("--method", metavar="METHOD", help="How it was measured, e.g. XRD.")]
    Notes = Annotated[Optional[str], typer.Option("--notes", metavar="TEXT", help="Free text kept with the result.")]
    MeasuredOn = Annotated[Optional[str], typer.Option("--measured-on", metavar="YYYY-MM-DD", help="Date of the measurement, YYYY-MM-DD.")]
    Operator = Annotated[Optional[str], typer.Option("--operator", metavar="NAME", help="Who measured (defaults to --by).")]
    Reason = Annotated[Optional[str], typer.Option("--reason", metavar="TEXT", help="Why (kept with the candidate and in the audit log).")]

    @result_app.command("add")
    def result_add(
        single_phase: SinglePhase,
        formula: Annotated[Optional[str], typer.Argument(metavar="FORMULA", help="The alloy, e.g. CoCrFeNi (or use --candidate).")] = None,
        candidate: Annotated[Optional[int], typer.Option("--candidate", metavar="ID", help="Candidate id the result is for.")] = None,
        phases: Phases = None,
        method: Method = None,
        notes: Notes = None,
        measured_on: MeasuredOn = None,
        operator: Operator = None,
        confirm_duplicate: Annotated[bool, typer.Option(
            "--confirm-duplicate", help="Store it even if the same result was entered for this alloy in the "
                                        "last 10 minutes (a real repeat).")] = False,  # fmt: skip
        allow_conflict: Annotated[bool, typer.Option(
            "--allow-conflict", help="Store it even if it contradicts a current lab result of the same candidate's "
                                     "alloy (a second ingot); to fix a wrong result use result correct.")] = False,  # fmt: skip
        yes: Annotated[bool, typer.Option(
            "--yes", help="Store a result typed by formula as a new alloy even though it lies within 1 at.% of "
                          "an exported or measured candidate (without it, that is refused: it is most likely "
                          "the candidate's result, mistyped); and read a formula typed all in capitals as "
                          "written (CONI as C, O, N and I) though its letters also spell another alloy "
                          "(CoNi).")] = False,  # fmt: skip
        db: DbOption = None,
        campaign: CampaignOption = "default",
        by: ByOption = None,
    ) -> None:
        """Record what the lab measured for an alloy or an exported candidate.

        A result for the alloy of exported candidates (by formula) is theirs too: they become measured.
        A formula that is no stored alloy but lies within 1 at.% of a candidate the lab made is refused
        unless --yes: record it on the candidate (--candidate ID) if it is that one's. So is a formula typed
        all in capitals that also spells another alloy (CONI: C O N I, or CoNi?). Amounts that look
        like at.% but do not add to 100 are read as proportions, and the reply says so.

        Example: hea-campaign result add CoCrFeNi --single-phase yes --phases FCC --method XRD
        """
        from hea_campaign.campaign.results import record_result

        from ..present.checks import record_id

        if candidate is not None:
            record_id(candidate, "--candidate")
        operator = _operator(operator)

        from ..present.report import format_recorded_result

        store = _open(db, campaign, by)
        done = record_result(store, formula, candidate, single_phase=single_phase, phases=phases, method=method,
                             operator=operator, by=by, notes=notes, measured_on=measured_on,
                             check_duplicates=not confirm_duplicate, check_conflicts=not allow_conflict,
                             check_near=not yes, allow_capitals=yes)  # fmt: skip
        echo(format_recorded_result(done))

    @result_app.command("failed")
    def result_failed(
        candidate: Annotated[list[int], typer.Option("--candidate", metavar="ID", help="Exported candidate whose "
                                                     "synthesis failed (repeat for several).")],  # fmt: skip
        reason: Annotated[FailureReason, typer.Option("--reason", help="What went wrong.")],
        notes: Notes = None,
        db: DbOption = None,
        campaign: CampaignOption = "default",
        by: ByOption = None,
    ) -> None:
        """Record that a synthesis failed (an outcome of its own, not a phase label); approve again to retry.

        A failure recorded by mistake is withdrawn with result not-failed.

        Example: hea-campaign result failed --candidate 12 --reason cracked --notes "crack after the 3rd remelt"
        """
        from hea_campaign.campaign.lifecycle import fail

        from ..present.checks import record_id
        from ..present.report import format_failed

        for c in candidate:
            record_id(c, "--candidate")
        echo(format_failed(fail(_open(db, campaign, by), candidate, reason.value, notes=notes, by=by)))

    @result_app.command("not-failed")
    def result_not_failed(
        candidate: Annotated[list[int], typer.Option("--candidate", metavar="ID", help="Candidate recorded as failed "
                                                     "by mistake (repeat for several).")],  # fmt: skip
        reason: Annotated[str, typer.Option("--reason", metavar="TEXT", help="Why the failure is withdrawn "
                                            "(kept in the history).")],  # fmt: skip
        db: DbOption = None,
        campaign: CampaignOption = "default",
        by: ByOption = None,
    ) -> None:
        """Withdraw a failed synthesis recorded by mistake: the candidate is exported again, awaiting its result.

        The failure and its withdrawal (who, when, why) both stay in the history.

        Example: hea-campaign result not-failed --candidate 12 --reason "entered for the wrong candidate"
        """
        from hea_campaign.campaign.read_models import withdraw_failure

        from ..present.checks import record_id
        from ..present.report import format_failure_withdrawn

        for c in candidate:
            record_id(c, "--candidate")
        echo(format_failure_withdrawn(withdraw_failure(_open(db, campaign, by), candidate, reason, by=by)))

    @result_app.command("import")
    def result_import(
        path: Annotated[Path, typer.Argument(metavar="CSV", help="CSV with formula or candidate_id, single_phase, "
                                             "phases, method, operator, notes, measured_on; or a filled weigh sheet "
                                             "(export --format sheet).")],  # fmt: skip
        allow_conflicts: Annotated[bool, typer.Option(
            "--allow-conflicts", help="Import rows that contradict a current lab result of the same candidate's "
                                      "alloy (second ingots); to fix wrong results use result correct.")] = False,  # fmt: skip
        yes: CapitalsYes = False,
        db: DbOption = None,
        campaign: CampaignOption = "default",
        by: ByOption = None,
    ) -> None:
        """Import lab results from a CSV or a filled weigh sheet: all rows or none.

        Rows are recognised by content: re-importing a file, or a grown copy of it, adds only new rows.
        A blank single_phase is read from the row's phases when they are unambiguous (FCC: yes,
        FCC+BCC: no), also on a weigh sheet: leave phases blank until the lab has measured them. A
        sheet of a voided batch, or of one whose candidate was exported again, is refused.
        A weigh sheet's filled weighed_g column (weighed_mg on a sheet exported in mg) records the masses
        weighed (in grams, as typed) and the composition actually made from them. A row that contradicts a current lab result of a candidate's alloy (a fixed sheet re-imported) is refused,
        naming the measurement to correct instead. A formula typed all in capitals that also spells
        another alloy (CONI: C O N I, or CoNi?) is a bad row, unless --yes.

        Example: hea-campaign result import xrd-batch-7.csv
        """
        from hea_campaign.campaign.results import import_results

        from ..present.report import format_results_import

        echo(format_results_import(import_results(_open(db, campaign, by), path, by=by,
                                                  allow_conflicts=allow_conflicts, allow_capitals=yes)))

    @result_app.command("correct")
    def result_correct(
        measurement_id: Annotated[int, typer.Argument(metavar="MEASUREMENT", help="The measurement to correct.")],
        single_phase: SinglePhase,
        phases: Phases = None,
        method: Method = None,
        notes: Notes = None,
        measured_on: MeasuredOn = None,
        operator: Annotated[Optional[str], typer.Option(
            "--operator", metavar="NAME", help="Who measured (defaults to the corrected result's).")] = None,
        candidate: Annotated[Optional[int], typer.Option(
            "--candidate", metavar="ID", help="Move the result to this exported candidate: it was entered "
                                              "for the wrong one.")] = None,  # fmt: skip
        formula: Annotated[Optional[str], typer.Option(
            "--formula", metavar="FORMULA", help="Move the result to this alloy: it was entered for the "
                                                 "wrong one.")] = None,  # fmt: skip
        weighed_g: Annotated[Optional[str], typer.Option(
            "--weighed-g", metavar="EL:G,...", help="The masses really weighed, in grams (e.g. Fe:10.12,Ni:9.88), "
                                                     "replacing those the result recorded (a mistyped mass); every "
                                                     "element of the alloy.")] = None,  # fmt: skip
        weighed_mg: Annotated[Optional[str], typer.Option(
            "--weighed-mg", metavar="EL:MG,...", help="The same in milligrams (e.g. Fe:10120,Ni:9880), stored in "
                                                       "grams as a weigh sheet's weighed_mg column is; not with "
                                                       "--weighed-g.")] = None,  # fmt: skip
        literature: Annotated[bool, typer.Option(
            "--literature", help="Correct a published result (a dataset's row): its label is replaced in "
                                 "training, the published one kept in the history. A lab that measured the "
                                 "alloy itself records that with result add instead.")] = False,  # fmt: skip
        yes: CapitalsYes = False,
        db: DbOption = None,
        campaign: CampaignOption = "default",
        by: ByOption = None,
    ) -> None:
        """Enter a corrected result; it supersedes the old one (which is kept).

        Left out, the method, the measurement date and the operator (who measured it) are the old
        result's, and so are its phases when the label stays the same; notes are the correction's own. With --candidate or --formula the result moves to
        the candidate or alloy it was really for: that one becomes measured, and the candidate it
        leaves awaits its own result again (exported) unless another result is for it.

        Example: hea-campaign result correct 41 --single-phase no --phases FCC+BCC --method XRD --notes "second XRD"

        Example: hea-campaign result correct 41 --single-phase yes --candidate 12

        Example: hea-campaign result correct 41 --single-phase yes --weighed-g Fe:10.12,Ni:9.88

        Example: hea-campaign result correct 41 --single-phase yes --weighed-mg Fe:10120,Ni:9880
        """
        from ..present.checks import record_id

        record_id(measurement_id, "the measurement id")
        if candidate is not None:
            record_id(candidate, "--candidate")
        operator = _operator(operator)
        common = dict(single_phase=single_phase, phases=phases, method=method, operator=operator,
                      measured_on=measured_on, by=by, notes=notes)
        if candidate is not None or formula is not None:
            from hea_campaign.campaign.errors import CampaignError

            if weighed_g is not None or weighed_mg is not None:
                raise CampaignError("move the result first, then correct its masses (--weighed-g or --weighed-mg) "
                                    "at its new place")
            if literature:
                raise CampaignError("a published result is never moved (only lab results are): leave out "
                                    "--candidate/--formula to correct it where it is, with --literature")
            from hea_campaign.campaign.result_moves import move_result

            from ..present.report import format_move

            echo(format_move(move_result(_open(db, campaign, by), measurement_id, candidate_id=candidate,
                                         formula=formula, allow_capitals=yes, **common)))
            return
        from hea_campaign.campaign.results import correct_result

        from ..present.report import format_correction

        echo(format_correction(correct_result(_open(db, campaign, by), measurement_id, weighed_g=weighed_g,
                                              weighed_mg=weighed_mg, literature=literature, **common)))

    @result_app.command("withdraw")
    def result_withdraw(
        measurement_id: Annotated[int, typer.Argument(metavar="MEASUREMENT", help="The result to withdraw.")],
        reason: Annotated[Optional[str], typer.Option(
            "--reason", metavar="TEXT", help="Why it should never have been entered (required; kept in the "
                                             "history).")] = None,  # fmt: skip
        operator: Annotated[Optional[str], typer.Option(
            "--operator", metavar="NAME", help="Who withdraws it (defaults to --by).")] = None,
        db: DbOption = None,
        campaign: CampaignOption = "default",
        by: ByOption = None,
    ) -> None:
        """Withdraw a lab result that should never have been entered (wrong alloy or candidate, entered
        twice, a test entry).

        Nothing is deleted: the withdrawal is recorded beside the result, which stays in the history
        marked WITHDRAWN; neither counts for the alloy's label, training, exports or result matching. A
        candidate the result made measured is exported again, awaiting its real result. A wrong label is
        fixed with result correct instead.

        Example: hea-campaign result withdraw 41 --reason "typed against candidate 12, was 21"
        """
        from hea_campaign.campaign.withdrawals import check_withdrawal_reason, withdraw_result

        from ..present.checks import record_id
        from ..present.report import format_withdrawal

        record_id(measurement_id, "the measurement id")
        check_withdrawal_reason(reason)
        echo(format_withdrawal(withdraw_result(_open(db, campaign, by), measurement_id, reason=reason,
                                               operator=_operator(operator) if operator is not None else None,
                                               by=by)))

    @app.command()
    def history(
        formula: Annotated[str, typer.Argument(metavar="FORMULA", help="The alloy, e.g. CoCrFeNi.")],
        yes: CapitalsYes = False,
        db: DbOption = None,
        campaign: CampaignOption = "default",
    ) -> None:
        """Every result (corrections marked) and candidate event of an alloy, oldest first.

        Example: hea-campaign history CoCrFeNi
        """
        from hea_campaign.campaign.results import history as alloy_history

        from ..present.report import format_history

        echo(format_history(alloy_history(_open(db, campaign), formula, allow_capitals=yes)))

    @app.command()
    def approve(
        ids: Annotated[list[int], typer.Argument(metavar="ID...", help="Candidate ids.")],
        reason: Reason = None,
        db: DbOption = None,
        campaign: CampaignOption = "default",
        by: ByOption = None,
    ) -> None:
        """Approve candidates for synthesis (all or none).

        Example: hea-campaign approve 12 15 17
        """
        from hea_campaign.campaign.read_models import approve as approve_candidates

        from ..present.checks import record_id

        ids = [record_id(i, "a candidate id") for i in ids]

        from ..present.report import format_transitions

        echo(format_transitions(approve_candidates(_open(db, campaign, by), ids, by=by, reason=reason), "approved"))

    @app.command()
    def reject(
        ids: Annotated[list[int], typer.Argument(metavar="ID...", help="Candidate ids.")],
        reason: Reason = None,
        db: DbOption = None,
        campaign: CampaignOption = "default",
        by: ByOption = None,
    ) -> None:
        """Reject candidates, optionally saying why (all or none).

        Example: hea-campaign reject 13 --reason "too much Cr for our furnace"
        """
        from hea_campaign.campaign.read_models import reject as reject_candidates

        from ..present.checks import record_id

        ids = [record_id(i, "a candidate id") for i in ids]

        from ..present.report import format_transitions

        echo(format_transitions(reject_candidates(_open(db, campaign, by), ids, by=by, reason=reason), "rejected"))

    export_app = typer.Typer(invoke_without_command=True)  # its help: the docstring of export() below
    app.add_typer(export_app, name="export")

    @export_app.callback()
    def export(
        ctx: typer.Context,
        mass: Annotated[Optional[float], typer.Option("--mass", metavar="MASS", help="Target ingot mass per candidate, "
                                                      "in --unit (above 1 kg or below 100 mg only with --yes).")] = None,
        out: Annotated[Optional[str], typer.Option("--out", metavar="FILE", help="File to write (must not exist): "
                                                   ".csv or .txt for csv and sheet, .json for json.")] = None,
        status: Annotated[str, typer.Option("--status", metavar="approved", help="Export every candidate with this status: only approved ones are exported (approve them first); --ids picks some.")] = ExportStatus.approved.value,
        ids: Annotated[Optional[str], typer.Option("--ids", metavar="ID,ID,...", help="Export these candidates instead, e.g. 1,2,3.")] = None,
        unit: Annotated[MassUnit, typer.Option("--unit", help="Mass unit.")] = MassUnit.g,
        fmt: Annotated[Optional[ExportFormat], typer.Option("--format", help="File format; sheet is the long weigh sheet "
                                                            "(default: taken from the --out suffix, else csv).")] = None,
        loss: Annotated[Optional[str], typer.Option("--loss", metavar="EL:PCT,...", help="Weigh sheet loss allowances, "
                                                    "e.g. Mn:2%,Al:1% (with --format sheet; only elements of the batch).")] = None,
        yes: Annotated[bool, typer.Option("--yes", "--allow-large-mass", help="Confirm an ingot above 1 kg (1,000,000 mg) or below 100 mg (0.1 g), and candidates whose alloy was measured since they were proposed (a replicate).")] = False,
        db: DbOption = None,
        campaign: CampaignOption = "default",
        by: ByOption = None,
    ) -> None:
        """Synthesis batches: write one (export --mass ... --out ...), void one (export void ...).

        A batch gives at.%, wt.% and the mass of each element per candidate, and marks its candidates
        exported. --format sheet writes the weigh sheet: one line per candidate and element with its mass
        and an empty weighed_g column (weighed_mg with --unit mg), then per-element totals; every line
        names its batch. `export void BATCH --reason ...` undoes a batch.

        Example: hea-campaign export --mass 20 --unit g --out batch-7.csv
        """
        from hea_campaign.campaign.export import export_batch

        from ..present.export_request import build_export_request, check_export_status
        from ..present.report import format_export

        if ctx.invoked_subcommand is not None:
            return
        check_export_status(status)  # before --mass and --out: `export --status proposed` hears what export takes
        if mass is None or out is None:
            from hea_campaign.campaign.errors import CampaignError

            raise CampaignError("export needs --mass and --out (or: hea-campaign export void BATCH --reason ...)")
        req = build_export_request(mass=mass, unit=unit.value, out=out, fmt=fmt and fmt.value, ids=ids,
                                   status=status, allow_large_mass=yes)
        store = _open(db, campaign, by)
        result = export_batch(store, ids=req.ids, status=req.status, mass=req.mass, unit=req.unit, out=Path(req.out),
                              fmt=req.fmt, by=by, confirm=yes, loss=loss, allow_measured=yes)
        echo(format_export(result))

    @export_app.command("void")
    def export_void(
        batch: Annotated[int, typer.Argument(metavar="BATCH", help="The export batch id (printed by export).")],
        reason: Annotated[str, typer.Option("--reason", metavar="TEXT", help="Why the batch is void, e.g. 'wrong target mass'.")],
        db: DbOption = None,
        campaign: CampaignOption = "default",
        by: ByOption = None,
    ) -> None:
        """Void an export batch: its candidates return to approved; the file is kept and marked void in the store.

        Example: hea-campaign export void 3 --reason "wrong target mass"
        """
        from hea_campaign.campaign.export_batches import void_batch

        from ..present.checks import record_id

        record_id(batch, "BATCH")

        from ..present.report import format_void

        echo(format_void(void_batch(_open(db, campaign, by), batch, reason, by=by)))

    @app.command()
    def backup(
        path: Annotated[Path, typer.Argument(metavar="FILE", help="New file for the copy (never overwritten); "
                                                               "a missing folder is made.")],
        db: DbOption = None,
        campaign: Annotated[Optional[str], typer.Option(
            "--campaign", metavar="NAME", help="Refused: a backup copies the whole store, every campaign in it "
                                               "(so does a restore).")] = None,  # fmt: skip
    ) -> None:
        """Copy a SQLite store safely while it is in use, and check the copy.

        The copy holds the whole store, every campaign in it, and the model checkpoints the store names
        go to <FILE stem>.models beside it. Works on a store of any schema version (before `db upgrade`,
        or from a newer hea-campaign).

        To restore: close every program using the store; move it away with its -wal and -shm files
        (mv hea-campaign.db* old/); then hea-campaign backup hea-campaign.db --db backups/lab.db (the
        checkpoints go to hea-campaign.models).

        Example: hea-campaign backup backups/campaign-2026-11-28.db
        """
        from hea_campaign.campaign.backup import backup_at
        from hea_campaign.campaign.errors import CampaignError

        from ..present.report import format_backup

        if campaign is not None:  # a copy of one campaign does not exist: say so rather than copy them all
            raise CampaignError("backup copies the whole store, every campaign in it (and restoring one puts "
                                "every campaign back): leave out --campaign")
        echo(format_backup(backup_at(db, path)))


def _operator(value: str | None) -> str | None:
    """--operator checked as --by is: a blank or multi-line name is refused, not quietly replaced."""
    from hea_campaign.campaign.actors import actor_name

    return actor_name(value, "--operator", default="whoever enters the result")
