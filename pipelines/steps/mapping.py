"""The steps of `import-table`: load a column mapping, apply it, check the mapped rows against
their contracts (every failing source row to quarantine, with its reasons) and write the outputs.

`load_mapping` is also how `train --mapping` finds the features a source cannot fill.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

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
from pipelines.steps.intake import validate_table
from pipelines.storage import io

ROW_COLUMN = "source_row"
MAPPING_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class ImportResult:
    """The canonical tables and the quarantine of one import, with the counts behind them:
    `rows_in` always equals the declarations plus the quarantined rows."""

    declarations: pd.DataFrame
    inspections: pd.DataFrame | None
    quarantine: pd.DataFrame
    rows_in: int
    reasons: dict[str, int]
    extra_columns: list[str]


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
    frame: pd.DataFrame, mapped: MappedTable, file: Path, today: datetime.date | None
) -> ImportResult:
    """Contract checks of the mapped rows; every failing source row goes to quarantine."""
    rows_in, ok = len(frame), ~mapped.failed
    declarations = _checked(mapped.declarations, ok, "declarations", today, file)
    inspections = _checked(mapped.inspections, ok & mapped.inspected, "inspections", today, file)
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
    result = ImportResult(
        declarations=kept,
        inspections=results,
        quarantine=quarantine.reset_index(drop=True),
        rows_in=rows_in,
        reasons=_reason_counts(reasons[bad]),
        extra_columns=list(mapped.extra_columns),
    )
    if result.rows_in != len(result.declarations) + len(result.quarantine):
        raise RuntimeError(
            f"{file}: counts do not reconcile: {rows_in} rows in, {len(kept)} declarations, "
            f"{len(result.quarantine)} quarantined"
        )
    return result


def _reason_counts(reasons: pd.Series) -> dict[str, int]:
    """Rows per single reason (a row with two reasons counts under both)."""
    single = reasons.str.split("; ").explode()
    return {str(k): int(v) for k, v in single.value_counts().sort_index().items()}


@step(name="write-import-outputs", retries=2)
def write_import_outputs(result: ImportResult, counts: dict[str, Any], out: Path) -> Path:
    """Write the tables and the quarantine, then `counts` as import.json last (a commit mark)."""
    io.write_parquet(result.declarations, out / "declarations.parquet")
    if result.inspections is not None:
        io.write_parquet(result.inspections, out / "inspections.parquet")
    io.write_parquet(result.quarantine, out / "quarantine.parquet")
    io.write_json(counts, out / "import.json")
    get_logger().info("wrote %s", out)
    return out
