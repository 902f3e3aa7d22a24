"""Property: for any messy frame, counts reconcile and exactly the broken rows are quarantined."""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_contracts import validate
from data_contracts.validation import reason_order
from tests.contracts.frames import TODAY, as_csv
from tests.factories import valid_declarations

#: Values that break the contract in whichever valid row they land.
BAD_CELLS: dict[str, list[object]] = {
    "declaration_id": ["", "  "],
    "declaration_date": ["2024-02-30", "soon", "2999-01-01", "01/02/2024"],
    "flow": ["IMPORT", ""],
    "hs_code": ["12345", "85A710", "01011000", "", "0101.21"],
    "origin_country": ["XX", "uk", ""],
    "transit_countries": ["AE|XX", "|", "AE HK"],
    "transport_mode": ["ship"],
    "container_count": ["-1", "1.5", "many"],
    "gross_weight_kg": ["0", "-1", "abc", "inf"],
    "net_weight_kg": ["1e12", "abc", "-0.5", ""],
    "quantity_unit": ["kgs", ""],
    "customs_value_usd": ["-1", "nan", "$100"],
}


@st.composite
def messy_frames(draw: st.DrawFn) -> tuple[pd.DataFrame, set[int]]:
    """A frame of valid rows, some repeated and some with broken cells; row 0 stays clean."""
    typed = valid_declarations(draw(st.integers(2, 8)), seed=draw(st.integers(0, 10_000)))
    repeats = draw(st.lists(st.integers(0, len(typed) - 1), max_size=3))
    typed = pd.concat([typed, typed.iloc[repeats]], ignore_index=True)
    frame = as_csv(typed) if draw(st.booleans()) else typed.astype(object)
    broken: set[int] = set()
    for _ in range(draw(st.integers(0, 6))):
        column = draw(st.sampled_from(sorted(BAD_CELLS)))
        row = draw(st.integers(1, len(frame) - 1))
        frame.loc[row, column] = draw(st.sampled_from(BAD_CELLS[column]))
        broken.add(row)
    return frame.assign(row_no=range(len(frame))), broken


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messy_frames())
def test_counts_reconcile_and_exactly_broken_rows_are_quarantined(
    case: tuple[pd.DataFrame, set[int]],
) -> None:
    frame, broken = case
    result = validate(frame, "declarations", today=TODAY)

    assert result.rows_in == len(frame) == len(result.valid) + len(result.quarantine)
    assert sum(result.reason_counts.values()) >= len(result.quarantine)
    known = set(reason_order("declarations"))
    for reason in result.quarantine["quarantine_reason"]:
        assert reason
        assert set(reason.split("; ")) <= known

    ids = frame["declaration_id"].astype(str).str.strip()
    repeated = set(frame.loc[ids.duplicated(keep=False) & (ids != ""), "row_no"])
    assert set(result.quarantine["row_no"].astype(int)) == broken | repeated
    assert result.valid["declaration_id"].is_unique
