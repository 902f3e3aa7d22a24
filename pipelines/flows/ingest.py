"""`ingest-table`: validate a received file, keep its quarantine, upsert it into the warehouse."""

from __future__ import annotations

import datetime
from pathlib import Path

from prefect import flow
from pydantic import BaseModel, Field

from data_contracts.privacy import key_fingerprint
from pipelines.settings import Settings
from pipelines.steps.intake import (
    DeclaredSource,
    TableKind,
    ValidationSummary,
    check_pseudonym_key,
    imported_source,
    load_warehouse,
    pseudonymise_ids,
    read_received,
    reconcile,
    record_declared_source,
    record_run,
    validate_table,
)
from pipelines.storage.warehouse import utc_now


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
    declared: DeclaredSource | None = Field(
        default=None,
        description="What the data declares through the mapping it was imported with "
        "(recorded for `gcrisk train`), when FILE is a table written by `gcrisk import`",
    )


@flow(name="ingest-table", validate_parameters=True)
def ingest_flow(config: IngestConfig) -> IngestSummary:
    """Validate a file, quarantine its bad rows and upsert the good ones by primary key."""
    settings = Settings()
    started = utc_now()
    source = str(config.file.resolve())
    fingerprint = key_fingerprint(settings.key_bytes())
    check_pseudonym_key(settings.warehouse, fingerprint)
    frame = read_received(config.file)
    result = validate_table(frame, config.kind, config.today, source=config.file)
    validation = ValidationSummary.of(result, file=config.file, kind=config.kind)
    result = pseudonymise_ids(result, settings.key_bytes())
    counts = load_warehouse(
        settings.warehouse,
        config.kind,
        result,
        source=source,
        at=started,
        key_fingerprint=fingerprint,
    )
    reconcile(validation, counts)
    declared = imported_source(config.file)
    if declared is not None:
        record_declared_source(settings.warehouse, declared)
    summary = IngestSummary(
        **validation.model_dump(),
        inserted=counts.inserted,
        replaced=counts.replaced,
        table_rows=counts.table_rows,
        pseudonymised=settings.pseudonym_key is not None,
        warehouse=str(settings.warehouse),
        declared=declared,
    )
    run_id = record_run(settings.warehouse, summary, started)
    return summary.model_copy(update={"run_id": run_id})
