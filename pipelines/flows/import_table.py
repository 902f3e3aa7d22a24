"""`import-table`: bring a foreign export into the canonical tables through a column mapping.

Reads FILE, applies the mapping (a shipped name such as `kcs`, or a YAML file), checks the mapped
declarations and inspection results against their contracts and writes, to the output folder:

* `declarations.parquet`: the rows that mapped and passed (canonical columns, then the source
  columns no rule reads, kept as extra columns);
* `inspections.parquet`: their inspection results, when the mapping has an inspections section;
* `quarantine.parquet`: every other row as received, with `source_row` (1 = first data row) and
  `quarantine_reason` (mapping failures, then `declaration: ...` and `inspection: ...` reasons);
* `import.json`: the counts, which reconcile: rows_in = declarations + quarantined.

A source row is one declaration and, optionally, its result: if either part fails, the whole
row is quarantined, so the two tables never disagree about which declarations exist.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from prefect import flow
from pydantic import BaseModel, Field

from pipelines.steps.intake import read_received
from pipelines.steps.mapping import check_contracts, map_table, mapping_step, write_import_outputs


class ImportConfig(BaseModel):
    """What to import, through which mapping, and where to write the canonical tables."""

    file: Path = Field(description="Received export, CSV (UTF-8) or Parquet")
    mapping: str = Field(description="Shipped mapping name (e.g. kcs) or path to a YAML mapping")
    out: Path = Field(description="Folder for the canonical tables, quarantine and import.json")
    today: datetime.date | None = Field(
        default=None, description="Date after which dates count as future (default: today)"
    )


class ImportSummary(BaseModel):
    """The counts of one import; rows_in always equals declarations + quarantined."""

    file: str
    mapping: str
    mapping_file: str
    rows_in: int
    declarations: int
    inspections: int | None
    quarantined: int
    reasons: dict[str, int]
    extra_columns: list[str]
    missing: list[str]
    disabled_features: list[str]
    target: list[str] = Field(
        default_factory=list, description="What the labels support, as the mapping declares it"
    )


@flow(name="import-table", validate_parameters=True)
def import_flow(config: ImportConfig) -> ImportSummary:
    """Map a foreign export to the canonical tables, check them and write them with counts."""
    mapping = mapping_step(config.mapping)
    frame = read_received(config.file)
    mapped = map_table(frame, mapping, config.file)
    result = check_contracts(frame, mapped, config.file, config.today)
    summary = ImportSummary(
        file=str(config.file),
        mapping=mapping.name,
        mapping_file=mapping.file,
        rows_in=result.rows_in,
        declarations=len(result.declarations),
        inspections=None if result.inspections is None else len(result.inspections),
        quarantined=len(result.quarantine),
        reasons=result.reasons,
        extra_columns=result.extra_columns,
        missing=list(mapping.missing),
        disabled_features=list(mapping.disabled_features),
        target=list(mapping.target),
    )
    write_import_outputs(result, summary.model_dump(mode="json"), config.out)
    return summary
