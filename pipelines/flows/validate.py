"""`validate-table`: check a received file against its contract; write valid rows and quarantine."""

from __future__ import annotations

import datetime
from pathlib import Path

from prefect import flow
from pydantic import BaseModel, Field

from pipelines.steps.intake import (
    TableKind,
    ValidationSummary,
    read_received,
    validate_table,
    write_validation_outputs,
)


class ValidateConfig(BaseModel):
    """What to validate and where to write the results."""

    file: Path = Field(description="Received table, CSV (UTF-8) or Parquet")
    kind: TableKind = Field(description="Which contract the table must meet")
    out: Path = Field(description="Folder for valid.parquet, quarantine.parquet, validation.json")
    today: datetime.date | None = Field(
        default=None, description="Date after which dates count as future (default: today)"
    )


@flow(name="validate-table", validate_parameters=True)
def validate_flow(config: ValidateConfig) -> ValidationSummary:
    """Validate one received file and write its valid rows, quarantine and counts."""
    frame = read_received(config.file)
    result = validate_table(frame, config.kind, config.today, source=config.file)
    summary = ValidationSummary.of(result, file=config.file, kind=config.kind)
    write_validation_outputs(result, summary, config.out)
    return summary
