"""`validate-table`: check a received file against its contract; write valid rows and quarantine."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Literal

import pandas as pd
from prefect import flow
from pydantic import BaseModel, Field

from data_contracts.coercion import TableError
from data_contracts.validation import ValidationResult, validate
from pipelines import io
from pipelines.flows._runtime import get_logger, step

TableKind = Literal["declarations", "inspections"]


class ValidateConfig(BaseModel):
    """What to validate and where to write the results."""

    file: Path = Field(description="Received table, CSV (UTF-8) or Parquet")
    kind: TableKind = Field(description="Which contract the table must meet")
    out: Path = Field(description="Folder for valid.parquet, quarantine.parquet, validation.json")
    today: datetime.date | None = Field(
        default=None, description="Date after which dates count as future (default: today)"
    )


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


@flow(name="validate-table", validate_parameters=True)
def validate_flow(config: ValidateConfig) -> ValidationSummary:
    """Validate one received file and write its valid rows, quarantine and counts."""
    frame = read_received(config.file)
    result = validate_table(frame, config.kind, config.today, source=config.file)
    summary = ValidationSummary.of(result, file=config.file, kind=config.kind)
    write_validation_outputs(result, summary, config.out)
    return summary
