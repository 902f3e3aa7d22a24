"""The online feature path gives exactly the batch scoring path's frame: every feature, every
dtype, register checks and quotas included, for a batch and for rows sent one at a time."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from data_contracts.schemas import QUOTA_KIND
from features import Snapshots, build_scoring_features, build_snapshots
from features.online import OnlineFeatures
from features.permits import PERMIT_FEATURES
from simulation import World
from tests.unit.simulation_worlds import small_world


@pytest.fixture(scope="module")
def world() -> World:
    """A simulated world with its permit register (abuses included), quotas made tight."""
    world = small_world(declarations=8_000)  # shared and cached: changed on a copy
    permits = world.permits.copy()
    quota = permits["kind"] == QUOTA_KIND
    permits.loc[quota, "quantity_allowed"] = permits.loc[quota, "quantity_allowed"] / 50
    return dataclasses.replace(world, permits=permits)


def _snapshot(world: World, position: float) -> tuple[Snapshots, pd.DataFrame]:
    """Snapshots as of a day `position` of the way through, and the declarations from it on."""
    dates = world.declarations["declaration_date"]
    day = dates.sort_values().iloc[int(position * (len(dates) - 1))]
    snapshots = build_snapshots(world.declarations, world.inspections, day, permits=world.permits)
    return snapshots, world.declarations[dates >= day]


@pytest.mark.parametrize("position", [0.3, 0.6])
def test_a_batch_gets_the_batch_paths_features_exactly(world: World, position: float) -> None:
    snapshots, batch = _snapshot(world, position)
    expected = build_scoring_features(batch, snapshots)
    online = OnlineFeatures.of(snapshots).features(batch)
    pd.testing.assert_frame_equal(online, expected, check_exact=True)
    # The register checks were exercised, not only their neutral values.
    fired = (expected[list(PERMIT_FEATURES)].astype(float) != 0).sum()
    assert (fired > 0).all(), fired[fired == 0]


def test_rows_sent_one_at_a_time_get_the_batch_paths_features(world: World) -> None:
    snapshots, batch = _snapshot(world, 0.6)
    expected = build_scoring_features(batch, snapshots)
    online = OnlineFeatures.of(snapshots)
    quoting = batch["permit_reference"] != ""
    picked = list(batch.index[quoting][:40]) + list(batch.index[~quoting][:40])
    positions = [batch.index.get_loc(label) for label in picked]
    one_by_one = pd.concat(
        [online.features(batch.loc[[label]]) for label in picked], ignore_index=True
    )
    pd.testing.assert_frame_equal(
        one_by_one, expected.iloc[positions].reset_index(drop=True), check_exact=True
    )


def test_declarations_before_the_snapshot_day_are_refused(world: World) -> None:
    snapshots, _ = _snapshot(world, 0.6)
    earlier = world.declarations[world.declarations["declaration_date"] < snapshots.as_of]
    with pytest.raises(ValueError, match="before the snapshot date"):
        OnlineFeatures.of(snapshots).features(earlier.head(3))
