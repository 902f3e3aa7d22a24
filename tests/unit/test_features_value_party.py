"""Value/weight and party-history families on hand-made frames with known answers."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from features import build_training_features
from features.tables import container_payload_kg
from tests.unit.features_fixtures import (
    declarations,
    features_of,
    inspections,
    no_inspections,
    violation,
)


def _days(n: int, **extra: object) -> list[dict]:
    return [{"declaration_date": f"2024-01-{day:02d}", **extra} for day in range(1, n + 1)]


def test_unit_value_floors_a_zero_weight() -> None:
    features = build_training_features(
        declarations(
            {"customs_value_usd": 1000.0, "net_weight_kg": 500.0},
            {"customs_value_usd": 1000.0, "net_weight_kg": 0.0},
        ),
        no_inspections(),
    )
    assert features_of(features, "D1")["unit_value_usd_per_kg"] == 2.0
    assert features_of(features, "D2")["unit_value_usd_per_kg"] == pytest.approx(10_000.0)


def test_reference_value_needs_five_earlier_declarations_of_the_code() -> None:
    rows = _days(5, customs_value_usd=2000.0, net_weight_kg=1000.0)
    rows.append({"declaration_date": "2024-01-06", "customs_value_usd": 1000.0,
                 "net_weight_kg": 1000.0})  # fmt: skip
    features = build_training_features(declarations(*rows), no_inspections())
    fifth, sixth = features_of(features, "D5"), features_of(features, "D6")
    assert math.isnan(fifth["unit_value_ratio_to_reference"])
    assert fifth["unit_value_reference_count"] == 0
    assert sixth["unit_value_ratio_to_reference"] == pytest.approx(0.5)
    assert sixth["unit_value_reference_count"] == 5
    # Identical past values: the spread is floored, so the z-score stays finite.
    assert sixth["unit_value_log_zscore"] == pytest.approx(math.log(0.5) / 0.1)


def test_reference_falls_back_to_the_heading() -> None:
    rows = _days(5, hs_code="290344", customs_value_usd=4000.0, net_weight_kg=1000.0)
    rows.append({"declaration_date": "2024-01-06", "hs_code": "290345",
                 "customs_value_usd": 2000.0, "net_weight_kg": 1000.0})  # fmt: skip
    features = build_training_features(declarations(*rows), no_inspections())
    assert features_of(features, "D6")["unit_value_ratio_to_reference"] == pytest.approx(0.5)


def test_container_weight_net_gross_and_round_numbers() -> None:
    features = build_training_features(
        declarations(
            {"gross_weight_kg": 30_000.0, "net_weight_kg": 27_000.0, "container_count": 1,
             "customs_value_usd": 30_000.0},
            {"container_count": 0, "transport_mode": "air"},
        ),
        no_inspections(),
    )  # fmt: skip
    heavy, loose = features_of(features, "D1"), features_of(features, "D2")
    assert heavy["gross_weight_per_container_kg"] == 30_000.0
    assert heavy["container_payload_ratio"] == pytest.approx(30_000.0 / container_payload_kg())
    assert heavy["net_to_gross_weight_ratio"] == pytest.approx(0.9)
    assert heavy["customs_value_is_round"] and heavy["net_weight_is_round"]
    assert math.isnan(loose["gross_weight_per_container_kg"])
    assert not loose["customs_value_is_round"] and not loose["net_weight_is_round"]


def test_personal_effects_caps() -> None:
    features = build_training_features(
        declarations(
            {"hs_code": "160431", "net_weight_kg": 0.5, "permit_reference": ""},
            {"hs_code": "160431", "net_weight_kg": 0.5, "permit_reference": "CITES-1"},
            {"hs_code": "050800", "quantity": 2.0, "quantity_unit": "u"},
            {"hs_code": "050800", "quantity": 2.0, "quantity_unit": "kg"},
        ),
        no_inspections(),
    )
    caviar, permitted, shells, weighed = (features_of(features, f"D{i}") for i in range(1, 5))
    assert caviar["personal_effects_cap_ratio"] == pytest.approx(4.0)
    assert caviar["personal_effects_cap_exceeded_without_permit"]
    assert not permitted["personal_effects_cap_exceeded_without_permit"]
    assert shells["personal_effects_cap_ratio"] == pytest.approx(2 / 3)
    assert math.isnan(weighed["personal_effects_cap_ratio"])


@pytest.fixture
def history() -> pd.DataFrame:
    """Trader T1: two same-day rows, then a new chapter, then back; inspections arrive late."""
    frame = declarations(
        {"declaration_date": "2024-01-01", "declarant_id": "B1", "hs_code": "290345"},
        {"declaration_date": "2024-01-01", "declarant_id": "B2", "hs_code": "290371"},
        {"declaration_date": "2024-01-05", "declarant_id": "B1", "hs_code": "391590"},
        {"declaration_date": "2024-01-10", "declarant_id": "B3", "hs_code": "290345"},
        {"declaration_date": "2024-01-10", "trader_id": "T2", "declarant_id": "B1"},
    )
    results = inspections(
        violation("D1", "2024-01-03"),  # known from 3 January
        violation("D3", "2024-01-12"),  # recorded after every row: never seen
        {"declaration_id": "D2", "inspection_date": "2024-01-05"},  # same day as D3: not seen
    )
    return build_training_features(frame, results)


def test_same_day_declarations_do_not_see_each_other(history: pd.DataFrame) -> None:
    for first in (features_of(history, "D1"), features_of(history, "D2")):
        assert first["trader_is_new"] and first["trader_prior_declarations"] == 0
        assert first["trader_age_days"] == 0 and first["trader_prior_declarants"] == 0
        assert math.isnan(first["trader_heading_share"])
        assert math.isnan(first["trader_prior_hit_rate"])
        assert not first["trader_first_in_chapter"]


def test_trader_history_strictly_before_the_day(history: pd.DataFrame) -> None:
    third, fourth = features_of(history, "D3"), features_of(history, "D4")
    assert (third["trader_prior_declarations"], third["trader_age_days"]) == (2, 4)
    assert third["trader_first_in_chapter"] and third["trader_prior_declarants"] == 2
    assert (third["trader_prior_inspections"], third["trader_prior_violations"]) == (1, 1)
    assert (fourth["trader_prior_declarations"], fourth["trader_age_days"]) == (3, 9)
    assert fourth["trader_heading_share"] == pytest.approx(2 / 3)
    assert not fourth["trader_first_in_chapter"]
    # D2's clean result (5 Jan) is known on 10 Jan; D3's violation (12 Jan) is not.
    assert (fourth["trader_prior_inspections"], fourth["trader_prior_violations"]) == (2, 1)
    assert fourth["trader_prior_hit_rate"] == pytest.approx(0.5)


def test_declarant_history(history: pd.DataFrame) -> None:
    other_trader = features_of(history, "D5")
    assert other_trader["trader_is_new"]
    assert other_trader["declarant_prior_declarations"] == 2  # B1 on 1 and 5 January
    assert other_trader["declarant_age_days"] == 9
    assert other_trader["declarant_prior_violations"] == 1
    assert other_trader["declarant_prior_inspections"] == 1


def test_single_row_history() -> None:
    row = features_of(build_training_features(declarations({}), no_inspections()), "D1")
    assert row["trader_is_new"] and row["declarant_prior_declarations"] == 0
    assert row["route_prior_declarations"] == 0
    assert math.isnan(row["unit_value_ratio_to_reference"])
