"""The point-in-time rule (leakage) and the two paths agreeing (parity).

Both run on a small simulated world (20k declarations over six months) and on factory data.
"""

from __future__ import annotations

import pandas as pd
import pytest

from features import build_scoring_features, build_snapshots, build_training_features
from simulation import WorldConfig, simulate
from tests.factories import valid_declarations, valid_inspections
from tests.unit.features_fixtures import declarations, no_inspections

CUTS = ("2024-02-01", "2024-03-17", "2024-05-31")
#: Batch days as positions in the world's sorted distinct dates (first, ..., last).
DAY_POSITIONS = (0.0, 0.3, 0.6, 1.0)


@pytest.fixture(scope="module", params=["simulated", "factories"])
def world(request: pytest.FixtureRequest) -> tuple[pd.DataFrame, pd.DataFrame]:
    if request.param == "simulated":
        simulated = simulate(WorldConfig(declarations=20_000, months=6, seed=5))
        return simulated.declarations, simulated.inspections
    frame = valid_declarations(800, seed=11, start="2024-01-01")
    return frame, valid_inspections(frame, share=0.3, seed=11)


@pytest.fixture(scope="module")
def training(world: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    return build_training_features(*world)


def _rows(features: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    return features.set_index("declaration_id").loc[ids.to_numpy()].reset_index()


def assert_same(left: pd.DataFrame, right: pd.DataFrame) -> None:
    """Equal frames, floats within a tolerance that only summation order can explain."""
    pd.testing.assert_frame_equal(
        left.reset_index(drop=True), right.reset_index(drop=True), rtol=1e-9, atol=1e-12
    )


@pytest.mark.parametrize("cut", CUTS)
def test_rows_before_the_cut_ignore_later_declarations_and_results(
    world: tuple[pd.DataFrame, pd.DataFrame], training: pd.DataFrame, cut: str
) -> None:
    frame, results = world
    before = frame[frame["declaration_date"] < cut]
    truncated = build_training_features(before, results[results["inspection_date"] < cut])
    assert_same(truncated, _rows(training, before["declaration_id"]))


@pytest.mark.parametrize("cut", CUTS)
def test_rows_before_the_cut_ignore_later_inspection_results(
    world: tuple[pd.DataFrame, pd.DataFrame], training: pd.DataFrame, cut: str
) -> None:
    frame, results = world
    known = build_training_features(frame, results[results["inspection_date"] < cut])
    early = frame.loc[frame["declaration_date"] < cut, "declaration_id"]
    assert_same(_rows(known, early), _rows(training, early))


@pytest.mark.parametrize("position", DAY_POSITIONS)
def test_scoring_a_day_equals_training_features_of_that_day(
    world: tuple[pd.DataFrame, pd.DataFrame], training: pd.DataFrame, position: float
) -> None:
    frame, results = world
    dates = frame["declaration_date"].drop_duplicates().sort_values().to_numpy()
    day = pd.Timestamp(dates[round(position * (len(dates) - 1))])
    batch = frame[frame["declaration_date"] == day]
    scored = build_scoring_features(batch, build_snapshots(frame, results, day))
    assert_same(scored, _rows(training, batch["declaration_id"]))


def test_snapshots_use_only_what_was_known_before_the_date(
    world: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    frame, results = world
    day = "2024-06-10"
    batch = frame[frame["declaration_date"] == day]
    full = build_scoring_features(batch, build_snapshots(frame, results, day))
    past = build_snapshots(
        frame[frame["declaration_date"] < day], results[results["inspection_date"] < day], day
    )
    assert_same(full, build_scoring_features(batch, past))


def test_scoring_refuses_rows_dated_before_the_snapshot() -> None:
    history = declarations({"declaration_date": "2024-01-01"})
    snapshots = build_snapshots(history, no_inspections(), "2024-02-01")
    with pytest.raises(ValueError, match="before the snapshot date"):
        build_scoring_features(declarations({"declaration_date": "2024-01-31"}), snapshots)


def test_a_later_batch_keeps_its_own_dates_and_the_snapshot_state() -> None:
    history = declarations({"declaration_date": "2024-01-01"}, {"declaration_date": "2024-01-05"})
    snapshots = build_snapshots(history, no_inspections(), "2024-01-10")
    batch = declarations({"declaration_date": "2024-01-20", "declaration_id": "N1"})
    row = build_scoring_features(batch, snapshots).iloc[0]
    assert row["trader_prior_declarations"] == 2 and row["trader_age_days"] == 19


def test_both_paths_accept_an_empty_batch_and_keep_the_columns(
    world: tuple[pd.DataFrame, pd.DataFrame], training: pd.DataFrame
) -> None:
    frame, results = world
    snapshots = build_snapshots(frame, results, "2024-06-01")
    empty = build_scoring_features(frame.iloc[0:0], snapshots)
    assert list(empty.columns) == list(training.columns) and empty.empty
