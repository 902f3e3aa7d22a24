"""The permit register contract: a good register passes, each broken rule quarantines its row."""

from __future__ import annotations

import pandas as pd
import pytest

from data_contracts import TableError, ValidationResult, validate
from tests.contracts.frames import TODAY, as_csv, with_cells
from tests.factories import valid_declarations, valid_permits


@pytest.fixture(scope="module")
def register() -> pd.DataFrame:
    return valid_permits(valid_declarations(60, seed=5), seed=5)


def check(frame: pd.DataFrame) -> ValidationResult:
    result = validate(frame, "permits", today=TODAY)
    assert result.rows_in == len(result.valid) + len(result.quarantine)
    return result


def reasons(result: ValidationResult) -> list[str]:
    return list(result.quarantine["quarantine_reason"])


def test_a_valid_register_passes_from_csv_and_typed(register: pd.DataFrame) -> None:
    assert len(register) >= 5
    for frame in (register, as_csv(register)):
        result = check(frame)
        assert result.quarantine.empty
        pd.testing.assert_frame_equal(result.valid, register)


def test_hs_codes_as_a_parquet_list_column_are_read_as_text(register: pd.DataFrame) -> None:
    listed = register.astype({"hs_codes": object})
    listed.at[0, "hs_codes"] = ["3824", "290314"]
    result = check(listed)
    assert result.quarantine.empty
    assert result.valid.loc[0, "hs_codes"] == "3824;290314"


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ({"kind": "cites_permit"}, "kind not one of cites_export"),
        ({"hs_codes": "38;3824"}, "hs_codes not semicolon-separated 4- or 6-digit HS codes"),
        ({"hs_codes": ""}, "hs_codes missing (every kind but a quota covers HS codes)"),
        ({"holder_id": ""}, "holder_id missing (every kind but a quota has a holder)"),
        ({"quantity_allowed": "0"}, "quantity_allowed <= 0"),
        ({"unit": "t"}, "unit not one of kg"),
        ({"valid_from": "2024-06-02", "valid_to": "2024-06-01"}, "valid_from after valid_to"),
        ({"issuing_country": "XX"}, "issuing_country not an ISO 3166 alpha-2 code"),
        ({"status": "revoked"}, "status not one of valid, cancelled"),
        ({"status": "cancelled"}, "status and cancelled_on inconsistent"),
        ({"cancelled_on": "2024-03-01"}, "status and cancelled_on inconsistent"),
        ({"recorded_on": "2026-01-01"}, "recorded_on after today"),
        ({"valid_to": "soon"}, "valid_to not a date (YYYY-MM-DD)"),
    ],
)
def test_each_broken_rule_quarantines_its_row(
    register: pd.DataFrame, cells: dict[str, str], reason: str
) -> None:
    result = check(with_cells(as_csv(register), 2, **cells))
    assert len(result.quarantine) == 1
    assert result.quarantine.loc[0, "permit_reference"] == register.loc[2, "permit_reference"]
    assert reasons(result)[0].startswith(reason)


def test_a_quota_needs_no_holder_nor_codes_but_is_counted_in_kg(register: pd.DataFrame) -> None:
    quota = {"kind": "montreal_import_quota", "holder_id": "", "hs_codes": ""}
    assert check(with_cells(as_csv(register), 1, **quota)).quarantine.empty
    result = check(with_cells(as_csv(register), 1, **quota, unit="l"))
    assert reasons(result) == ["a montreal_import_quota is counted in kg"]


def test_a_cancelled_permit_with_its_date_is_valid(register: pd.DataFrame) -> None:
    frame = with_cells(as_csv(register), 0, status="cancelled", cancelled_on="2024-05-01")
    assert check(frame).quarantine.empty


def test_a_reference_twice_quarantines_both_rows(register: pd.DataFrame) -> None:
    frame = with_cells(as_csv(register), 3, permit_reference=register.loc[4, "permit_reference"])
    assert reasons(check(frame)) == ["permit_reference duplicated"] * 2


def test_a_register_without_a_required_column_stops(register: pd.DataFrame) -> None:
    with pytest.raises(TableError, match=r"missing required column.*recorded_on"):
        check(register.drop(columns=["recorded_on"]))
