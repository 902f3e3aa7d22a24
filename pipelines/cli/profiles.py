"""Commands for the risk unit's profiles: `gcrisk profiles list | check | backtest ID`."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Annotated

import typer

from pipelines.cli._core import DATE_FORMATS, USAGE_ERROR, Today, app, as_day, progress
from pipelines.settings import Settings

profiles_app = typer.Typer(
    help="The unit's risk profiles (GCRISK_PROFILES folder, default the shipped set).",
    no_args_is_help=True,
)
app.add_typer(profiles_app, name="profiles")


@profiles_app.command("list")
def profiles_list(today: Today = None) -> None:
    """Every profile: id, version, status, lane, window, owner, approval, expiring soon."""
    from pipelines.flows.profiles import list_profiles

    listing = list_profiles(Settings(), as_day(today) or datetime.date.today())
    typer.echo(f"{len(listing.profiles)} profiles from {listing.source} on {listing.on}")
    typer.echo(f"  set {listing.fingerprint}: {listing.version_label}")
    for p in listing.profiles:
        flag = "  EXPIRING SOON" if p.expiring_soon else ""
        typer.echo(
            f"{p.id:<7} v{p.version:<3} {p.status:<7} {p.lane:<6} {p.window:<26} "
            f"{p.owner:<12} approved: {p.approval or 'no'}  [{p.standing}]{flag}"
        )


@profiles_app.command("check")
def profiles_check(today: Today = None) -> None:
    """Parse every profile file; report errors (exit 2) and warnings (expired, expiring)."""
    from pipelines.flows.profiles import check_profiles

    report = check_profiles(Settings(), as_day(today) or datetime.date.today())
    for warning in report.warnings:
        typer.echo(f"warning: {warning}", err=True)
    for error in report.errors:
        typer.echo(f"error: {error}", err=True)
    typer.echo(
        f"{report.files} profile file(s) in {report.source}: {len(report.errors)} error(s), "
        f"{len(report.warnings)} warning(s)"
    )
    if report.errors:
        raise typer.Exit(USAGE_ERROR)


@profiles_app.command("backtest")
def profiles_backtest(
    profile: Annotated[str, typer.Argument(help="Profile id (see gcrisk profiles list)")],
    since: Annotated[
        datetime.datetime | None,
        typer.Option(formats=DATE_FORMATS, help="First declaration day (default: the first)"),
    ] = None,
    until: Annotated[
        datetime.datetime | None,
        typer.Option(formats=DATE_FORMATS, help="Day after the last (default: after the latest)"),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Folder for the outputs (default: $GCRISK_HOME/profiles/ID)")
    ] = None,
) -> None:
    """Backtest one profile on the warehouse: volume, hit rates, overlaps; backtest.html."""
    from pipelines.flows.profiles import BacktestConfig, profile_backtest_flow
    from pipelines.runtime import run_flow

    config = BacktestConfig(profile=profile, since=as_day(since), until=as_day(until), out=out)
    with progress(f"backtesting {profile}"):
        summary = run_flow(profile_backtest_flow, config)
    result, stream = summary.backtest, summary.backtest.random_stream
    typer.echo(
        f"{profile} v{summary.profile.version} ({summary.profile.status}), "
        f"{result.since} to before {result.until}: {result.fires:,} fires in "
        f"{result.declarations:,} declarations, {result.fires_per_month:.1f} per month "
        f"(expected {_or_none(summary.profile.expected_volume_per_month)})"
    )
    inspected = "n/a" if result.inspected_hit_rate is None else f"{result.inspected_hit_rate:.1%}"
    typer.echo(
        f"  hit rate of the inspected fires: {inspected} ({result.hits} of {result.results})"
    )
    if stream.hit_rate is None:
        typer.echo("  random stream: no result among the fires, no unbiased estimate")
    else:
        typer.echo(
            f"  random stream (inverse-propensity): {stream.hit_rate:.1%}, 95% Wilson interval "
            f"{stream.low:.1%} to {stream.high:.1%} ({stream.random_results} results)"
        )
    typer.echo(f"  expected hit rate {_or_none(summary.profile.expected_hit_rate)}")
    share = result.model_red.share
    typer.echo("  also in the model's red lane: " + ("n/a" if share is None else f"{share:.1%}"))
    typer.echo(
        f"  wrote {Path(summary.outputs['backtest.json']).parent}: backtest.html, backtest.json"
    )


def _or_none(value: float | None) -> str:
    return "none set" if value is None else f"{value:g}"
