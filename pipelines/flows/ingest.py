"""`ingest-table`: validate a received file, keep its quarantine, upsert it into the warehouse."""

from __future__ import annotations

import datetime
from pathlib import Path

import pandas as pd
from prefect import flow
from pydantic import BaseModel, Field

from data_contracts.validation import ValidationResult
from pipelines.flows._runtime import get_logger, step
from pipelines.flows.validate import TableKind, ValidationSummary, read_received, validate_table
from pipelines.privacy import key_fingerprint, pseudonymise
from pipelines.settings import Settings
from pipelines.warehouse import UpsertCounts, Warehouse, utc_now


class IngestConfig(BaseModel):
    """Which file to ingest as which table. The warehouse and pseudonym key come from settings."""

    file: Path = Field(description="Received table, CSV (UTF-8) or Parquet")
    kind: TableKind = Field(description="Which table the file feeds")
    today: datetime.date | None = Field(
        default=None, description="Date after which dates count as future (default: today)"
    )


class IngestSummary(ValidationSummary):
    """Validation counts plus what the upsert did; rows_valid = inserted + replaced."""

    inserted: int
    replaced: int
    table_rows: int
    pseudonymised: bool
    warehouse: str
    run_id: str = ""


@step(name="pseudonymise-ids")
def pseudonymise_ids(result: ValidationResult, key: bytes | None) -> ValidationResult:
    """Replace trader and declarant ids by keyed pseudonyms, in valid and quarantined rows."""
    if key is None:
        return result
    get_logger().info("pseudonymising trader_id and declarant_id")
    return ValidationResult(
        valid=pseudonymise(result.valid, key),
        quarantine=pseudonymise(result.quarantine, key),
        rows_in=result.rows_in,
        extra_columns=result.extra_columns,
        reason_counts=result.reason_counts,
    )


@step(name="check-pseudonym-key")
def check_pseudonym_key(warehouse: Path, fingerprint: str) -> None:
    """Fail fast, before reading the file, when the key state is not the warehouse's."""
    if warehouse.exists():
        with Warehouse(warehouse) as store:
            store.check_key(fingerprint)


@step(name="load-warehouse", retries=2)
def load_warehouse(
    warehouse: Path,
    kind: TableKind,
    result: ValidationResult,
    *,
    source: str,
    at: datetime.datetime,
    key_fingerprint: str,
) -> UpsertCounts:
    """Keep the quarantined rows and upsert the valid ones, in one transaction (the first load
    records the pseudonym key's fingerprint; a load under another key state changes nothing)."""
    valid: pd.DataFrame = result.valid
    with Warehouse(warehouse) as store:
        counts = store.load(
            kind,
            valid,
            result.quarantine,
            source_file=source,
            at=at,
            key_fingerprint=key_fingerprint,
        )
    get_logger().info(
        "%s: %d inserted, %d replaced, %d rows in the table",
        kind,
        counts.inserted,
        counts.replaced,
        counts.table_rows,
    )
    return counts


def reconcile(validation: ValidationSummary, counts: UpsertCounts) -> None:
    """Fail loudly when the rows loaded are not exactly the valid rows."""
    if counts.inserted + counts.replaced != validation.rows_valid:
        raise RuntimeError(
            f"{validation.file}: {validation.rows_valid} valid rows but "
            f"{counts.inserted} inserted + {counts.replaced} replaced"
        )


@step(name="record-run", retries=2)
def record_run(warehouse: Path, summary: IngestSummary, started: datetime.datetime) -> str:
    """Log the ingest in the warehouse's `runs` table."""
    with Warehouse(warehouse) as store:
        return store.record_run(
            flow="ingest-table",
            status="completed",
            started_at=started,
            finished_at=utc_now(),
            rows_in=summary.rows_in,
            rows_valid=summary.rows_valid,
            rows_quarantined=summary.rows_quarantined,
            details=summary.model_dump(mode="json", exclude={"run_id"}),
        )


@flow(name="ingest-table", validate_parameters=True)
def ingest_flow(config: IngestConfig) -> IngestSummary:
    """Validate a file, quarantine its bad rows and upsert the good ones by declaration_id."""
    settings = Settings()
    started = utc_now()
    source = str(config.file.resolve())
    fingerprint = key_fingerprint(settings.key_bytes())
    check_pseudonym_key(settings.warehouse_path, fingerprint)
    frame = read_received(config.file)
    result = validate_table(frame, config.kind, config.today, source=config.file)
    validation = ValidationSummary.of(result, file=config.file, kind=config.kind)
    result = pseudonymise_ids(result, settings.key_bytes())
    counts = load_warehouse(
        settings.warehouse_path,
        config.kind,
        result,
        source=source,
        at=started,
        key_fingerprint=fingerprint,
    )
    reconcile(validation, counts)
    summary = IngestSummary(
        **validation.model_dump(),
        inserted=counts.inserted,
        replaced=counts.replaced,
        table_rows=counts.table_rows,
        pseudonymised=settings.pseudonym_key is not None,
        warehouse=str(settings.warehouse_path),
    )
    run_id = record_run(settings.warehouse_path, summary, started)
    return summary.model_copy(update={"run_id": run_id})
