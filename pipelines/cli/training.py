"""Commands for models: train, promote and evaluate."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from pipelines.cli._core import (
    DATE_FORMATS,
    UserError,
    app,
    as_day,
    progress,
)


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
    force_reason: Annotated[
        str | None,
        typer.Option(help="With --promote: promote even if the gate fails, for this reason"),
    ] = None,
) -> None:
    """Train on the warehouse, evaluate against baselines and the champion, register in MLflow.

    Without --target the model learns what the ingested data's mapping declares (kcs: other),
    else waste, ods and wildlife; a target with too few positives is warned about.
    """
    from pipelines.flows.train import TrainFlowConfig, train_flow
    from pipelines.runtime import run_flow

    options: dict[str, Any] = {"targets": tuple(target)} if target else {}
    config = TrainFlowConfig(
        until=as_day(until),
        promote=promote,
        truth=truth,
        disabled_features=tuple(without or ()),
        mapping=mapping,
        force_reason=force_reason,
        **options,
    )
    left_out = config.left_out()
    if left_out:
        typer.echo(f"leaving out {len(left_out)} features: {', '.join(left_out)}")
    with progress("training"):
        summary = run_flow(train_flow, config)
    for line in summary.warnings:
        typer.echo(f"warning: {line}", err=True)
    typer.echo(
        f"trained shipment-risk version {summary.model_version} ({', '.join(summary.targets)}) "
        f"on {summary.training_rows:,} inspected declarations; holdout "
        f"{summary.holdout_rows:,} declarations"
    )
    _print_holdout(summary.metrics)
    verdict = "passed" if summary.gate.passed else "failed"
    typer.echo(f"gate {verdict}: {'; '.join(summary.gate.reasons)}")
    if summary.registered_training_rows != summary.training_rows:
        typer.echo(
            f"registered the model refitted on all {summary.registered_training_rows:,} "
            "labelled declarations (holdout included); the metrics above are the evaluated one's"
        )
    champion = summary.champion_version or "none"
    typer.echo(
        f"champion: version {champion}"
        + (" (promoted now)" if summary.promoted else "")
        + f"; challenger: version {summary.model_version}; MLflow run {summary.run_id}"
    )


By = Annotated[
    str | None, typer.Option(help="Who decides, as recorded (default: your OS user name)")
]


@app.command()
def promote(
    version: Annotated[str, typer.Argument(help="Registered version of shipment-risk")],
    reason: Annotated[
        str,
        typer.Option(help="Why (recorded on the registry with who and when)", show_default=False),
    ],
    by: By = None,
) -> None:
    """Make VERSION the champion (a human decision after reading the gate), with a reason."""
    from pipelines.flows.promote import PromoteConfig, promote_flow

    config = PromoteConfig(version=version, reason=reason, **({"by": by} if by else {}))
    _print_promotion(_run_registry(promote_flow, config))


@app.command()
def rollback(
    reason: Annotated[
        str, typer.Option(help="Why (recorded on the registry with who and when)")
    ] = "rollback",
    by: By = None,
) -> None:
    """Restore the champion that the last promotion replaced."""
    from pipelines.flows.promote import RollbackConfig, rollback_flow

    config = RollbackConfig(reason=reason, **({"by": by} if by else {}))
    _print_promotion(_run_registry(rollback_flow, config))


def _run_registry(flow: Any, config: Any) -> Any:
    from pipelines.runtime import run_flow
    from pipelines.storage.tracking import RegistryError

    try:
        return run_flow(flow, config)
    except RegistryError as error:
        raise UserError(str(error)) from None


def _print_promotion(summary: Any) -> None:
    was = summary.previous or "none"
    note = " (already champion)" if summary.unchanged else ""
    typer.echo(f"champion: version {summary.version}{note} (was {was})")
    typer.echo(f"recorded: by {summary.by} at {summary.at}: {summary.reason}")


@app.command()
def evaluate(
    scores: Annotated[Path, typer.Option(help="scores.parquet or .csv", show_default=False)],
    truth: Annotated[
        Path,
        typer.Option(help="truth.parquet, or inspection results (CSV/Parquet)", show_default=False),
    ],
    count: Annotated[
        list[str] | None,
        typer.Option(
            help="Violation category a result counts as a hit (repeatable; default waste, ods, "
            "wildlife; 'other' for a revenue model)"
        ),
    ] = None,
) -> None:
    """Precision, recall, hit rate and lift at 1/2/5/10% budgets, per category, as JSON."""
    import json

    from pipelines.flows.evaluate import EvaluateConfig, evaluate_flow
    from pipelines.runtime import run_flow

    options: dict[str, Any] = {"count": tuple(count)} if count else {}
    summary = run_flow(evaluate_flow, EvaluateConfig(scores=scores, truth=truth, **options))
    typer.echo(json.dumps(summary.model_dump(mode="json")["metrics"], indent=2))


def _print_holdout(metrics: dict[str, Any]) -> None:
    typer.echo("holdout (inspected declarations), precision / recall at 5%:")
    for name, groups in metrics.items():
        overall = groups["overall"]
        at = overall.at_budget["5%"]
        typer.echo(
            f"  {name:<10} {at.precision:.3f} / {at.recall:.3f}   PR-AUC {overall.pr_auc:.3f}"
        )
