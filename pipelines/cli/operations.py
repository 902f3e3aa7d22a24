"""Commands for the daily work: score, feedback, monitor and the demo."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pipelines.cli._core import (
    ALERT_EXIT,
    DATE_FORMATS,
    Today,
    app,
    as_day,
    progress,
)
from pipelines.settings import Settings

if TYPE_CHECKING:
    from pipelines.flows.feedback import HitRate


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
    seed: Annotated[int, typer.Option(min=0, help="Seed of the random exploration stream")] = 0,
    today: Today = None,
) -> None:
    """Score a batch: lanes within capacity, reasons, scores, quarantine, report, summary."""
    from pipelines.flows.score import ScoreConfig, score_flow
    from pipelines.runtime import run_flow

    config = ScoreConfig(
        file=file,
        out=out,
        budget=budget,
        exploration=exploration,
        capacity=capacity,
        seed=seed,
        today=as_day(today),
    )
    with progress(f"scoring {file.name}"):
        summary = run_flow(score_flow, config)
    if summary.banner:
        typer.echo(f"warning: {summary.banner}", err=True)
    for line in summary.warnings:
        typer.echo(f"warning: {line}", err=True)
    lanes = ", ".join(f"{n:,} {lane}" for lane, n in summary.lanes.items())
    typer.echo(
        f"{file.name}: {summary.rows_in:,} rows in, {summary.rows_scored:,} scored, "
        f"{summary.rows_quarantined:,} quarantined; lanes: {lanes}; model {summary.model_version}"
    )
    typer.echo(
        f"  wrote {out}: scores.parquet, scores.csv, quarantine.parquet, report.html, summary.json"
    )
    typer.echo(f"  decision record: run {summary.decision_run_id} (gcrisk decisions run ID)")


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
    from pipelines.flows.feedback import FeedbackConfig, feedback_flow
    from pipelines.runtime import run_flow

    config = FeedbackConfig(file=file, out=out, today=as_day(today))
    with progress(f"reading results from {file.name}"):
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
    rates = summary.hit_rates
    _print_rates("hit rate by lane (this file)", [(row.lane, row) for row in rates.lane])
    _print_rates(
        "hit rate by selection reason (this file)",
        [(row.selection_reason, row) for row in rates.selection_reason],
    )
    typer.echo(
        f"  wrote {Path(summary.outputs['feedback.json']).parent}: " + ", ".join(summary.outputs)
    )


def _print_rates(title: str, rows: list[tuple[str, HitRate]]) -> None:
    typer.echo(title + ":")
    typer.echo(f"  {'':<16} {'results':>8} {'violations':>10} {'hit rate':>8}")
    for label, row in rows:
        typer.echo(f"  {label:<16} {row.results:>8,} {row.violations:>10,} {row.hit_rate:>8.3f}")


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
    from pipelines.flows.monitor import MonitorConfig, monitor_flow
    from pipelines.runtime import run_flow

    config = MonitorConfig(
        since=as_day(since),
        days=days,
        out=out,
        feature_psi_alert=psi_threshold,
        score_psi_alert=psi_threshold,
        missed_share_alert=missed_threshold,
    )
    with progress("monitoring"):
        summary = run_flow(monitor_flow, config)
    window = summary.window
    typer.echo(
        f"window {window.start} to {window.end}: {summary.rows:,} scored declarations "
        f"({summary.previous_rows:,} in the previous window); champion {summary.champion_version}"
    )
    if summary.largest_drift:
        typer.echo(
            "  largest feature drift (PSI of present values): "
            + ", ".join(f"{row.feature} {row.psi_present:.2f}" for row in summary.largest_drift)
        )
    score_psi = "n/a" if summary.score_psi is None else f"{summary.score_psi:.3f}"
    missed = summary.missed.estimated_missed_share
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
    with progress("demo"):
        from pipelines.flows.demo import DemoConfig, demo_flow
        from pipelines.runtime import run_flow

        config = DemoConfig(out=Settings().demo_dir, declarations=declarations, seed=seed)
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
