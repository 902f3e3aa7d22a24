"""`inspection-feedback`: take in inspection results and say how targeting did.

Validate the results (bad rows to quarantine), keep each declaration's first result (a different
second result is a conflict, quarantined for a person to settle; an identical one is a harmless
repeat), quarantine results for declarations the warehouse does not hold, upsert the new ones,
and report hit rates by lane, selection reason, profile and model version.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import flow
from pydantic import BaseModel, Field

from data_contracts.privacy import key_fingerprint
from pipelines.runtime import get_logger, step
from pipelines.settings import Settings
from pipelines.steps.feedback import (
    Triage,
    as_text,
    hit_rates,
    read_for_triage,
    render_feedback_report,
    results_with_scores,
    tables_json,
    triage,
)
from pipelines.steps.intake import (
    ValidationSummary,
    check_pseudonym_key,
    read_received,
    validate_table,
)
from pipelines.storage import io
from pipelines.storage.warehouse import Warehouse, utc_now


class FeedbackConfig(BaseModel):
    """A file of inspection results and where to write the feedback report."""

    file: Path = Field(description="Inspection results, CSV (UTF-8) or Parquet")
    out: Path | None = Field(
        default=None,
        description="Folder for feedback.json/.html (default $GCRISK_HOME/feedback/DAY)",
    )
    today: datetime.date | None = Field(default=None, description="Reference day for dates")

    def out_dir(self, settings: Settings) -> Path:
        """`out`, or $GCRISK_HOME/feedback/<today>."""
        day = self.today or datetime.date.today()
        return self.out or settings.home / "feedback" / day.isoformat()


class FeedbackSummary(BaseModel):
    """Counts of one feedback file (rows_in = invalid + new + repeated + conflicts + unknown)."""

    file: str
    rows_in: int
    rows_quarantined: int
    invalid: int
    new: int
    repeated: int
    conflicts: int
    unknown_declarations: int
    reasons: dict[str, int]
    hit_rates: dict[str, list[dict[str, Any]]]
    hit_rates_to_date: dict[str, list[dict[str, Any]]]
    outputs: dict[str, str]


@step(name="triage-results", retries=2)
def sort_results(warehouse: Path, incoming: pd.DataFrame) -> Triage:
    """New results, identical repeats, conflicts and unknown declarations."""
    with Warehouse(warehouse, read_only=True) as store:
        recorded, declared = read_for_triage(store, incoming)
    sorted_ = triage(incoming, recorded, declared)
    get_logger().info(
        "%d new, %d repeated, %d conflicting, %d for unknown declarations",
        len(sorted_.new),
        len(sorted_.repeated),
        len(sorted_.conflicts),
        len(sorted_.unknown),
    )
    return sorted_


@step(name="load-results", retries=2)
def load_results(
    warehouse: Path,
    new: pd.DataFrame,
    quarantine: pd.DataFrame,
    *,
    source: str,
    at: datetime.datetime,
    fingerprint: str,
) -> None:
    """Upsert the new results and keep every quarantined row, in one transaction."""
    with Warehouse(warehouse) as store:
        store.load(
            "inspections", new, quarantine, source_file=source, at=at, key_fingerprint=fingerprint
        )


@step(name="hit-rates", retries=2)
def compute_hit_rates(
    warehouse: Path, ids: pd.Series
) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """Hit rates of this file's accepted results, and of every result to date."""
    with Warehouse(warehouse, read_only=True) as store:
        every = results_with_scores(store)
    return hit_rates(every[every["declaration_id"].isin(ids)]), hit_rates(every)


@flow(name="inspection-feedback", validate_parameters=True)
def feedback_flow(config: FeedbackConfig) -> FeedbackSummary:
    """Validate and take in inspection results; report conflicts and hit rates."""
    settings = Settings()
    started = utc_now()
    fingerprint = key_fingerprint(settings.key_bytes())
    check_pseudonym_key(settings.warehouse_path, fingerprint)
    out = config.out_dir(settings)
    frame = read_received(config.file)
    result = validate_table(frame, "inspections", config.today, source=config.file)
    validation = ValidationSummary.of(result, file=config.file, kind="inspections")
    sorted_ = sort_results(settings.warehouse_path, result.valid)
    quarantine = pd.concat([as_text(result.quarantine), sorted_.quarantine()], ignore_index=True)
    load_results(
        settings.warehouse_path,
        sorted_.new,
        quarantine,
        source=str(config.file.resolve()),
        at=started,
        fingerprint=fingerprint,
    )
    accepted = pd.concat([sorted_.new["declaration_id"], sorted_.repeated["declaration_id"]])
    this_file, to_date = compute_hit_rates(settings.warehouse_path, accepted)
    summary = FeedbackSummary(
        file=str(config.file),
        rows_in=validation.rows_in,
        rows_quarantined=len(quarantine),
        invalid=validation.rows_quarantined,
        new=len(sorted_.new),
        repeated=len(sorted_.repeated),
        conflicts=len(sorted_.conflicts),
        unknown_declarations=len(sorted_.unknown),
        reasons=validation.reasons,
        hit_rates=tables_json(this_file),
        hit_rates_to_date=tables_json(to_date),
        outputs={name: str(out / name) for name in FEEDBACK_FILES},
    )
    write_feedback(summary, sorted_, quarantine, this_file, to_date, out)
    return summary


FEEDBACK_FILES = ("quarantine.parquet", "feedback.html", "feedback.json")


@step(name="write-feedback", retries=2)
def write_feedback(
    summary: FeedbackSummary,
    sorted_: Triage,
    quarantine: pd.DataFrame,
    this_file: dict[str, pd.DataFrame],
    to_date: dict[str, pd.DataFrame],
    out: Path,
) -> None:
    """quarantine.parquet, feedback.html, and feedback.json last (its presence marks success)."""
    payload = summary.model_dump(mode="json")
    io.write_parquet(quarantine, out / "quarantine.parquet")
    page = render_feedback_report(payload, sorted_.conflicts, this_file, to_date)
    io.write_text(page, out / "feedback.html")
    io.write_json(payload, out / "feedback.json")
    get_logger().info("wrote %s", out)
