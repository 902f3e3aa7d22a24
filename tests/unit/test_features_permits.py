"""Permit features: each register check, its point-in-time rule, and both paths agreeing."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from data_contracts.schemas import PANDAS_DTYPES, PERMIT_COLUMNS
from features import build_scoring_features, build_snapshots, build_training_features
from features.permits import PERMIT_FEATURES
from tests.factories import valid_declarations, valid_inspections, valid_permits
from tests.unit.features_fixtures import declarations, no_inspections

#: An ODS import licence for LIC-1 (the fixtures' default reference) held by T1, for 2024.
LICENCE: dict[str, Any] = {
    "permit_reference": "LIC-1",
    "kind": "montreal_import_licence",
    "holder_id": "T1",
    "hs_codes": "290345;3824",
    "substances": "HFC-134a",
    "quantity_allowed": 20_000.0,
    "unit": "kg",
    "valid_from": "2024-01-01",
    "valid_to": "2024-12-31",
    "issuing_country": "NL",
    "status": "valid",
    "cancelled_on": None,
    "recorded_on": "2023-12-15",
}
QUOTA: dict[str, Any] = {
    **LICENCE,
    "permit_reference": "NL-QUOTA-2024",
    "kind": "montreal_import_quota",
    "holder_id": "",
    "hs_codes": "",
    "quantity_allowed": 25_000.0,
}


def register(*rows: dict[str, Any]) -> pd.DataFrame:
    """A canonical register: `LICENCE` updated by each row."""
    dtypes = {column.name: PANDAS_DTYPES[column.type] for column in PERMIT_COLUMNS}
    return pd.DataFrame([{**LICENCE, **row} for row in rows])[list(dtypes)].astype(dtypes)


def permit_row(frame: pd.DataFrame, permits: pd.DataFrame | None) -> pd.DataFrame:
    features = build_training_features(frame, no_inspections(), permits=permits)
    return features.set_index("declaration_id")[list(PERMIT_FEATURES)]


def test_without_a_register_no_register_check_raises_an_alarm() -> None:
    frame = declarations({"permit_reference": "FORGED-9"}, {"trader_id": "T2"})
    features = permit_row(frame, None)
    checks = [name for name in PERMIT_FEATURES if not name.startswith("permit_holder")]
    assert not features[checks].to_numpy(dtype=float).any()


def test_a_reference_is_unknown_until_the_day_after_it_was_recorded() -> None:
    frame = declarations(
        {"permit_reference": "FORGED-9"},
        {"declaration_date": "2024-03-01", "permit_reference": "LATE-1"},
        {"declaration_date": "2024-03-02", "permit_reference": "LATE-1"},
        {"hs_code": "940360", "permit_reference": "AP-77"},  # furniture: no permit expected
    )
    features = permit_row(frame, register({}, {"permit_reference": "LATE-1",
                                               "recorded_on": "2024-03-01"}))  # fmt: skip
    assert features["permit_unknown"].tolist() == [True, True, False, False]


@pytest.mark.parametrize(
    ("change", "valid"),
    [
        ({"valid_from": "2024-03-02"}, False),
        ({"valid_to": "2024-02-29"}, False),
        ({"valid_to": "2024-03-01"}, True),
        ({"status": "cancelled", "cancelled_on": "2024-03-01"}, True),  # only from the day after
        ({"status": "cancelled", "cancelled_on": "2024-02-29"}, False),
    ],
)
def test_validity_on_the_declaration_date(change: dict[str, Any], valid: bool) -> None:
    features = permit_row(declarations({}), register(change))
    assert features["permit_not_valid_on_date"].tolist() == [not valid]


def test_holder_and_hs_codes_are_checked_against_the_permit() -> None:
    frame = declarations({}, {"trader_id": "T2"}, {"hs_code": "38248000"}, {"hs_code": "290341"})
    features = permit_row(frame, register({}))
    assert features["permit_holder_mismatch"].tolist() == [False, True, False, False]
    assert features["permit_hs_outside"].tolist() == [False, False, False, True]


def test_quantity_used_counts_earlier_days_and_the_declaration_itself() -> None:
    frame = declarations(
        {"declaration_date": "2024-03-01", "net_weight_kg": 8_000.0},
        {"declaration_date": "2024-03-02", "net_weight_kg": 8_000.0},
        {"declaration_date": "2024-03-02", "net_weight_kg": 8_000.0},  # same day: unseen
        {"declaration_date": "2024-03-03", "net_weight_kg": 1_000.0},
    )
    features = permit_row(frame, register({}))
    assert features["permit_quantity_used_share"].tolist() == pytest.approx([0.4, 0.8, 0.8, 1.25])
    assert features["permit_quantity_exceeded"].tolist() == [False, False, False, True]


def test_a_permit_in_units_counts_the_declared_quantity_in_that_unit() -> None:
    frame = declarations(
        {"declaration_date": "2024-03-01", "quantity": 30.0, "quantity_unit": "u"},
        {"declaration_date": "2024-03-02", "quantity": 30.0, "quantity_unit": "u"},
    )
    features = permit_row(frame, register({"unit": "u", "quantity_allowed": 50.0}))
    assert features["permit_quantity_used_share"].tolist() == pytest.approx([0.6, 1.2])


def test_reuse_counts_distinct_traders_on_earlier_days_and_this_one() -> None:
    frame = declarations(
        {"declaration_date": "2024-03-01", "trader_id": "T1"},
        {"declaration_date": "2024-03-01", "trader_id": "T2"},  # same day as T1: unseen
        {"declaration_date": "2024-03-02", "trader_id": "T1"},
        {"declaration_date": "2024-03-03", "trader_id": "T3"},
        {"declaration_date": "2024-03-03", "permit_reference": ""},
    )
    features = permit_row(frame, None)
    assert features["permit_holder_count"].tolist() == [1, 1, 2, 3, 0]
    assert features["permit_reused_by_holders"].tolist() == [False, False, True, True, False]


def test_ods_imports_count_against_the_country_quota_of_the_year() -> None:
    frame = declarations(
        {"declaration_date": "2024-03-01", "net_weight_kg": 10_000.0},
        {"declaration_date": "2024-03-02", "net_weight_kg": 10_000.0, "permit_reference": ""},
        {"declaration_date": "2024-03-03", "net_weight_kg": 10_000.0},
        {"declaration_date": "2024-03-03", "destination_country": "BE"},  # no quota there
        {"declaration_date": "2024-03-04", "flow": "export", "destination_country": "BE"},
    )
    features = permit_row(frame, register({}, QUOTA))
    assert features["ods_quota_used_share"].tolist() == pytest.approx([0.4, 0.8, 1.2, 0, 0])
    assert features["ods_quota_exceeded"].tolist() == [False, False, True, False, False]


def test_a_quota_recorded_on_the_day_does_not_count_yet() -> None:
    frame = declarations({"declaration_date": "2024-03-01"}, {"declaration_date": "2024-03-02"})
    features = permit_row(frame, register({}, {**QUOTA, "recorded_on": "2024-03-01"}))
    assert features["ods_quota_used_share"].tolist() == pytest.approx([0.0, 18_100 / 25_000])


@pytest.fixture(scope="module")
def abused() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Factory declarations, their register with a tight quantity, reused and forged numbers."""
    frame = valid_declarations(600, seed=41)
    permits = valid_permits(frame, seed=41)
    permits["quantity_allowed"] /= 3
    quoted = frame.index[frame["permit_reference"] != ""]
    frame.loc[quoted[::4], "permit_reference"] = frame.loc[quoted[1::4], "permit_reference"].values
    frame.loc[quoted[2::9], "permit_reference"] = "FORGED"
    return frame, valid_inspections(frame, share=0.3, seed=41), permits


@pytest.mark.parametrize("cut", ["2024-03-01", "2024-07-15", "2024-11-30"])
def test_rows_before_the_cut_see_nothing_from_the_cut_on(
    abused: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], cut: str
) -> None:
    frame, results, permits = abused
    full = build_training_features(frame, results, permits=permits).set_index("declaration_id")
    before = frame[frame["declaration_date"] < cut]
    truncated = build_training_features(
        before,
        results[results["inspection_date"] < cut],
        permits=permits[permits["recorded_on"] < cut],
    ).set_index("declaration_id")
    columns = list(PERMIT_FEATURES)
    assert full[columns].to_numpy(dtype=float).any()
    pd.testing.assert_frame_equal(truncated[columns], full.loc[truncated.index, columns])


@pytest.mark.parametrize("position", [0.2, 0.5, 0.9])
def test_scoring_a_day_gives_the_training_permit_features(
    abused: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], position: float
) -> None:
    frame, results, permits = abused
    training = build_training_features(frame, results, permits=permits)
    quoted = frame.loc[frame["permit_reference"] != "", "declaration_date"].sort_values()
    day = quoted.iloc[round(position * (len(quoted) - 1))]
    batch = frame[frame["declaration_date"] == day]
    scored = build_scoring_features(batch, build_snapshots(frame, results, day, permits=permits))
    expected = training.set_index("declaration_id").loc[batch["declaration_id"]]
    pd.testing.assert_frame_equal(
        scored.set_index("declaration_id")[list(PERMIT_FEATURES)], expected[list(PERMIT_FEATURES)]
    )
