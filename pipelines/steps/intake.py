"""The intake of a received table: read it, check it against its contract, pseudonymise its
ids and load it into the warehouse, with its quarantine, in one transaction."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, Field, ValidationError

from data_contracts.coercion import TableError
from data_contracts.privacy import pseudonymise
from data_contracts.validation import ValidationResult, validate
from pipelines.runtime import get_logger, step
from pipelines.settings import WarehouseLocation
from pipelines.storage import io
from pipelines.storage.warehouse import DECLARED_SOURCE, UpsertCounts, Warehouse, utc_now

TableKind = Literal["declarations", "inspections", "permits"]


class ValidationSummary(BaseModel):
    """The counts of one validation; rows_in always equals rows_valid + rows_quarantined."""

    file: str
    kind: TableKind
    rows_in: int
    rows_valid: int
    rows_quarantined: int
    reasons: dict[str, int]
    extra_columns: list[str]

    @classmethod
    def of(cls, result: ValidationResult, *, file: Path, kind: TableKind) -> ValidationSummary:
        """Summarise a validation result, checking that its counts reconcile."""
        summary = cls(file=str(file), kind=kind, **result.summary())
        if summary.rows_in != summary.rows_valid + summary.rows_quarantined:
            raise RuntimeError(f"{file}: counts do not reconcile: {summary.model_dump()}")
        return summary


@step(name="read-table", retries=2)
def read_received(path: Path) -> pd.DataFrame:
    """Read a received CSV or Parquet file (every CSV column as text)."""
    frame = io.read_table(path)
    get_logger().info("read %d rows and %d columns from %s", *frame.shape, path)
    return frame


@step(name="validate-table")
def validate_table(
    frame: pd.DataFrame,
    kind: TableKind,
    today: datetime.date | None,
    *,
    source: Path | str | None = None,
) -> ValidationResult:
    """Split a table into valid and quarantined rows by its contract.

    Raises:
        TableError: the table as a whole is unusable; the message names `source` when given.
    """
    try:
        result = validate(frame, kind, today=today)
    except TableError as error:
        if source is None:
            raise
        raise TableError(f"{source}: {error}") from None
    get_logger().info(
        "%s: %d rows in, %d valid, %d quarantined",
        kind,
        result.rows_in,
        len(result.valid),
        len(result.quarantine),
    )
    return result


@step(name="pseudonymise-ids")
def pseudonymise_ids(result: ValidationResult, key: bytes | None) -> ValidationResult:
    """Replace trader, declarant and permit holder ids by keyed pseudonyms, in valid and
    quarantined rows."""
    if key is None:
        return result
    get_logger().info("pseudonymising trader_id, declarant_id and holder_id")
    return ValidationResult(
        valid=pseudonymise(result.valid, key),
        quarantine=pseudonymise(result.quarantine, key),
        rows_in=result.rows_in,
        extra_columns=result.extra_columns,
        reason_counts=result.reason_counts,
    )


@step(name="check-pseudonym-key")
def check_pseudonym_key(warehouse: WarehouseLocation, fingerprint: str) -> None:
    """Fail fast, before reading the file, when the key state is not the warehouse's."""
    if warehouse.exists():
        with Warehouse(warehouse) as store:
            store.check_key(fingerprint)


@step(name="load-warehouse", retries=2)
def load_warehouse(
    warehouse: WarehouseLocation,
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
def record_run(
    warehouse: WarehouseLocation, summary: ValidationSummary, started: datetime.datetime
) -> str:
    """Log an ingest in the warehouse's `runs` table (the summary as its details)."""
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


#: The tables `gcrisk import` writes next to its `import.json`.
IMPORTED_TABLES = ("declarations.parquet", "inspections.parquet")


class DeclaredSource(BaseModel):
    """What imported data declares about itself through its mapping (from `import.json`)."""

    mapping: str
    target: list[str] = Field(default_factory=list)
    disabled_features: list[str] = Field(default_factory=list)


def imported_source(file: Path) -> DeclaredSource | None:
    """The mapping's declarations for a table `gcrisk import` wrote (its `import.json` lies
    next to it); None for any other file."""
    manifest = file.parent / "import.json"
    if file.name not in IMPORTED_TABLES or not manifest.is_file():
        return None
    try:
        return DeclaredSource.model_validate(json.loads(manifest.read_text(encoding="utf-8")))
    except (ValueError, ValidationError):
        get_logger().warning("%s: not an import.json of gcrisk import; ignored", manifest)
        return None


@step(name="record-declared-source", retries=2)
def record_declared_source(warehouse: WarehouseLocation, source: DeclaredSource) -> None:
    """Keep what the ingested data declares (its target, its disabled features) for training."""
    with Warehouse(warehouse) as store:
        store.set_meta(DECLARED_SOURCE, source.model_dump_json(), at=utc_now())
    target = ", ".join(source.target) or "none (the environmental categories)"
    get_logger().info("data from mapping %s declares target %s", source.mapping, target)


def declared_source(warehouse: WarehouseLocation) -> DeclaredSource | None:
    """What the last ingested import declared, or None (no warehouse, or nothing declared)."""
    if not warehouse.exists():
        return None
    with Warehouse(warehouse, read_only=True) as store:
        value = store.meta(DECLARED_SOURCE)
    return None if value is None else DeclaredSource.model_validate_json(value)


@step(name="write-validation-outputs", retries=2)
def write_validation_outputs(
    result: ValidationResult, summary: ValidationSummary, out: Path
) -> Path:
    """Write valid.parquet, quarantine.parquet and validation.json (that last, as a commit mark)."""
    io.write_parquet(result.valid, out / "valid.parquet")
    io.write_parquet(result.quarantine, out / "quarantine.parquet")
    io.write_json(summary.model_dump(mode="json"), out / "validation.json")
    get_logger().info("wrote %s", out)
    return out
