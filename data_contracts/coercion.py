"""Coerce a received table (CSV text or typed Parquet) to the canonical dtypes, cell by cell.

A cell that cannot be read as its column's type becomes missing and is flagged, so the row can be
quarantined with a reason; only a column where no value can be read at all stops the run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data_contracts.schemas import PANDAS_DTYPES, SCHEMAS, Column, Kind, LogicalType

#: Reason a cell of each logical type fails coercion (also the suite's type expectation wording).
TYPE_REASONS: dict[LogicalType, str] = {
    "string": "not text",
    "date": "not a date (YYYY-MM-DD)",
    "timestamp": "not a timestamp",
    "float": "not a number",
    "integer": "not a whole number",
    "boolean": "not true or false",
}
_TRUE = ("true", "t", "yes", "y", "1")
_FALSE = ("false", "f", "no", "n", "0")


class TableError(ValueError):
    """A whole table is unusable (message is one line, names the problem)."""


def text(values: pd.Series) -> pd.Series:
    """Values as text with surrounding whitespace stripped; empty cells become missing."""
    as_text = values if isinstance(values.dtype, pd.StringDtype) else values.astype("str")
    stripped = as_text.str.strip()
    return stripped.mask(stripped == "")


def _number(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        number = values.astype("float64")
        present = number.notna()
    else:
        cells = text(values)
        number = pd.to_numeric(cells, errors="coerce").astype("float64")
        present = cells.notna()
    failed = present & ~np.isfinite(number.fillna(0.0))
    failed |= present & number.isna()
    return number.mask(failed), failed


def _integer(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    number, failed = _number(values)
    fractional = number.notna() & (number != number.round())
    return number.mask(fractional).astype("Int64"), failed | fractional


def _datetime(values: pd.Series, *, midnight: bool) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = pd.Series(values)
        present = parsed.notna()
    else:
        cells = text(values)
        present = cells.notna()
        try:
            parsed = pd.to_datetime(cells, format="ISO8601", errors="coerce")
        except (ValueError, TypeError):  # mixed UTC offsets: compare them on one clock
            parsed = pd.to_datetime(cells, format="ISO8601", errors="coerce", utc=True)
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_convert(None)
    parsed = parsed.astype("datetime64[us]")
    if midnight:
        parsed = parsed.dt.normalize()
    return parsed, present & parsed.isna()


def _boolean(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_bool_dtype(values):
        flags = values.astype("boolean")
        return flags, pd.Series(False, index=values.index)
    cells = text(values).str.lower()
    flags = pd.Series(pd.NA, index=values.index, dtype="boolean")
    flags = flags.mask(cells.isin(_TRUE), True).mask(cells.isin(_FALSE), False)
    return flags, cells.notna() & flags.isna()


def coerce_column(values: pd.Series, column: Column) -> tuple[pd.Series, pd.Series]:
    """One column in its canonical dtype, and a mask of cells that could not be read."""
    if column.type == "string":
        cells = text(values)
        if column.nullable:
            cells = cells.fillna("")
        return cells.astype(PANDAS_DTYPES["string"]), pd.Series(False, index=values.index)
    if column.type in ("date", "timestamp"):
        return _datetime(values, midnight=column.type == "date")
    if column.type == "integer":
        return _integer(values)
    if column.type == "boolean":
        return _boolean(values)
    return _number(values)


def coerce_columns(frame: pd.DataFrame, kind: Kind) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Canonical columns in canonical order and dtypes, and a frame of per-cell failure masks.

    Raises:
        TableError: a column has values but none of them can be read as its type.
    """
    coerced: dict[str, pd.Series] = {}
    failed: dict[str, pd.Series] = {}
    for column in SCHEMAS[kind]:
        coerced[column.name], failed[column.name] = coerce_column(frame[column.name], column)
        cells_failed = failed[column.name]
        if cells_failed.any() and not (coerced[column.name].notna() & ~cells_failed).any():
            raise TableError(
                f"column {column.name} cannot be read as {column.type}: "
                f"no value is {TYPE_REASONS[column.type].removeprefix('not ')}"
            )
    return pd.DataFrame(coerced, index=frame.index), pd.DataFrame(failed, index=frame.index)


def coerce(frame: pd.DataFrame, kind: Kind) -> tuple[pd.DataFrame, pd.Series]:
    """Canonical columns and dtypes, plus each row's coercion failures ("" when none)."""
    coerced, failed = coerce_columns(frame, kind)
    reasons = pd.Series("", index=frame.index, dtype="str")
    for column in SCHEMAS[kind]:
        reason = f"{column.name} {TYPE_REASONS[column.type]}"
        mask = failed[column.name]
        reasons = reasons.mask(mask & (reasons != ""), reasons + "; " + reason)
        reasons = reasons.mask(mask & (reasons == ""), reason)
    return coerced, reasons
