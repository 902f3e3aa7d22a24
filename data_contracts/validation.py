"""Validate a received table against its contract: valid rows out, every bad row quarantined.

Table-level problems (no rows, missing columns, a column no value of which can be read) raise
`TableError`; everything else is decided row by row. Cells are coerced to the canonical dtypes in
pandas (`coercion`), then the GX suite (`suites`) checks the coerced frame with one positional row
key, `__row`, since `declaration_id` itself may be duplicated or missing, and the rules GX cannot
check fast (`suites.ROW_RULES`: the HS edition in force, `editions`) run in numpy on the same
frame. A row that breaks any rule goes to quarantine, as received, with every failed rule named.
"""

from __future__ import annotations

import datetime
import logging
import warnings
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from data_contracts import editions, permits
from data_contracts.coercion import TYPE_REASONS, TableError, coerce_columns
from data_contracts.schemas import SCHEMAS, Kind, column_names

ROW_KEY = "__row"
_NONE = np.zeros(0, dtype=bool)
REASON_COLUMN = "quarantine_reason"
_RESULT_FORMAT = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": [ROW_KEY],
    "return_unexpected_index_query": False,
}


@dataclass(frozen=True)
class ValidationResult:
    """Valid rows in canonical form, quarantined rows as received, and the counts."""

    valid: pd.DataFrame
    quarantine: pd.DataFrame
    rows_in: int
    extra_columns: tuple[str, ...]
    reason_counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Counts for a `validation.json`: rows in, valid, quarantined, per reason, extras."""
        return {
            "rows_in": self.rows_in,
            "rows_valid": len(self.valid),
            "rows_quarantined": len(self.quarantine),
            "reasons": dict(self.reason_counts),
            "extra_columns": list(self.extra_columns),
        }


@cache
def _batch_definition() -> Any:
    """One ephemeral GX context with a whole-dataframe batch definition, made on first use."""
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    import great_expectations as gx  # GX takes seconds to import: only on first use
    from great_expectations.data_context.types.base import ProgressBarsConfig

    # Some GX module loggers get an explicit INFO level on import; quiet every one of them,
    # or each run prints "Created temporary directory ... for ephemeral docs site".
    for name in [*logging.Logger.manager.loggerDict, "great_expectations"]:
        if name.startswith("great_expectations"):
            logging.getLogger(name).setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("received").add_dataframe_asset("table")
    return asset.add_batch_definition_whole_dataframe("whole")


@cache
def _suite(kind: Kind) -> Any:
    from data_contracts.suites import build_suite  # GX takes seconds to import: only on use

    return build_suite(kind)


def reason_order(kind: Kind) -> list[str]:
    """Every reason the contract can give, in the order reasons are joined in.

    The suite's, in suite order, with the row rules' reasons after the HS code format's.
    """
    from data_contracts.suites import HS_FORMAT_REASON, ROW_RULES

    order = [expectation.description for expectation in _suite(kind).expectations]
    extra = [reason for reasons in ROW_RULES[kind].values() for reason in reasons]
    at = order.index(HS_FORMAT_REASON) + 1 if HS_FORMAT_REASON in order else len(order)
    return [*order[:at], *extra, *order[at:]]


def _row_rule_failures(canonical: pd.DataFrame, kind: Kind) -> dict[str, np.ndarray]:
    """Row positions failing each rule checked outside GX (`suites.ROW_RULES`)."""
    if kind == "permits":
        masks = permits.permit_failures(canonical)
    elif kind == "declarations":
        masks = editions.edition_failures(canonical["hs_code"], canonical["declaration_date"])
    else:
        return {}
    return {reason: np.flatnonzero(mask) for reason, mask in masks.items() if mask.any()}


def _check_table(frame: pd.DataFrame, kind: Kind) -> None:
    if frame.columns.duplicated().any():
        names = sorted(set(frame.columns[frame.columns.duplicated()]))
        raise TableError(f"duplicate column names: {', '.join(names)}")
    missing = [name for name in column_names(kind) if name not in frame.columns]
    if missing:
        raise TableError(f"missing required column(s): {', '.join(missing)}")
    if len(frame) == 0:
        raise TableError("the table has no rows")


def gx_frame(canonical: pd.DataFrame) -> pd.DataFrame:
    """The coerced frame as GX checks it: with the row key, in dtypes GX compares vectorised.

    GX compares values one by one in Python (ten times slower) unless a column is datetime64[ns]
    or a plain numpy number: dates go to nanoseconds (clipped to that range, which keeps "after
    today" true) and a nullable integer column without gaps to int64. Types GX sees are unchanged.
    """
    lowest, highest = pd.Timestamp.min.ceil("D"), pd.Timestamp.max.floor("D")
    converted: dict[str, pd.Series] = {}
    for name in canonical.columns:
        values = canonical[name]
        if pd.api.types.is_datetime64_dtype(values):
            converted[name] = values.clip(lowest, highest).astype("datetime64[ns]")
        elif isinstance(values.dtype, pd.Int64Dtype) and not values.hasnans:
            converted[name] = values.astype("int64")
    return canonical.assign(**converted, **{ROW_KEY: np.arange(len(canonical))})


def _run_suite(frame: pd.DataFrame, kind: Kind, today: datetime.date) -> dict[str, np.ndarray]:
    """Row positions failing each expectation, keyed by the expectation's description."""
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = batch.validate(
            _suite(kind),
            result_format=_RESULT_FORMAT,
            expectation_parameters={"today": pd.Timestamp(today)},
        )
    failures: dict[str, np.ndarray] = {}
    for outcome in report.results:
        reason = outcome.expectation_config.description
        if outcome.exception_info.get("raised_exception"):
            raise RuntimeError(f"expectation {reason!r} could not run: {outcome.exception_info}")
        if outcome.success:
            continue
        rows = outcome.result.get("unexpected_index_list")
        if rows is None:  # a table-level expectation (existence, dtype) failed
            raise TableError(reason)
        failures[reason] = np.fromiter((row[ROW_KEY] for row in rows), dtype=np.int64)
    return failures


def _failure_masks(
    cell_failures: pd.DataFrame, suite_failures: dict[str, np.ndarray], kind: Kind
) -> dict[str, np.ndarray]:
    """One boolean mask per reason that any row gives, in suite order.

    A cell that could not be read is reported as unreadable, not also as missing.
    """
    masks: dict[str, np.ndarray] = {}
    unreadable: dict[str, np.ndarray] = {}
    for column in SCHEMAS[kind]:
        cells = cell_failures[column.name].to_numpy(dtype=bool)
        masks[f"{column.name} {TYPE_REASONS[column.type]}"] = cells
        unreadable[f"{column.name} is missing"] = cells
    for reason, positions in suite_failures.items():
        mask = masks.get(reason, np.zeros(len(cell_failures), dtype=bool)).copy()
        mask[positions] = True
        if reason in unreadable:
            mask &= ~unreadable[reason]
        masks[reason] = mask
    return {
        reason: masks[reason] for reason in reason_order(kind) if masks.get(reason, _NONE).any()
    }


def _join_reasons(masks: dict[str, np.ndarray], bad: np.ndarray) -> np.ndarray:
    joined = pd.Series("", index=np.flatnonzero(bad), dtype="str")
    for reason, mask in masks.items():
        hit = mask[bad]
        joined = joined.mask(hit & (joined != ""), joined + "; " + reason)
        joined = joined.mask(hit & (joined == ""), reason)
    return joined.to_numpy()


def _as_received(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows as received; mixed-type object columns become text so they can be written."""
    objects = [name for name in rows.columns if rows[name].dtype == object]
    return rows.astype(dict.fromkeys(objects, "str")) if objects else rows


def validate(
    frame: pd.DataFrame, kind: Kind, *, today: datetime.date | None = None
) -> ValidationResult:
    """Split a received table into canonical valid rows and quarantined rows with reasons.

    Raises:
        TableError: no rows, a missing required column, or a column nothing in which can be read.
    """
    received = frame.rename(columns=lambda name: str(name).strip()).reset_index(drop=True)
    _check_table(received, kind)
    if kind == "permits":  # a Parquet register may hold the HS prefixes as a list column
        received = received.assign(hs_codes=permits.hs_prefixes_as_text(received["hs_codes"]))
    canonical, cell_failures = coerce_columns(received, kind)
    checked = gx_frame(canonical)
    suite_failures = _run_suite(checked, kind, today or datetime.date.today())
    suite_failures.update(_row_rule_failures(canonical, kind))
    masks = _failure_masks(cell_failures, suite_failures, kind)
    bad = np.logical_or.reduce([*masks.values(), np.zeros(len(received), dtype=bool)])
    extras = tuple(name for name in received.columns if name not in canonical.columns)
    valid = pd.concat([canonical, received[list(extras)]], axis=1)[~bad].reset_index(drop=True)
    quarantine = _as_received(received[bad]).assign(**{REASON_COLUMN: _join_reasons(masks, bad)})
    return ValidationResult(
        valid=valid,
        quarantine=quarantine.reset_index(drop=True),
        rows_in=len(received),
        extra_columns=extras,
        reason_counts={reason: int(mask.sum()) for reason, mask in masks.items()},
    )
