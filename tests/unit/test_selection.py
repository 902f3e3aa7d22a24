"""Selection into lanes: capacity, order of priority, random stream and propensities."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.rules import packaged_profiles
from models.scoring import assign_lanes, profile_flags
from models.selection import SelectionConfig, capacity_for_budget, select, select_by_office


def pool(n: int = 1000, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "risk_score": rng.random(n),
            "mandatory": rng.random(n) < 0.01,
            "advisory": rng.random(n) < 0.02,
            "customs_office": rng.choice(["A", "B", "C"], size=n),
        }
    )


def run(frame: pd.DataFrame, capacity: int, **options: float) -> pd.DataFrame:
    config = SelectionConfig(**options)
    return select(
        frame["risk_score"], frame["mandatory"], frame["advisory"], capacity=capacity, config=config
    )


def test_red_lane_is_rules_then_top_risk_then_random() -> None:
    frame = pool()
    out = run(frame, capacity=50, exploration=0.1)
    assert out["selected"].sum() == 50
    assert (out["lane"] == "red").sum() == 50
    assert out.loc[frame["mandatory"], "selection_reason"].eq("rule").all()
    assert (out["selection_reason"] == "random").sum() == 5
    model_rows = out["selection_reason"] == "model"
    unselected = ~out["selected"]
    # Every model pick outranks every declaration left out.
    assert frame.loc[model_rows, "risk_score"].min() > frame.loc[unselected, "risk_score"].max()


def test_propensities_match_the_random_stream() -> None:
    out = run(pool(), capacity=50, exploration=0.2)
    random_rows = out["selection_reason"] == "random"
    pool_size = (out["selection_reason"].isin(["", "random"])).sum()
    assert np.allclose(out.loc[random_rows, "selection_propensity"], 10 / pool_size)
    assert (
        out.loc[out["selection_reason"].isin(["rule", "model"]), "selection_propensity"].eq(1).all()
    )
    assert out["selection_propensity"].between(0, 1).all()


def test_without_a_model_profiles_decide_and_the_rest_explores() -> None:
    frame = pool().assign(risk_score=np.nan)
    out = run(frame, capacity=40)
    assert set(out["selection_reason"]) == {"", "rule", "random"}
    assert out["selected"].sum() == 40


def test_yellow_band_follows_red_and_takes_advisory_hits() -> None:
    frame = pool()
    out = run(frame, capacity=50, yellow_factor=1.0)
    assert (out["lane"] == "yellow").sum() >= 50
    assert out.loc[frame["advisory"] & ~out["selected"], "lane"].eq("yellow").all()


def test_same_seed_same_selection_and_capacity_per_office_is_respected() -> None:
    frame = pool()
    capacity = pd.Series({"A": 7, "B": 0, "C": 12})
    first = select_by_office(frame, capacity, config=SelectionConfig(seed=3))
    second = select_by_office(frame, capacity, config=SelectionConfig(seed=3))
    pd.testing.assert_frame_equal(first, second)
    per_office = first.groupby(frame["customs_office"])["selected"].sum()
    assert per_office.to_dict() == {"A": 7, "B": 0, "C": 12}


def test_capacity_for_budget() -> None:
    assert capacity_for_budget(1000, 0.05) == 50
    assert capacity_for_budget(10, 0.01) == 1
    assert capacity_for_budget(0, 0.05) == 0


def test_assign_lanes_takes_a_share_of_the_batch_or_each_offices_capacity() -> None:
    frame = pool()
    config = SelectionConfig(budget=0.03, exploration=0.1, seed=4)
    shared = assign_lanes(frame, selection=config)
    pd.testing.assert_frame_equal(shared, run(frame, capacity=30, budget=0.03, seed=4))
    capacity = pd.Series({"A": 5, "B": 0, "C": 2})
    per_office = assign_lanes(frame, selection=config, capacity_per_office=capacity)
    red = per_office["selected"].groupby(frame["customs_office"]).sum()
    assert red.to_dict() == {"A": 5, "B": 0, "C": 2}


def test_profile_flags_mark_red_profiles_mandatory_and_yellow_ones_advisory() -> None:
    profiles = packaged_profiles()
    red = next(p.id for p in profiles.profiles if p.lane == "red")
    yellow = next(p.id for p in profiles.profiles if p.lane == "yellow")
    fired = pd.DataFrame(False, index=range(3), columns=profiles.ids)
    fired.loc[0, red] = True
    fired.loc[1, yellow] = True
    flags = profile_flags(fired, profiles)
    assert flags["mandatory"].tolist() == [True, False, False]
    assert flags["advisory"].tolist() == [False, True, False]
