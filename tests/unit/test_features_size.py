"""Size family: the declared value and net weight, the same in both paths and point in time."""

from __future__ import annotations

import pandas as pd

from features import build_scoring_features, build_snapshots, build_training_features, describe
from features.catalogue import feature, sentence
from tests.unit.features_fixtures import declarations, no_inspections


def test_size_features_are_the_declared_value_and_weight_in_both_paths() -> None:
    frame = declarations(
        {"declaration_id": "A", "customs_value_usd": 1_250.0, "net_weight_kg": 3.5},
        {"declaration_id": "B", "declaration_date": "2024-03-02", "customs_value_usd": 0.0},
    )
    training = build_training_features(frame, no_inspections())
    assert training["declared_value_usd"].tolist() == [1_250.0, 0.0]
    assert training["declared_net_weight_kg"].tolist() == [3.5, 9_050.0]
    snapshots = build_snapshots(frame, no_inspections(), "2024-03-02")
    scored = build_scoring_features(frame[frame["declaration_id"] == "B"], snapshots)
    assert scored["declared_value_usd"].tolist() == [0.0]
    assert scored["declared_net_weight_kg"].tolist() == [9_050.0]


def test_size_features_do_not_depend_on_other_declarations() -> None:
    one = declarations({"declaration_id": "A", "customs_value_usd": 10.0})
    more = pd.concat(
        [one, declarations({"declaration_id": "B", "customs_value_usd": 1e6, "net_weight_kg": 1.0})]
    )
    alone = build_training_features(one, no_inspections())
    together = build_training_features(more, no_inspections())
    columns = ["declared_value_usd", "declared_net_weight_kg"]
    pd.testing.assert_frame_equal(alone[columns], together[columns].head(1))


def test_size_reads_plainly_but_is_no_risk_reason() -> None:
    row = {"declared_value_usd": 12_500.0, "declared_net_weight_kg": 2.25}
    assert sentence("declared_value_usd", row) == "declared value is 12,500 USD"
    assert sentence("declared_net_weight_kg", row) == "declared net weight is 2.2 kg"
    # A size alone says nothing about risk: never an officer's reason.
    assert describe("declared_value_usd", row) == describe("declared_net_weight_kg", row) == ""
    assert feature("declared_value_usd").family == "value"
