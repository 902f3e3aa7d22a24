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
from pipelines.settings import Settings


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
    from pipelines.flows.train import TrainFlowConfig, train_flow
    from pipelines.runtime import run_flow

    disabled = list(without or [])
    if mapping is not None:
        from data_contracts.mappings import MappingError
        from pipelines.flows.import_table import load_mapping

        try:
            disabled += load_mapping(mapping).disabled_features
        except MappingError as error:
            raise UserError(str(error)) from None
    config = TrainFlowConfig(
        until=as_day(until), promote=promote, truth=truth, disabled_features=tuple(disabled)
    )
    if config.disabled_features:
        left_out = config.disabled_features
        typer.echo(f"leaving out {len(left_out)} features: {', '.join(left_out)}")
    if target:
        from models.training import TrainConfig

        TrainConfig(targets=tuple(target))  # refuse an unknown target before any work
        config = TrainFlowConfig(**{**config.model_dump(), "targets": tuple(target)})
    with progress("training"):
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
    from pipelines.storage import tracking

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
    from pipelines.storage.io import read_table

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
