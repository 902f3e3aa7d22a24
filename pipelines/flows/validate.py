"""`validate-table`: check a received file against its contract; write valid rows and quarantine."""

from __future__ import annotations

import datetime
from pathlib import Path

from prefect import flow
from pydantic import BaseModel, Field

from data_contracts.validation import ValidationResult
from pipelines.runtime import get_logger, step
from pipelines.steps.intake import TableKind, ValidationSummary, read_received, validate_table
from pipelines.storage import io


class ValidateConfig(BaseModel):
    """What to validate and where to write the results."""

    file: Path = Field(description="Received table, CSV (UTF-8) or Parquet")
    kind: TableKind = Field(description="Which contract the table must meet")
    out: Path = Field(description="Folder for valid.parquet, quarantine.parquet, validation.json")
    today: datetime.date | None = Field(
        default=None, description="Date after which dates count as future (default: today)"
    )


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
