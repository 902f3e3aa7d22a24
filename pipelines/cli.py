"""The `gcrisk` command line: one subcommand per job, each turning options into a flow's config.

Nothing heavy is imported at module level (Prefect, Great Expectations, MLflow, pandas load
inside the commands), so `gcrisk --help` answers at once. `main()` turns every user mistake into
one `error: ...` line on stderr and exit status 2; anything unexpected is one line and status 1
(set GCRISK_DEBUG=1 to see the traceback).
"""

from __future__ import annotations

import datetime
import enum
import logging
import os
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

# Typer 0.29 vendors Click: its usage errors are these classes, not the `click` package's.
from typer._click import exceptions as click_errors

from pipelines.settings import Settings, configure_offline_environment

USAGE_ERROR = 2
INTERNAL_ERROR = 1
#: `gcrisk monitor --fail-on-alert` exit status when a threshold is crossed.
ALERT_EXIT = 3
DATE_FORMATS = ["%Y-%m-%d"]

app = typer.Typer(
    name="gcrisk",
    help="Find likely illegal waste, ODS and wildlife shipments among customs declarations.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class UserError(Exception):
    """A mistake the user can fix; shown as one `error:` line."""


class TableKind(enum.StrEnum):
    """The received tables gcrisk validates and ingests."""

    declarations = "declarations"
    inspections = "inspections"


Today = Annotated[
    datetime.datetime | None,
    typer.Option(
        formats=DATE_FORMATS, help="Dates after this day count as future (default: today)"
    ),
]


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each step")] = False,
) -> None:
    """Green Customs risk pipeline (outputs under $GCRISK_HOME, default ./gcrisk-home)."""
    for handler in logging.getLogger("gcrisk").handlers:
        if isinstance(handler, _StderrHandler):
            handler.setLevel(logging.INFO if verbose else logging.WARNING)


@app.command()
def validate(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8) or Parquet file", show_default=False)],
    kind: Annotated[TableKind, typer.Option(help="Contract to check against", show_default=False)],
    out: Annotated[Path, typer.Option(help="Folder for the outputs", show_default=False)],
    today: Today = None,
) -> None:
    """Validate FILE: write valid.parquet, quarantine.parquet and validation.json to --out."""
    with _progress(f"validating {file.name}"):
        from pipelines.flows._runtime import run_flow
        from pipelines.flows.validate import ValidateConfig, validate_flow

        config = ValidateConfig(file=file, kind=kind.value, out=out, today=_day(today))
        summary = run_flow(validate_flow, config)
    _print_counts(summary.model_dump())
    typer.echo(f"  wrote {out / 'valid.parquet'}, quarantine.parquet, validation.json")


@app.command()
def ingest(
    kind: Annotated[TableKind, typer.Argument(help="Which table FILE feeds", show_default=False)],
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8) or Parquet file", show_default=False)],
    today: Today = None,
) -> None:
    """Validate FILE, keep its bad rows in quarantine and upsert the rest into the warehouse."""
    with _progress(f"ingesting {file.name}"):
        from pipelines.flows._runtime import run_flow
        from pipelines.flows.ingest import IngestConfig, ingest_flow

        config = IngestConfig(file=file, kind=kind.value, today=_day(today))
        summary = run_flow(ingest_flow, config)
    _print_counts(summary.model_dump())
    typer.echo(
        f"  warehouse {summary.warehouse}: {summary.inserted:,} inserted, "
        f"{summary.replaced:,} replaced, {summary.table_rows:,} rows in {kind.value}"
        + ("; ids pseudonymised" if summary.pseudonymised else "")
    )


@app.command()
def export(
    out: Annotated[Path, typer.Option("--out", help="Root of the month partitions")],
    since: Annotated[
        str | None, typer.Option(help="First month, YYYY-MM (default: the oldest)")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Last month, YYYY-MM, included (default: the newest)")
    ] = None,
) -> None:
    """Export the warehouse's declarations as month-partitioned Parquet (for a Dask cluster)."""
    from pipelines.partitions import PARTITION_COLUMN, export_declarations

    settings = Settings()
    if not settings.warehouse_path.exists():
        raise UserError(f"no warehouse at {settings.warehouse_path}: ingest declarations first")
    try:
        written = export_declarations(settings.warehouse_path, out, since=since, until=until)
    except ValueError as error:
        raise UserError(str(error)) from None
    for month, rows in written.items():
        typer.echo(f"{out / f'{PARTITION_COLUMN}={month}'}  {rows:,} declarations")
    typer.echo(f"exported {sum(written.values()):,} declarations in {len(written)} months")


@app.command("import")
def import_table(
    file: Annotated[
        Path, typer.Argument(help="Export to import (CSV, Parquet)", show_default=False)
    ],
    mapping: Annotated[
        str, typer.Option(help="Shipped mapping (kcs, asycuda) or a YAML file", show_default=False)
    ],
    out: Annotated[Path, typer.Option(help="Folder for the canonical tables", show_default=False)],
    today: Today = None,
) -> None:
    """Map a foreign export to canonical declarations (and inspections) through a mapping."""
    with _progress(f"importing {file.name}"):
        from data_contracts.mappings import MappingError
        from pipelines.flows._runtime import run_flow
        from pipelines.flows.import_table import ImportConfig, import_flow

        config = ImportConfig(file=file, mapping=mapping, out=out, today=_day(today))
        try:
            summary = run_flow(import_flow, config)
        except MappingError as error:
            raise UserError(str(error)) from None
    inspections = "" if summary.inspections is None else f", {summary.inspections:,} inspections"
    typer.echo(
        f"{file.name} (mapping {summary.mapping}): {summary.rows_in:,} rows in, "
        f"{summary.declarations:,} declarations{inspections}, {summary.quarantined:,} quarantined"
    )
    for reason, count in sorted(summary.reasons.items(), key=lambda item: -item[1]):
        typer.echo(f"  {count:>9,}  {reason}")
    if summary.extra_columns:
        typer.echo(f"  extra columns kept: {', '.join(summary.extra_columns)}")
    if summary.disabled_features:
        typer.echo(f"  features disabled by the mapping: {len(summary.disabled_features)}")
    typer.echo(f"  wrote {out / 'declarations.parquet'} and import.json")


@app.command()
def simulate(
    out: Annotated[Path, typer.Option(help="Folder for the world's files", show_default=False)],
    declarations: Annotated[int, typer.Option(help="Number of declarations")] = 200_000,
    start: Annotated[
        datetime.datetime, typer.Option(formats=DATE_FORMATS, help="First day (YYYY-MM-DD)")
    ] = datetime.datetime(2024, 1, 1),
    months: Annotated[int, typer.Option(help="Months of trade")] = 24,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same bytes)")] = 7,
    scenario: Annotated[str | None, typer.Option(help="Trainer scenario name")] = None,
) -> None:
    """Simulate a customs world: declarations, inspections, truth (.parquet) and world.json."""
    with _progress(f"simulating {declarations:,} declarations"):
        from pipelines.flows._runtime import run_flow
        from pipelines.flows.simulate import SimulateConfig, known_scenarios, simulate_flow

        if scenario is not None and scenario not in known_scenarios():
            known = ", ".join(known_scenarios())
            raise UserError(f"unknown scenario {scenario!r}; known: {known}")
        config = SimulateConfig(
            out=out,
            declarations=declarations,
            start=start.date(),
            months=months,
            seed=seed,
            scenario=scenario,
        )
        summary = run_flow(simulate_flow, config)
    typer.echo(
        f"simulated {summary.declarations:,} declarations and {summary.inspections:,} "
        f"inspection results over {months} months (seed {seed})"
    )
    typer.echo(f"  wrote {out}: {', '.join(Path(name).name for name in summary.files)}")


@app.command()
def train(
    until: Annotated[
        datetime.datetime | None,
        typer.Option(formats=DATE_FORMATS, help="Learn from data dated before this day"),
    ] = None,
    promote: Annotated[
        bool, typer.Option(help="Make the new model champion when it passes the gate")
    ] = False,
    truth: Annotated[
        Path | None, typer.Option(help="Simulated worlds only: truth.parquet for true recall")
    ] = None,
    target: Annotated[
        list[str] | None,
        typer.Option(help="What to learn (repeatable): waste, ods, wildlife, other or any"),
    ] = None,
    mapping: Annotated[
        str | None,
        typer.Option(help="Leave out the disabled_features of this mapping (kcs, asycuda, PATH)"),
    ] = None,
    without: Annotated[
        list[str] | None, typer.Option(help="Leave out this catalogue feature (repeatable)")
    ] = None,
) -> None:
    """Train on the warehouse, evaluate against baselines and the champion, register in MLflow."""
    from pipelines.flows._runtime import run_flow
    from pipelines.flows.train import TrainFlowConfig, train_flow

    disabled = list(without or [])
    if mapping is not None:
        from data_contracts.mappings import MappingError
        from pipelines.flows.import_table import load_mapping

        try:
            disabled += load_mapping(mapping).disabled_features
        except MappingError as error:
            raise UserError(str(error)) from None
    config = TrainFlowConfig(
        until=_day(until), promote=promote, truth=truth, disabled_features=tuple(disabled)
    )
    if config.disabled_features:
        left_out = config.disabled_features
        typer.echo(f"leaving out {len(left_out)} features: {', '.join(left_out)}")
    if target:
        from models.training import TrainConfig

        TrainConfig(targets=tuple(target))  # refuse an unknown target before any work
        config = TrainFlowConfig(**{**config.model_dump(), "targets": tuple(target)})
    with _progress("training"):
        summary = run_flow(train_flow, config)
    typer.echo(
        f"trained shipment-risk version {summary.model_version} on {summary.training_rows:,} "
        f"inspected declarations; holdout {summary.holdout_rows:,} declarations"
    )
    _print_holdout(summary.metrics)
    verdict = "passed" if summary.gate["passed"] else "failed"
    typer.echo(f"gate {verdict}: {'; '.join(summary.gate['reasons'])}")
    champion = summary.champion_version or "none"
    typer.echo(
        f"champion: version {champion}"
        + (" (promoted now)" if summary.promoted else "")
        + f"; challenger: version {summary.model_version}; MLflow run {summary.run_id}"
    )


@app.command()
def promote(
    version: Annotated[str, typer.Argument(help="Registered version of shipment-risk")],
) -> None:
    """Make VERSION the champion (a human decision after reading the gate)."""
    from pipelines import tracking

    settings = Settings()
    client = tracking.connect(settings.tracking_uri, settings.home / "mlartifacts")
    previous = tracking.version_for_alias(client, tracking.CHAMPION)
    try:
        client.get_model_version(tracking.MODEL_NAME, version)
    except Exception as error:
        raise UserError(f"shipment-risk has no version {version}") from error
    tracking.set_alias(client, tracking.CHAMPION, version)
    typer.echo(f"champion: version {version} (was {previous or 'none'})")


@app.command()
def evaluate(
    scores: Annotated[Path, typer.Option(help="scores.parquet or .csv", show_default=False)],
    truth: Annotated[
        Path,
        typer.Option(help="truth.parquet, or inspection results (CSV/Parquet)", show_default=False),
    ],
) -> None:
    """Precision, recall, hit rate and lift at 1/2/5/10% budgets, per category, as JSON."""
    import json

    from models.evaluation import evaluate_scores, labels_from_inspections, labels_from_truth
    from pipelines.io import read_table

    score_frame = _numeric_scores(read_table(scores))
    labels_frame = read_table(truth)
    if {"is_illicit", "category"} <= set(labels_frame.columns):
        labels_frame["is_illicit"] = (
            labels_frame["is_illicit"].astype("str").str.lower().isin(["true", "1"])
        )
        labels = labels_from_truth(labels_frame)
    elif {"outcome", "violation_category"} <= set(labels_frame.columns):
        labels = labels_from_inspections(labels_frame)
    else:
        raise UserError(
            f"{truth}: expected truth (is_illicit, category) or inspection results "
            "(outcome, violation_category)"
        )
    typer.echo(json.dumps(evaluate_scores(score_frame, labels), indent=2))


def _numeric_scores(frame: Any) -> Any:
    import pandas as pd

    needed = {"declaration_id", "risk_score", "p_waste", "p_ods", "p_wildlife"}
    missing = needed - set(frame.columns)
    if missing:
        raise UserError(f"scores file lacks column(s): {', '.join(sorted(missing))}")
    columns = ["risk_score", "p_waste", "p_ods", "p_wildlife"]
    return frame.assign(**{c: pd.to_numeric(frame[c], errors="coerce") for c in columns})


def _print_holdout(metrics: dict[str, Any]) -> None:
    typer.echo("holdout (inspected declarations), precision / recall at 5%:")
    for name, groups in metrics.items():
        at = groups["overall"]["at_budget"]["5%"]
        typer.echo(
            f"  {name:<10} {at['precision']:.3f} / {at['recall']:.3f}"
            f"   PR-AUC {groups['overall']['pr_auc']:.3f}"
        )


@app.command()
def score(
    file: Annotated[Path, typer.Argument(help="Batch, CSV (UTF-8) or Parquet", show_default=False)],
    out: Annotated[Path, typer.Option(help="Folder for the outputs", show_default=False)],
    budget: Annotated[
        float, typer.Option(min=0.0001, max=1.0, help="Red-lane share of the batch")
    ] = 0.05,
    exploration: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Random share of the capacity")
    ] = 0.10,
    capacity: Annotated[
        Path | None, typer.Option(help="CSV of office,inspections_per_day (replaces --budget)")
    ] = None,
    today: Today = None,
) -> None:
    """Score a batch: lanes within capacity, reasons, scores, quarantine, report, summary."""
    from pipelines.flows._runtime import run_flow
    from pipelines.flows.score import ScoreConfig, score_flow

    config = ScoreConfig(
        file=file,
        out=out,
        budget=budget,
        exploration=exploration,
        capacity=capacity,
        today=_day(today),
    )
    with _progress(f"scoring {file.name}"):
        summary = run_flow(score_flow, config)
    if summary.banner:
        typer.echo(f"warning: {summary.banner}", err=True)
    lanes = ", ".join(f"{n:,} {lane}" for lane, n in summary.lanes.items())
    typer.echo(
        f"{file.name}: {summary.rows_in:,} rows in, {summary.rows_scored:,} scored, "
        f"{summary.rows_quarantined:,} quarantined; lanes: {lanes}; model {summary.model_version}"
    )
    typer.echo(
        f"  wrote {out}: scores.parquet, scores.csv, quarantine.parquet, report.html, summary.json"
    )


@app.command()
def feedback(
    file: Annotated[
        Path, typer.Argument(help="Inspection results, CSV or Parquet", show_default=False)
    ],
    out: Annotated[
        Path | None,
        typer.Option(help="Folder for the outputs (default: $GCRISK_HOME/feedback/DAY)"),
    ] = None,
    today: Today = None,
) -> None:
    """Take in inspection results; report conflicts and hit rates by lane, reason, profile."""
    from pipelines.flows._runtime import run_flow
    from pipelines.flows.feedback import FeedbackConfig, feedback_flow

    config = FeedbackConfig(file=file, out=out, today=_day(today))
    with _progress(f"reading results from {file.name}"):
        summary = run_flow(feedback_flow, config)
    if summary.conflicts:
        typer.echo(
            f"warning: {summary.conflicts:,} results conflict with a result already recorded; "
            "the first was kept, the new ones are in quarantine",
            err=True,
        )
    typer.echo(
        f"{file.name}: {summary.rows_in:,} rows in, {summary.new:,} new, {summary.repeated:,} "
        f"repeated, {summary.conflicts:,} conflicting, {summary.unknown_declarations:,} for "
        f"unknown declarations, {summary.invalid:,} invalid"
    )
    for name in ("lane", "selection_reason"):
        _print_rates(f"hit rate by {name.replace('_', ' ')} (this file)", summary.hit_rates[name])
    typer.echo(
        f"  wrote {Path(summary.outputs['feedback.json']).parent}: " + ", ".join(summary.outputs)
    )


def _print_rates(title: str, rows: list[dict[str, Any]]) -> None:
    typer.echo(title + ":")
    typer.echo(f"  {'':<16} {'results':>8} {'violations':>10} {'hit rate':>8}")
    for row in rows:
        label = str(next(iter(row.values())))
        typer.echo(
            f"  {label:<16} {row['results']:>8,} {row['violations']:>10,} {row['hit_rate']:>8.3f}"
        )


@app.command()
def monitor(
    since: Annotated[
        datetime.datetime | None,
        typer.Option(formats=DATE_FORMATS, help="First day (default: the last --days scored days)"),
    ] = None,
    days: Annotated[int, typer.Option(min=1, max=366, help="Days in the window")] = 30,
    out: Annotated[
        Path | None,
        typer.Option(help="Folder for the outputs (default: $GCRISK_HOME/monitor/DAY)"),
    ] = None,
    missed_threshold: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="Alert when targeting misses more than this share"),
    ] = 0.5,
    psi_threshold: Annotated[
        float, typer.Option(min=0.001, help="Alert at this PSI of a feature or the risk score")
    ] = 0.25,
    fail_on_alert: Annotated[
        bool, typer.Option(help=f"Exit with status {ALERT_EXIT} when an alert is raised")
    ] = False,
) -> None:
    """Feature and score drift, and the share of violations targeting misses; alerts."""
    from pipelines.flows._runtime import run_flow
    from pipelines.flows.monitor import MonitorConfig, monitor_flow

    config = MonitorConfig(
        since=_day(since),
        days=days,
        out=out,
        feature_psi_alert=psi_threshold,
        score_psi_alert=psi_threshold,
        missed_share_alert=missed_threshold,
    )
    with _progress("monitoring"):
        summary = run_flow(monitor_flow, config)
    window = summary.window
    typer.echo(
        f"window {window['start']} to {window['end']}: {summary.rows:,} scored declarations "
        f"({summary.previous_rows:,} in the previous window); champion {summary.champion_version}"
    )
    watched = [row for row in summary.feature_drift if not row["history_volume"]]
    moved = sorted(watched, key=lambda row: -row["psi_present"])[:5]
    if moved:
        typer.echo(
            "  largest feature drift (PSI of present values): "
            + ", ".join(f"{row['feature']} {row['psi_present']:.2f}" for row in moved)
        )
    score_psi = "n/a" if summary.score_psi is None else f"{summary.score_psi:.3f}"
    missed = summary.missed.get("estimated_missed_share")
    typer.echo(
        f"  risk score PSI {score_psi}; estimated missed share "
        + ("n/a" if missed is None else f"{missed:.1%}")
    )
    for note in summary.notes:
        typer.echo(f"  note: {note}")
    for alert in summary.alerts:
        typer.echo(f"ALERT: {alert}")
    typer.echo(
        f"  wrote {Path(summary.outputs['monitor.json']).parent}: monitor.html, monitor.json"
    )
    if fail_on_alert and summary.alerts:
        raise typer.Exit(ALERT_EXIT)


@app.command()
def demo(
    declarations: Annotated[int, typer.Option(help="Declarations in the world")] = 200_000,
    seed: Annotated[int, typer.Option(help="Random seed")] = 7,
) -> None:
    """Run the whole story on a simulated world, in its own home $GCRISK_HOME/demo."""
    import shutil

    demo_home = Settings().demo_dir
    with _progress("demo"):
        from pipelines.flows._runtime import run_flow
        from pipelines.flows.demo import DemoConfig, demo_flow

        config = DemoConfig(out=demo_home, declarations=declarations, seed=seed)
        config.simulate_config().world_config()  # refuse bad options before any work
        # The demo has a warehouse and MLflow store of its own, started afresh each time, so
        # it never mixes with a unit's real data under $GCRISK_HOME.
        shutil.rmtree(demo_home, ignore_errors=True)
        os.environ["GCRISK_HOME"] = str(demo_home)
        summary = run_flow(demo_flow, config)
    width = max(len(step.step) for step in summary.steps)
    typer.echo(f"{'step':<{width}}  {'seconds':>7}  result")
    for step in summary.steps:
        typer.echo(f"{step.step:<{width}}  {step.seconds:>7.1f}  {step.result}")
    typer.echo(f"{'total':<{width}}  {sum(s.seconds for s in summary.steps):>7.1f}")
    typer.echo("\nthe scored month, new targeting against the legacy policy (hidden truth):")
    typer.echo(f"  {'policy':<26} {'inspected':>9} {'illicit':>8} {'found':>6}  waste/ods/wildlife")
    for row in summary.comparison:
        cats = "/".join(str(row.by_category[c]) for c in ("waste", "ods", "wildlife"))
        typer.echo(
            f"  {row.policy:<26} {row.inspected:>9,} {row.illicit_inspected:>8,} "
            f"{row.found:>6,}  {cats}"
        )
    typer.echo("")
    for label, place in summary.where.items():
        typer.echo(f"{label + ':':<{width + 2}} {place}")


casestudy_app = typer.Typer(
    help="Trainer case studies: scenario packs with exercises and answer keys.",
    no_args_is_help=True,
)
app.add_typer(casestudy_app, name="casestudy")


@casestudy_app.command("list")
def casestudy_list() -> None:
    """List the case studies (scenario names) and the scheme each one plants."""
    from pipelines.casestudy import brief, case_study_names

    for name in case_study_names():
        typer.echo(f"{name:<28} {brief(name).title}")


@casestudy_app.command("build")
def casestudy_build(
    name: Annotated[str, typer.Argument(help="Scenario (see gcrisk casestudy list)")],
    out: Annotated[Path, typer.Option(help="Folder for the pack", show_default=False)],
    declarations: Annotated[int, typer.Option(help="Declarations in the world")] = 100_000,
    seed: Annotated[int, typer.Option(help="Random seed")] = 7,
) -> None:
    """Build a trainer pack: officers/ (batch, scores, report, exercises) and trainer/ (answers)."""
    with _progress(f"building case study {name}"):
        from pipelines.casestudy import case_study_names
        from pipelines.flows._runtime import run_flow
        from pipelines.flows.casestudy import CaseStudyBuildConfig, casestudy_flow

        if name not in case_study_names():
            raise UserError(f"unknown case study {name!r}; known: {', '.join(case_study_names())}")
        config = CaseStudyBuildConfig(name=name, out=out, declarations=declarations, seed=seed)
        config.study_config()  # refuse bad options before any work
        summary = run_flow(casestudy_flow, config)
    planted = ", ".join(f"{n} {lane}" for lane, n in summary.planted_lanes.items())
    typer.echo(
        f"case study {name}: {summary.batch_declarations:,} declarations in the batch; "
        f"{summary.planted} planted shipments: {planted}"
    )
    typer.echo(f"  hand out {out / 'officers'}; keep {out / 'trainer'} (answers.md)")
    if summary.model_fallbacks:
        typer.echo(
            "warning: too few inspection results to train a model for "
            f"{', '.join(summary.model_fallbacks)}: base rates only (a bigger world helps)",
            err=True,
        )


def _day(value: datetime.datetime | None) -> datetime.date | None:
    return value.date() if value is not None else None


def _print_counts(summary: dict[str, Any]) -> None:
    typer.echo(
        f"{Path(summary['file']).name} ({summary['kind']}): {summary['rows_in']:,} rows in, "
        f"{summary['rows_valid']:,} valid, {summary['rows_quarantined']:,} quarantined"
    )
    for reason, count in sorted(summary["reasons"].items(), key=lambda item: -item[1]):
        typer.echo(f"  {count:>9,}  {reason}")
    if summary["extra_columns"]:
        typer.echo(f"  extra columns kept and reported: {', '.join(summary['extra_columns'])}")


class _StatusHandler(logging.Handler):
    """Shows the latest step log line in the progress spinner."""

    def __init__(self, update: Callable[[str], None]) -> None:
        super().__init__(logging.INFO)
        self.update = update

    def emit(self, record: logging.LogRecord) -> None:
        self.update(record.getMessage())


@contextmanager
def _progress(label: str) -> Iterator[None]:
    """A spinner on stderr while a long step runs (only on a terminal; silent in pipes)."""
    from rich.console import Console

    console = Console(stderr=True)
    if not console.is_terminal:
        yield
        return
    logger = logging.getLogger("gcrisk")
    with console.status(label) as status:
        handler = _StatusHandler(lambda message: status.update(f"{label}: {message}"))
        logger.addHandler(handler)
        try:
            yield
        finally:
            logger.removeHandler(handler)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _fail(message: str, code: int = USAGE_ERROR) -> NoReturn:
    sys.stderr.write(f"error: {_one_line(message).replace('Value error, ', '')}\n")
    sys.exit(code)


def _validation_message(error: Any) -> str:
    """First problem of a pydantic ValidationError as `field: message`."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    message = str(first.get("msg", error)).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _describe(error: Exception) -> tuple[str, int]:
    """The one-line message and exit status for an error raised by a command."""
    import pydantic

    from data_contracts.coercion import TableError
    from pipelines.warehouse import WarehouseError

    if isinstance(error, pydantic.ValidationError):
        return _validation_message(error), USAGE_ERROR
    # OSError: unwritable --out, a full disk, a path that is a file: the environment, not code.
    if isinstance(error, UserError | TableError | WarehouseError | OSError):
        return str(error), USAGE_ERROR
    if os.environ.get("GCRISK_DEBUG"):
        traceback.print_exc()
    message = f"unexpected {type(error).__name__}: {error} (GCRISK_DEBUG=1 shows the traceback)"
    return message, INTERNAL_ERROR


class _StderrHandler(logging.Handler):
    """Writes to whatever `sys.stderr` is at the time (so captured output sees it)."""

    def emit(self, record: logging.LogRecord) -> None:
        sys.stderr.write(self.format(record) + "\n")


def _setup_logging() -> None:
    logger = logging.getLogger("gcrisk")
    if not any(isinstance(handler, _StderrHandler) for handler in logger.handlers):
        handler = _StderrHandler(logging.WARNING)  # -v lowers it to INFO
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    # Steps log at INFO: the spinner shows them; stderr only with -v.
    logger.setLevel(logging.INFO)
    logger.propagate = False


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Entry point of the `gcrisk` script."""
    try:
        settings = configure_offline_environment()
        settings.prefect_home.mkdir(parents=True, exist_ok=True)
    except ValueError as error:  # a GCRISK_ variable that does not parse
        _fail(f"bad GCRISK_ setting: {_validation_message(error)}")
    except OSError as error:
        _fail(f"cannot use GCRISK_HOME: {error}")
    _setup_logging()
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="gcrisk", standalone_mode=False)
    except click_errors.NoArgsIsHelpError as error:
        typer.echo(error.ctx.get_help() if error.ctx else error.format_message())
        sys.exit(0)
    except click_errors.UsageError as error:
        _fail(error.format_message())
    except typer.Abort:
        _fail("aborted", 130)
    except click_errors.ClickException as error:
        _fail(error.format_message(), error.exit_code)
    except Exception as error:
        _fail(*_describe(error))
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
