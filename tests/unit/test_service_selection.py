"""Online selection: thresholds from recent scores meet the office's share, the random stream
its exploration share with the propensity it records, and profile hits come out of the quota."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from models.selection import SelectionConfig
from pipelines.service.selection import OnlineSelector, ScoreWindow, draw


def _pool(n: int, *, office: str = "A", hits: float = 0.0, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "declaration_id": [f"{office}{seed}-{i}" for i in range(n)],
            "customs_office": office,
            "risk_score": rng.random(n),
            "mandatory": rng.random(n) < hits,
            "advisory": False,
        }
    )


def _selector(config: SelectionConfig, seeded: pd.DataFrame, **options: Any) -> OnlineSelector:
    window = ScoreWindow(size=len(seeded))
    window.add(
        seeded["customs_office"].to_numpy(),
        seeded["risk_score"].to_numpy(),
        seeded["mandatory"].to_numpy(),
    )
    return OnlineSelector(config, daily_volume=pd.Series({"A": 100.0}), window=window, **options)


def test_red_share_meets_the_budget_with_its_exploration() -> None:
    config = SelectionConfig(budget=0.10, exploration=0.2, seed=3)
    selector = _selector(config, _pool(20_000, seed=1))
    lanes = selector.lanes(_pool(20_000, seed=2), ranked=True)
    share = lanes["selected"].mean()
    assert share == pytest.approx(0.10, abs=0.01)
    by_reason = lanes["selection_reason"].value_counts(normalize=True)
    assert by_reason["model"] == pytest.approx(0.08, abs=0.008)
    assert by_reason["random"] == pytest.approx(0.02, abs=0.005)
    random_rows = lanes[lanes["selection_reason"] == "random"]
    expected = 0.02 / 0.92  # the exploration share over the rows the model did not take
    assert random_rows["selection_propensity"].to_numpy() == pytest.approx(expected)
    assert (random_rows["draw"] < expected).all()
    unselected = lanes[~lanes["selected"]]
    assert unselected["selection_propensity"].to_numpy() == pytest.approx(expected)
    yellow = (lanes["lane"] == "yellow").mean()
    assert yellow == pytest.approx(0.10, abs=0.01)  # yellow band = red capacity


def test_capacity_turns_into_the_office_share() -> None:
    config = SelectionConfig(budget=0.5, exploration=0.0)
    capacity = pd.Series({"A": 5})
    selector = _selector(config, _pool(10_000, seed=4), daily_capacity=capacity)
    assert selector.share("A") == pytest.approx(0.05)
    assert selector.share("unlisted") == 0.0
    lanes = selector.lanes(_pool(10_000, seed=5), ranked=True)
    assert lanes["selected"].mean() == pytest.approx(0.05, abs=0.007)


def test_profile_hits_take_their_places_first() -> None:
    config = SelectionConfig(budget=0.05, exploration=0.0)
    selector = _selector(config, _pool(20_000, hits=0.03, seed=6))
    lanes = selector.lanes(_pool(20_000, hits=0.03, seed=7), ranked=True)
    reasons = lanes["selection_reason"].value_counts(normalize=True)
    assert reasons["rule"] == pytest.approx(0.03, abs=0.005)
    assert reasons["model"] == pytest.approx(0.02, abs=0.005)


def test_without_a_ranking_model_the_random_stream_fills_the_share() -> None:
    config = SelectionConfig(budget=0.05, exploration=0.1)
    selector = _selector(config, _pool(10_000, hits=0.01, seed=8))
    lanes = selector.lanes(_pool(10_000, hits=0.01, seed=9), ranked=False)
    reasons = lanes["selection_reason"].value_counts(normalize=True)
    assert "model" not in reasons
    assert reasons["random"] == pytest.approx(0.04, abs=0.007)
    assert set(lanes.loc[~lanes["selected"], "lane"]) == {"green"}


def test_draws_are_stable_and_uniform() -> None:
    draws = np.array([draw(7, f"D{i}") for i in range(20_000)])
    assert draw(7, "D1") == draws[1]
    assert draw(8, "D1") != draws[1]
    assert ((draws >= 0) & (draws < 1)).all()
    assert np.histogram(draws, bins=10, range=(0, 1))[0] == pytest.approx(2_000, rel=0.1)


def test_an_office_with_few_scores_uses_all_offices() -> None:
    config = SelectionConfig(budget=0.1, exploration=0.0)
    selector = _selector(config, _pool(5_000, office="A", seed=10))
    own = selector.thresholds("A", ranked=True)
    new = selector.thresholds("B", ranked=True)
    assert new.model == own.model
    assert 0.85 < own.model < 0.95


def test_the_window_keeps_each_offices_last_scores() -> None:
    window = ScoreWindow(size=300)
    risks = np.arange(1_000) / 1_000
    offices = np.where(np.arange(1_000) % 4 == 0, "B", "A")  # A 750 scores, B 250
    window.add(offices[:10], risks[:10], risks[:10] > 0.5)  # a small batch, then the rest
    window.add(offices[10:], risks[10:], risks[10:] > 0.5)
    last = {"A": risks[offices == "A"][-300:], "B": risks[offices == "B"], "*": risks[-300:]}
    last["C"] = last["*"]  # an office never seen reads all offices' window
    for office, expected in last.items():
        got, hits = window.scores(office)
        assert sorted(got) == sorted(expected), office
        assert hits.tolist() == (got > 0.5).tolist()
