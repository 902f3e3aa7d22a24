"""Declarations: the bad-input catalogue, one case per test, with its expected outcome."""

from __future__ import annotations

import pandas as pd
import pytest

from data_contracts import TableError, ValidationResult, validate
from data_contracts.schemas import PANDAS_DTYPES, SCHEMAS, column_names
from tests.contracts.frames import TODAY, as_csv, with_cells
from tests.factories import valid_declarations


@pytest.fixture(scope="module")
def typed() -> pd.DataFrame:
    return valid_declarations(12, seed=7)


@pytest.fixture(scope="module")
def text(typed: pd.DataFrame) -> pd.DataFrame:
    return as_csv(typed)


def check(frame: pd.DataFrame) -> ValidationResult:
    result = validate(frame, "declarations", today=TODAY)
    assert result.rows_in == len(result.valid) + len(result.quarantine)
    return result


def reasons_of(result: ValidationResult) -> dict[str, str]:
    quarantine = result.quarantine
    return dict(zip(quarantine["declaration_id"], quarantine["quarantine_reason"], strict=True))


def test_valid_typed_frame_passes_unchanged(typed: pd.DataFrame) -> None:
    result = check(typed)
    assert result.quarantine.empty
    pd.testing.assert_frame_equal(result.valid, typed)
    assert result.summary() == {
        "rows_in": 12,
        "rows_valid": 12,
        "rows_quarantined": 0,
        "reasons": {},
        "extra_columns": [],
    }


def test_csv_text_is_coerced_to_canonical_dtypes(typed: pd.DataFrame, text: pd.DataFrame) -> None:
    result = check(text)
    expected = {c.name: PANDAS_DTYPES[c.type] for c in SCHEMAS["declarations"]}
    assert {name: str(dtype) for name, dtype in result.valid.dtypes.items()} == expected
    pd.testing.assert_frame_equal(result.valid, typed)


def test_missing_column_is_a_table_error_naming_it(text: pd.DataFrame) -> None:
    with pytest.raises(TableError, match=r"missing required column\(s\): hs_code, net_weight_kg"):
        check(text.drop(columns=["net_weight_kg", "hs_code"]))


def test_extra_column_is_kept_at_the_end_and_reported(text: pd.DataFrame) -> None:
    result = check(text.assign(broker_note="call back"))
    assert result.extra_columns == ("broker_note",)
    assert list(result.valid.columns) == [*column_names("declarations"), "broker_note"]
    assert (result.valid["broker_note"] == "call back").all()
    assert result.summary()["extra_columns"] == ["broker_note"]


def test_non_numeric_weight_quarantines_the_row(text: pd.DataFrame) -> None:
    result = check(with_cells(text, 3, gross_weight_kg="abc"))
    assert reasons_of(result) == {"D0000004": "gross_weight_kg not a number"}
    assert result.quarantine.loc[0, "gross_weight_kg"] == "abc"
    assert result.reason_counts == {"gross_weight_kg not a number": 1}


@pytest.mark.parametrize("weight", ["0", "-5"])
def test_zero_or_negative_net_weight(text: pd.DataFrame, weight: str) -> None:
    result = check(with_cells(text, 0, net_weight_kg=weight))
    assert reasons_of(result) == {"D0000001": "net_weight_kg <= 0"}


def test_zero_gross_weight_is_also_below_net(text: pd.DataFrame) -> None:
    result = check(with_cells(text, 0, gross_weight_kg="0"))
    assert reasons_of(result) == {
        "D0000001": "gross_weight_kg <= 0; net_weight_kg > gross_weight_kg"
    }


def test_net_weight_above_gross(text: pd.DataFrame) -> None:
    result = check(with_cells(text, 5, gross_weight_kg="10", net_weight_kg="10.5"))
    assert reasons_of(result) == {"D0000006": "net_weight_kg > gross_weight_kg"}


def test_net_weight_equal_to_gross_is_valid(text: pd.DataFrame) -> None:
    assert check(with_cells(text, 5, gross_weight_kg="10", net_weight_kg="10")).quarantine.empty


def test_hs_code_with_letters(text: pd.DataFrame) -> None:
    result = check(with_cells(text, 1, hs_code="85A710"))
    assert reasons_of(result) == {
        "D0000002": "hs_code not 6 to 10 digits; hs_code not an HS 2017 or HS 2022 subheading"
    }


def test_hs_code_read_as_integer_loses_its_leading_zero_and_is_not_padded(
    text: pd.DataFrame,
) -> None:
    frame = with_cells(text, 2, hs_code=10121).assign(row=range(len(text)))
    frame.loc[4, "hs_code"] = 85176200  # eight digits without a leading zero stay valid
    result = check(frame)
    assert reasons_of(result) == {
        "D0000003": "hs_code not 6 to 10 digits; hs_code not an HS 2017 or HS 2022 subheading"
    }
    assert result.quarantine.loc[0, "hs_code"] == "10121"
    assert "85176200" in set(result.valid["hs_code"])


def test_hs_code_keeps_leading_zeros(text: pd.DataFrame) -> None:
    result = check(with_cells(text, 2, hs_code=" 01012100 "))
    assert result.valid.loc[2, "hs_code"] == "01012100"


def test_hs_code_not_in_hs_2022(text: pd.DataFrame) -> None:
    # 010110 was split into 010121/010129 in HS 2012: well formed, but no HS 2022 subheading.
    result = check(with_cells(text, 2, hs_code="01011000"))
    assert reasons_of(result) == {"D0000003": "hs_code not an HS 2017 or HS 2022 subheading"}


@pytest.mark.parametrize("code", ["290339", "85481000", "620111"])
def test_hs_2017_code_dated_before_2022_passes_as_declared(text: pd.DataFrame, code: str) -> None:
    result = check(with_cells(text, 2, hs_code=code, declaration_date="2021-12-31"))
    assert result.quarantine.empty
    assert result.valid.loc[2, "hs_code"] == code


def test_hs_2022_only_code_dated_before_2022_names_the_edition_in_force(
    text: pd.DataFrame,
) -> None:
    frame = with_cells(text, 2, hs_code="854911", declaration_date="2020-06-30")
    frame = with_cells(frame, 3, hs_code="29034500", declaration_date="2021-12-31")
    reason = (
        "hs_code is HS 2022 only, but HS 2017 was in force on declaration_date (before 2022-01-01)"
    )
    assert reasons_of(check(frame)) == {"D0000003": reason, "D0000004": reason}


def test_hs_2017_only_code_dated_from_2022_names_the_edition_in_force(
    text: pd.DataFrame,
) -> None:
    result = check(with_cells(text, 2, hs_code="854810", declaration_date="2022-01-01"))
    assert reasons_of(result) == {
        "D0000003": "hs_code is HS 2017 only, but HS 2022 was in force on declaration_date "
        "(from 2022-01-01)"
    }


@pytest.mark.parametrize("day", ["2017-01-02", "2021-12-31", "2022-01-01", "2024-05-05"])
def test_codes_of_both_editions_pass_on_any_date(text: pd.DataFrame, day: str) -> None:
    frame = with_cells(text, 2, hs_code="391590", declaration_date=day)
    assert check(with_cells(frame, 3, hs_code="0101210000", declaration_date=day)).quarantine.empty


def test_unreadable_date_is_reported_once_and_the_code_needs_only_an_edition(
    text: pd.DataFrame,
) -> None:
    frame = with_cells(text, 2, hs_code="854911", declaration_date="2021-13-01")
    frame = with_cells(frame, 3, hs_code="854810", declaration_date="")
    assert reasons_of(check(frame)) == {
        "D0000003": "declaration_date not a date (YYYY-MM-DD)",
        "D0000004": "declaration_date is missing",
    }


@pytest.mark.parametrize("code", ["XX", "uk", "GBR", "EU"])
def test_unknown_country_code(text: pd.DataFrame, code: str) -> None:
    result = check(with_cells(text, 4, origin_country=code, destination_country=code))
    assert reasons_of(result) == {
        "D0000005": "origin_country not an ISO 3166 alpha-2 code; "
        "destination_country not an ISO 3166 alpha-2 code"
    }


@pytest.mark.parametrize("transit", ["AE|XX", "AE||HK", "AE,HK", "ae", "|"])
def test_unknown_code_inside_transit_countries(text: pd.DataFrame, transit: str) -> None:
    result = check(with_cells(text, 4, transit_countries=transit))
    assert reasons_of(result) == {
        "D0000005": "transit_countries not pipe-separated ISO 3166 alpha-2 codes"
    }


def test_valid_transit_lists_and_empty_transit(text: pd.DataFrame) -> None:
    frame = with_cells(text, 4, transit_countries="HK|SG|AE")
    result = check(with_cells(frame, 5, transit_countries=""))
    assert result.quarantine.empty
    assert list(result.valid.loc[4:5, "transit_countries"]) == ["HK|SG|AE", ""]


@pytest.mark.parametrize("day", ["2024-13-45", "31/12/2024", "yesterday"])
def test_unparsable_date(text: pd.DataFrame, day: str) -> None:
    result = check(with_cells(text, 6, declaration_date=day))
    assert reasons_of(result) == {"D0000007": "declaration_date not a date (YYYY-MM-DD)"}


def test_future_date(text: pd.DataFrame) -> None:
    frame = with_cells(text, 6, declaration_date="2025-07-01")
    result = check(with_cells(frame, 7, declaration_date=str(TODAY)))
    assert reasons_of(result) == {"D0000007": "declaration_date after today"}


def test_far_future_date_beyond_nanosecond_range(text: pd.DataFrame) -> None:
    result = check(with_cells(text, 6, declaration_date="9999-12-31"))
    assert reasons_of(result) == {"D0000007": "declaration_date after today"}


def test_duplicate_declaration_id_quarantines_every_copy(text: pd.DataFrame) -> None:
    frame = with_cells(text, 8, declaration_id="D0000002")
    frame = with_cells(frame, 9, declaration_id="D0000002")
    result = check(frame)
    assert list(result.quarantine["declaration_id"]) == ["D0000002"] * 3
    assert set(result.quarantine["quarantine_reason"]) == {"declaration_id duplicated"}
    assert "D0000002" not in set(result.valid["declaration_id"])
    assert result.reason_counts == {"declaration_id duplicated": 3}


def test_empty_frame_is_a_table_error(text: pd.DataFrame) -> None:
    with pytest.raises(TableError, match="no rows"):
        check(text.iloc[0:0])


def test_whole_column_uncoercible_is_a_table_error(text: pd.DataFrame) -> None:
    with pytest.raises(TableError, match="column gross_weight_kg cannot be read as float"):
        check(text.assign(gross_weight_kg="heavy"))


def test_table_error_message_is_one_line(text: pd.DataFrame) -> None:
    with pytest.raises(TableError) as error:
        check(text.assign(declaration_date="soon"))
    assert "\n" not in str(error.value)


def test_quotes_and_newlines_in_goods_description_are_preserved(typed: pd.DataFrame) -> None:
    awkward = 'Drums "R-22", 13.6 kg;\nlabelled "R-134a"\r\nsecond, line'
    frame = typed.copy()
    frame.loc[3, "goods_description"] = awkward
    result = check(as_csv(frame))
    assert result.quarantine.empty
    assert result.valid.loc[3, "goods_description"] == awkward.strip()


def test_spreadsheet_formula_is_kept_as_data(text: pd.DataFrame) -> None:
    formula = '=HYPERLINK("http://example.invalid","open")'
    frame = with_cells(text.assign(comment="+cmd|' /C calc'!A0"), 2, goods_description=formula)
    frame = with_cells(frame, 3, goods_description=formula, net_weight_kg="abc")
    result = check(frame)
    assert result.valid.loc[2, "goods_description"] == formula
    assert result.valid.loc[0, "comment"] == "+cmd|' /C calc'!A0"
    assert result.quarantine.loc[0, "goods_description"] == formula


def test_whitespace_is_stripped(text: pd.DataFrame) -> None:
    result = check(with_cells(text, 0, origin_country=" CN ", flow="import\t", quantity=" 5 "))
    assert result.quarantine.empty
    assert result.valid.loc[0, ["origin_country", "flow"]].tolist() == ["CN", "import"]


def test_empty_required_text_is_missing_and_empty_optional_text_is_blank(
    text: pd.DataFrame,
) -> None:
    frame = with_cells(text, 0, trader_id="  ", permit_reference=None, goods_description="")
    result = check(frame)
    assert reasons_of(result) == {"D0000001": "trader_id is missing"}
    frame = with_cells(text, 0, permit_reference=None, goods_description=None)
    valid = check(frame).valid
    assert valid.loc[0, ["permit_reference", "goods_description"]].tolist() == ["", ""]


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ({"flow": "IMPORT"}, "flow not one of import, export, transit"),
        ({"transport_mode": "ship"}, "transport_mode not one of sea, air, road, rail, post, other"),
        ({"quantity_unit": "kgs"}, "quantity_unit not one of kg, l, m3, u, pair, m2"),
        ({"container_count": "2.5"}, "container_count not a whole number"),
        ({"container_count": "-1"}, "container_count < 0"),
        ({"customs_value_usd": "-0.01"}, "customs_value_usd < 0"),
        ({"customs_value_usd": "inf"}, "customs_value_usd not a number"),
        ({"quantity": "-3"}, "quantity < 0"),
    ],
)
def test_single_field_breaks(text: pd.DataFrame, cells: dict[str, str], reason: str) -> None:
    assert reasons_of(check(with_cells(text, 10, **cells))) == {"D0000011": reason}


def test_zero_value_and_zero_containers_are_valid(text: pd.DataFrame) -> None:
    assert check(with_cells(text, 10, customs_value_usd="0", container_count="0")).quarantine.empty


def test_every_failed_expectation_is_named_in_suite_order(text: pd.DataFrame) -> None:
    frame = with_cells(
        text,
        11,
        declaration_date="2030-01-01",
        hs_code="ABC",
        gross_weight_kg="x",
        net_weight_kg="-1",
        flow="",
    )
    assert reasons_of(check(frame)) == {
        "D0000012": "flow is missing; gross_weight_kg not a number; "
        "declaration_date after today; hs_code not 6 to 10 digits; "
        "hs_code not an HS 2017 or HS 2022 subheading; net_weight_kg <= 0"
    }


def test_quarantine_keeps_rows_as_received(text: pd.DataFrame) -> None:
    frame = with_cells(text.assign(extra="x"), 3, net_weight_kg=" 1e9 ")
    result = check(frame)
    row = result.quarantine.drop(columns="quarantine_reason").iloc[0]
    assert row.to_dict() == frame.iloc[3].to_dict()
    assert list(result.quarantine.columns) == [*frame.columns, "quarantine_reason"]


def test_missing_declaration_id(text: pd.DataFrame) -> None:
    result = check(with_cells(text, 3, declaration_id=""))
    assert list(result.quarantine["quarantine_reason"]) == ["declaration_id is missing"]


def test_duplicate_column_names_are_a_table_error(text: pd.DataFrame) -> None:
    frame = text.rename(columns={"customs_office": "flow"})
    with pytest.raises(TableError, match="duplicate column names: flow"):
        check(frame)


def test_parquet_style_typed_dates_and_numbers_are_accepted(typed: pd.DataFrame) -> None:
    frame = typed.assign(
        declaration_date=typed["declaration_date"].dt.date.astype(object),
        container_count=typed["container_count"].astype("int32"),
    )
    pd.testing.assert_frame_equal(check(frame).valid, typed)
