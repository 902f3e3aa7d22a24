"""Outcome family: smoothed violation rates of earlier inspections, on hand-made frames."""

from __future__ import annotations

import pandas as pd
import pytest

from features import build_scoring_features, build_snapshots, build_training_features
from features.outcomes import ROOT_INSPECTIONS, ROOT_VIOLATIONS, shrunk_rate
from tests.unit.features_fixtures import (
    declarations,
    features_of,
    inspections,
    no_inspections,
    violation,
)

RATES = ("hs6_prior_violation_rate", "origin_chapter_prior_violation_rate",
         "route_prior_violation_rate")  # fmt: skip
ROOT = ROOT_VIOLATIONS / ROOT_INSPECTIONS


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    """Two R-134a imports from CN inspected early (one violation); later rows ask about them."""
    frame = declarations(
        {"declaration_date": "2024-01-01"},
        {"declaration_date": "2024-01-01", "trader_id": "T2"},
        {"declaration_date": "2024-01-20"},  # same code, origin and route: sees both results
        {"declaration_date": "2024-01-20", "origin_country": "IN"},  # same code, other origin
        {"declaration_date": "2024-01-20", "hs_code": "290371"},  # same heading, other code
        {"declaration_date": "2024-01-20", "destination_country": "BE"},  # other destination
        {"declaration_date": "2024-01-03"},  # before the results were recorded
    )
    results = inspections(
        violation("D1", "2024-01-05"),
        {"declaration_id": "D2", "inspection_date": "2024-01-05"},
    )
    return build_training_features(frame, results)


def test_without_any_inspection_every_rate_is_the_root_prior() -> None:
    row = features_of(build_training_features(declarations({}), no_inspections()), "D1")
    assert [row[name] for name in RATES] == pytest.approx([ROOT] * 3)


def test_results_count_only_from_the_day_they_are_recorded(history: pd.DataFrame) -> None:
    early = features_of(history, "D7")
    assert [early[name] for name in RATES] == pytest.approx([ROOT] * 3)


def test_rates_shrink_towards_the_parent_level(history: pd.DataFrame) -> None:
    flow = (1 + ROOT_VIOLATIONS) / (2 + ROOT_INSPECTIONS)
    heading = shrunk_rate(1, 2, flow)
    hs6 = shrunk_rate(1, 2, heading)
    origin = shrunk_rate(1, 2, hs6)
    same = features_of(history, "D3")
    assert same["hs6_prior_violation_rate"] == pytest.approx(hs6)
    assert same["origin_chapter_prior_violation_rate"] == pytest.approx(origin)
    assert same["route_prior_violation_rate"] == pytest.approx(shrunk_rate(1, 2, origin))
    # One violation in two inspections pulls the rate up, but ten pseudo-inspections hold it
    # well below 50%.
    assert ROOT < same["route_prior_violation_rate"] < 0.5


def test_an_unseen_key_takes_its_parents_rate(history: pd.DataFrame) -> None:
    same, other_origin = features_of(history, "D3"), features_of(history, "D4")
    assert other_origin["hs6_prior_violation_rate"] == pytest.approx(
        same["hs6_prior_violation_rate"]
    )
    assert other_origin["origin_chapter_prior_violation_rate"] == pytest.approx(
        same["hs6_prior_violation_rate"]
    )
    other_code = features_of(history, "D5")
    assert other_code["hs6_prior_violation_rate"] == pytest.approx(
        shrunk_rate(1, 2, (1 + ROOT_VIOLATIONS) / (2 + ROOT_INSPECTIONS))
    )
    other_destination = features_of(history, "D6")
    assert other_destination["route_prior_violation_rate"] == pytest.approx(
        same["origin_chapter_prior_violation_rate"]
    )


def test_scoring_path_gives_the_same_rates(history: pd.DataFrame) -> None:
    frame = declarations(
        {"declaration_date": "2024-01-01"},
        {"declaration_date": "2024-01-01", "trader_id": "T2"},
        {"declaration_date": "2024-01-20"},
    )
    results = inspections(
        violation("D1", "2024-01-05"),
        {"declaration_id": "D2", "inspection_date": "2024-01-05"},
    )
    batch = frame[frame["declaration_id"] == "D3"]
    scored = build_scoring_features(batch, build_snapshots(frame, results, "2024-01-20"))
    row = features_of(scored, "D3")
    assert [row[name] for name in RATES] == pytest.approx(
        [features_of(history, "D3")[name] for name in RATES]
    )
