"""Coercion of received cells to the canonical dtypes."""

from __future__ import annotations

import pandas as pd
import pytest

from data_contracts import TableError, coerce
from data_contracts.coercion import coerce_column
from data_contracts.schemas import Column
from tests.contracts.frames import as_csv, with_cells
from tests.factories import valid_declarations, valid_scores


def test_coerce_returns_canonical_frame_and_per_row_reasons() -> None:
    typed = valid_declarations(6, seed=2)
    frame = with_cells(as_csv(typed), 1, gross_weight_kg="n/a", declaration_date="2024-02-30")
    canonical, reasons = coerce(frame, "declarations")
    assert canonical.dtypes.equals(typed.dtypes)
    assert reasons.tolist() == [
        "",
        "declaration_date not a date (YYYY-MM-DD); gross_weight_kg not a number",
        "",
        "",
        "",
        "",
    ]
    assert pd.isna(canonical.loc[1, "gross_weight_kg"])


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["true", "False", " YES ", "0", ""], [True, False, True, False, None]),
        ([True, False, None, True, False], [True, False, None, True, False]),
    ],
)
def test_booleans(cells: list[object], expected: list[object]) -> None:
    values, failed = coerce_column(pd.Series(cells, dtype=object), Column("s", "boolean", ""))
    assert values.astype(object).where(values.notna(), None).tolist() == expected
    assert not failed.any()


def test_timestamps_keep_time_and_drop_time_zone() -> None:
    cells = pd.Series(["2025-01-15T02:00:00", "2025-01-15T03:00:00+01:00", "later"])
    values, failed = coerce_column(cells, Column("t", "timestamp", ""))
    assert values.tolist()[:2] == [pd.Timestamp("2025-01-15 02:00")] * 2
    assert failed.tolist() == [False, False, True]


def test_dates_are_midnight() -> None:
    values, _ = coerce_column(pd.Series(["2024-05-01T13:45"]), Column("d", "date", ""))
    assert values.tolist() == [pd.Timestamp("2024-05-01")]
    assert str(values.dtype) == "datetime64[us]"


def test_all_empty_column_is_missing_not_a_table_error() -> None:
    frame = as_csv(valid_scores(valid_declarations(3))).assign(risk_score="")
    canonical, reasons = coerce(frame, "scores")
    assert canonical["risk_score"].isna().all()
    assert (reasons == "").all()


def test_whole_boolean_column_unreadable_is_a_table_error() -> None:
    frame = as_csv(valid_scores(valid_declarations(3))).assign(selected="perhaps")
    with pytest.raises(TableError, match="column selected cannot be read as boolean"):
        coerce(frame, "scores")
