"""Apply a mapping to a received frame: canonical columns, each row's mapping failures, extras.

A row fails to map when a cell its rules read cannot be used: a code outside a complete code
list, a date that does not match the declared format, a number that is not one. The values of
such a row are unreliable, so it is quarantined with the reasons; every other row goes on to the
contract checks. Source columns no rule reads (and not listed under `drop`) are carried along as
extra columns of the declarations, which the contracts keep and report.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data_contracts.coercion import text
from data_contracts.mappings.spec import FieldRule, Mapping, MappingError
from data_contracts.schemas import PANDAS_DTYPES, SCHEMAS, Kind, column_names


@dataclass(frozen=True)
class MappedTable:
    """One row per source row: canonical tables, which rows carry a result, failure reasons."""

    declarations: pd.DataFrame
    inspections: pd.DataFrame | None
    inspected: np.ndarray
    reasons: pd.Series
    extra_columns: tuple[str, ...]

    @property
    def failed(self) -> np.ndarray:
        """Rows that could not be mapped."""
        return (self.reasons != "").to_numpy()


def apply_mapping(
    frame: pd.DataFrame, mapping: Mapping, *, table: str = "the table"
) -> MappedTable:
    """Map a received frame to the canonical tables (`table` names the file in errors).

    Raises:
        MappingError: a source column the mapping reads is not in the frame, or a column no rule
            reads has a canonical name (it could not be carried as an extra column).
    """
    received = frame.rename(columns=lambda name: str(name).strip()).reset_index(drop=True)
    check_source(received.columns, mapping, table=table)
    failures: dict[str, np.ndarray] = {}
    mapped = {
        kind: _map_table(received, kind, rules, failures) for kind, rules in mapping.tables.items()
    }
    extras = _extras(received, mapping, table)
    declarations = pd.concat([mapped["declarations"], received[list(extras)]], axis=1)
    inspected = np.zeros(len(received), dtype=bool)
    if "inspections" in mapping.tables:
        inspected = _present(received, mapping.tables["inspections"]["outcome"])
    return MappedTable(
        declarations=declarations,
        inspections=mapped.get("inspections"),
        inspected=inspected,
        reasons=join_reasons(failures, len(received)),
        extra_columns=extras,
    )


def check_source(columns: Iterable[str], mapping: Mapping, *, table: str) -> None:
    """Raise a `MappingError` at the rule's line for each source column the table lacks."""
    present = set(columns)
    for name, line in mapping.source_columns().items():
        if name not in present:
            raise mapping.error(line, f"source column {name!r} is not in {table}")
    for position, name in enumerate(mapping.drop):
        if name not in present:
            raise mapping.error(mapping.lines[f"drop.{position}"], f"drop names {name!r}, "
                                f"not a column of {table}")  # fmt: skip


def _extras(received: pd.DataFrame, mapping: Mapping, table: str) -> tuple[str, ...]:
    used = set(mapping.source_columns()) | set(mapping.drop)
    extras = tuple(name for name in received.columns if name not in used)
    clashing = [name for name in extras if name in column_names("declarations")]
    if clashing:
        raise MappingError(
            f"{mapping.file}: column(s) {', '.join(clashing)} of {table} have canonical names but "
            "no rule reads them; map them or list them under drop"
        )
    return extras


def _map_table(
    received: pd.DataFrame, kind: Kind, rules: dict[str, FieldRule], failures: dict
) -> pd.DataFrame:
    values: dict[str, pd.Series] = {}
    for name, rule in rules.items():
        if rule.source != "same_as":
            values[name], problems = map_column(received, rule)
            for reason, mask in problems.items():
                failures[reason] = failures.get(reason, np.zeros(len(received), bool)) | mask
    for name, rule in rules.items():
        if rule.source == "same_as":
            values[name] = values[str(rule.constant)].copy()
    return pd.DataFrame({column.name: values[column.name] for column in SCHEMAS[kind]})


def map_column(received: pd.DataFrame, rule: FieldRule) -> tuple[pd.Series, dict[str, np.ndarray]]:
    """One canonical column from its rule, and a mask of failed rows per reason."""
    if rule.source == "constant":
        return _constant(rule, len(received)), {}
    cells = _source_text(received, rule)
    if rule.default is not None:
        cells = cells.fillna(rule.default)
    if rule.pad:
        cells = cells.str.pad(rule.pad, side="left", fillchar="0")
    problems: dict[str, np.ndarray] = {}
    label = f"{rule.column.name} from {'+'.join(repr(name) for name in rule.columns)}"
    if rule.codes is not None:
        cells, unknown = _codes(cells, rule)
        problems[f"{label}: code not in the code list"] = unknown
    values, bad, problem = _typed(cells, rule)
    problems[f"{label}: {problem}"] = bad
    return values.mask(pd.Series(bad, index=values.index)), {
        reason: mask for reason, mask in problems.items() if mask.any()
    }


def _source_text(received: pd.DataFrame, rule: FieldRule) -> pd.Series:
    parts = [text(received[name]) for name in rule.columns]
    if len(parts) == 1:
        return parts[0]
    return parts[0].str.cat(parts[1:], sep=rule.separator)  # missing if any part is missing


def _present(received: pd.DataFrame, rule: FieldRule) -> np.ndarray:
    """Rows whose source cells for `rule` are not empty (all rows for a constant)."""
    if not rule.columns:
        return np.ones(len(received), dtype=bool)
    return _source_text(received, rule).notna().to_numpy()


def _codes(cells: pd.Series, rule: FieldRule) -> tuple[pd.Series, np.ndarray]:
    codes = rule.codes or {}
    found = cells.isin(list(codes))
    mapped = cells.map(codes).astype("str").where(found)
    if not rule.complete:
        return mapped.where(found, cells), np.zeros(len(cells), bool)
    unknown = (cells.notna() & ~found).to_numpy()
    if rule.otherwise is not None:
        return mapped.mask(pd.Series(unknown, index=cells.index), rule.otherwise), np.zeros(
            len(cells), bool
        )
    return mapped, unknown


def _typed(cells: pd.Series, rule: FieldRule) -> tuple[pd.Series, np.ndarray, str]:
    """Cells read in the column's type; failed cells and the reason they failed."""
    kind = rule.column.type
    present = cells.notna().to_numpy()
    if kind == "date":
        fmt = rule.date_format or "ISO8601"
        parsed = pd.to_datetime(cells, format=fmt, errors="coerce")
        if isinstance(parsed.dtype, pd.DatetimeTZDtype):
            parsed = parsed.dt.tz_convert(None)
        parsed = parsed.astype("datetime64[us]").dt.normalize() + pd.Timedelta(days=rule.add_days)
        shown = rule.date_format or "YYYY-MM-DD"
        return parsed, present & parsed.isna().to_numpy(), f"not a date ({shown})"
    if kind == "string" and rule.cast not in ("number", "integer"):
        return cells.astype(PANDAS_DTYPES["string"]), np.zeros(len(cells), bool), ""
    number = pd.to_numeric(cells, errors="coerce").astype("float64") * (rule.factor or 1.0)
    bad = present & ~np.isfinite(number.fillna(np.inf).to_numpy())
    whole = kind == "integer" or rule.cast == "integer"
    if whole:
        bad |= (number.notna() & (number != number.round())).to_numpy()
    reason = "not a whole number" if whole else "not a number"
    number = number.mask(pd.Series(bad, index=number.index))  # failed cells cannot be cast
    if kind == "string":
        shown = number.astype("Int64") if whole else number
        return shown.astype("str").where(number.notna()), bad, reason
    return (number.astype("Int64") if kind == "integer" else number), bad, reason


def _constant(rule: FieldRule, rows: int) -> pd.Series:
    kind = rule.column.type
    dtype = PANDAS_DTYPES[kind]
    if kind == "integer":
        return pd.Series(pd.array([rule.constant] * rows, dtype=dtype))
    return pd.Series([rule.constant] * rows, dtype=dtype)


def join_reasons(failures: dict[str, np.ndarray], rows: int) -> pd.Series:
    """Each row's reasons joined by '; ' in the order given ("" for a row with none)."""
    joined = pd.Series("", index=np.arange(rows), dtype="str")
    for reason, mask in failures.items():
        hit = pd.Series(mask, index=joined.index)
        joined = joined.mask(hit & (joined != ""), joined + "; " + reason)
        joined = joined.mask(hit & (joined == ""), reason)
    return joined
