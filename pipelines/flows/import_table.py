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
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from prefect import flow
from pydantic import BaseModel, Field

from data_contracts.mappings import (
    MappedTable,
    Mapping,
    MappingError,
    apply_mapping,
    parse_mapping,
    shipped_mapping,
)
from data_contracts.schemas import PANDAS_DTYPES, SCHEMAS
from data_contracts.validation import REASON_COLUMN, ValidationResult
from features.catalogue import model_feature_names
from pipelines.runtime import get_logger, step
from pipelines.steps.intake import read_received, validate_table
from pipelines.storage import io

ROW_COLUMN = "source_row"
MAPPING_SUFFIXES = (".yaml", ".yml")


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


@dataclass(frozen=True)
class ImportResult:
    """The canonical tables, the quarantine and the counts of one import."""

    declarations: pd.DataFrame
    inspections: pd.DataFrame | None
    quarantine: pd.DataFrame
    summary: ImportSummary


def load_mapping(name_or_path: str) -> Mapping:
    """A mapping from a YAML file (a path, or a name ending in .yaml) or a shipped name.

    Raises:
        MappingError: no such file or shipped mapping, or the mapping does not parse; a feature
            listed under disabled_features is not in the catalogue.
    """
    path = Path(name_or_path)
    if path.suffix.lower() in MAPPING_SUFFIXES or path.is_file():
        if not path.is_file():
            raise MappingError(f"{path}: no such mapping file")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise MappingError(f"{path}: cannot read the mapping ({error})") from None
        mapping = parse_mapping(text, file=str(path))
    else:
        mapping = shipped_mapping(name_or_path)
    mapping.check_features(model_feature_names())
    return mapping


@step(name="load-mapping")
def mapping_step(name_or_path: str) -> Mapping:
    """Load and check the mapping (names of disabled features against the catalogue)."""
    mapping = load_mapping(name_or_path)
    get_logger().info("mapping %s from %s", mapping.name, mapping.file)
    return mapping


@step(name="map-table")
def map_table(frame: pd.DataFrame, mapping: Mapping, source: Path) -> MappedTable:
    """Apply the mapping; rows that cannot be mapped are marked with their reasons."""
    if ROW_COLUMN in frame.columns:
        raise MappingError(f"{source}: has a column named {ROW_COLUMN!r}, which gcrisk adds")
    mapped = apply_mapping(frame, mapping, table=source.name)
    get_logger().info("mapped %d rows, %d could not be mapped", len(frame), mapped.failed.sum())
    return mapped


def _checked(
    table: pd.DataFrame | None, rows: np.ndarray, kind: str, today: datetime.date | None, file: Path
) -> ValidationResult | None:
    """Contract check of the given rows, each tagged with its source row number."""
    if table is None or not rows.any():
        return None
    tagged = table[rows].assign(**{ROW_COLUMN: np.flatnonzero(rows) + 1})
    return validate_table(tagged, kind, today, source=file)  # type: ignore[arg-type]


def _failed_rows(result: ValidationResult | None, rows_in: int, prefix: str) -> pd.Series:
    """Contract reasons per source row ("" when the row passed or was not checked)."""
    reasons = pd.Series("", index=np.arange(rows_in), dtype="str")
    if result is not None and len(result.quarantine):
        positions = result.quarantine[ROW_COLUMN].to_numpy(dtype=np.int64) - 1
        named = prefix + result.quarantine[REASON_COLUMN].str.replace("; ", f"; {prefix}")
        reasons.iloc[positions] = named.to_numpy()
    return reasons


def _keep(result: ValidationResult | None, bad: np.ndarray, kind: str) -> pd.DataFrame:
    """Valid rows of a checked table whose source row is not quarantined for another reason."""
    if result is None:
        columns = SCHEMAS[kind]  # type: ignore[index]
        return pd.DataFrame({c.name: pd.Series(dtype=PANDAS_DTYPES[c.type]) for c in columns})
    rows = result.valid[ROW_COLUMN].to_numpy(dtype=np.int64) - 1
    return result.valid[~bad[rows]].drop(columns=ROW_COLUMN).reset_index(drop=True)


@step(name="check-contracts")
def check_contracts(
    frame: pd.DataFrame, mapped: MappedTable, mapping: Mapping, config: ImportConfig
) -> ImportResult:
    """Contract checks of the mapped rows; every failing source row goes to quarantine."""
    rows_in, ok = len(frame), ~mapped.failed
    declarations = _checked(mapped.declarations, ok, "declarations", config.today, config.file)
    inspections = _checked(
        mapped.inspections, ok & mapped.inspected, "inspections", config.today, config.file
    )
    parts = {
        "mapping": mapped.reasons,
        "declaration": _failed_rows(declarations, rows_in, "declaration: "),
        "inspection": _failed_rows(inspections, rows_in, "inspection: "),
    }
    reasons = pd.Series("", index=np.arange(rows_in), dtype="str")
    for part in parts.values():
        reasons = reasons.mask((part != "") & (reasons != ""), reasons + "; " + part)
        reasons = reasons.mask((part != "") & (reasons == ""), part)
    bad = (reasons != "").to_numpy()
    quarantine = frame.reset_index(drop=True)[bad].assign(
        **{ROW_COLUMN: np.flatnonzero(bad) + 1, REASON_COLUMN: reasons[bad].to_numpy()}
    )
    kept = _keep(declarations, bad, "declarations")
    results = _keep(inspections, bad, "inspections") if mapped.inspections is not None else None
    summary = ImportSummary(
        file=str(config.file),
        mapping=mapping.name,
        mapping_file=mapping.file,
        rows_in=rows_in,
        declarations=len(kept),
        inspections=None if results is None else len(results),
        quarantined=int(bad.sum()),
        reasons=_reason_counts(reasons[bad]),
        extra_columns=list(mapped.extra_columns),
        missing=list(mapping.missing),
        disabled_features=list(mapping.disabled_features),
        target=list(mapping.target),
    )
    if summary.rows_in != summary.declarations + summary.quarantined:
        raise RuntimeError(f"{config.file}: counts do not reconcile: {summary.model_dump()}")
    return ImportResult(kept, results, quarantine.reset_index(drop=True), summary)


def _reason_counts(reasons: pd.Series) -> dict[str, int]:
    """Rows per single reason (a row with two reasons counts under both)."""
    single = reasons.str.split("; ").explode()
    return {str(k): int(v) for k, v in single.value_counts().sort_index().items()}


@step(name="write-import-outputs", retries=2)
def write_import_outputs(result: ImportResult, out: Path) -> Path:
    """Write the tables and the quarantine, then import.json last (as a commit mark)."""
    io.write_parquet(result.declarations, out / "declarations.parquet")
    if result.inspections is not None:
        io.write_parquet(result.inspections, out / "inspections.parquet")
    io.write_parquet(result.quarantine, out / "quarantine.parquet")
    io.write_json(result.summary.model_dump(mode="json"), out / "import.json")
    get_logger().info("wrote %s", out)
    return out


@flow(name="import-table", validate_parameters=True)
def import_flow(config: ImportConfig) -> ImportSummary:
    """Map a foreign export to the canonical tables, check them and write them with counts."""
    mapping = mapping_step(config.mapping)
    frame = read_received(config.file)
    mapped = map_table(frame, mapping, config.file)
    result = check_contracts(frame, mapped, mapping, config)
    write_import_outputs(result, config.out)
    return result.summary
