"""Selection into lanes: capacity, order of priority, random stream and propensities."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.rules import packaged_profiles
from models.scoring import assign_lanes, profile_flags
from models.selection import SelectionConfig, capacity_for_budget, select, select_by_office

DAYS = pd.date_range("2025-03-03", periods=4, freq="D")


def pool(n: int = 1000, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "declaration_id": [f"D{i:05d}" for i in range(n)],
            "risk_score": rng.random(n),
            "mandatory": rng.random(n) < 0.01,
            "advisory": rng.random(n) < 0.02,
            "customs_office": rng.choice(["A", "B", "C"], size=n),
            "declaration_date": rng.choice(DAYS, size=n),
        }
    )


def picks(frame: pd.DataFrame, lanes: pd.DataFrame) -> pd.Series:
    """Selected rows per (office, day)."""
    return lanes["selected"].groupby([frame["customs_office"], frame["declaration_date"]]).sum()


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


def test_every_office_and_day_gets_its_own_quota_exactly() -> None:
    # Three offices x four days; C has fewer rows on some days than its quota of 100.
    frame = pool(n=1200)
    capacity = pd.Series({"A": 7, "B": 0, "C": 100})
    lanes = select_by_office(frame, capacity, config=SelectionConfig(seed=3))
    rows = frame.groupby(["customs_office", "declaration_date"]).size()
    quota = capacity.reindex(rows.index.get_level_values(0)).to_numpy()
    expected = np.minimum(quota, rows.to_numpy())
    assert picks(frame, lanes).to_numpy().tolist() == expected.tolist()
    assert len(rows) == 12 and (rows.loc["C"] < 100).any() and (rows.loc["C"] > 100).any()
    assert not lanes.loc[frame["customs_office"] == "B", "selected"].any()


def test_office_day_selection_is_seeded_and_independent_of_row_order() -> None:
    frame = pool()
    capacity = pd.Series({"A": 7, "B": 3, "C": 12})
    config = SelectionConfig(seed=3, exploration=0.3)
    first = select_by_office(frame, capacity, config=config)
    pd.testing.assert_frame_equal(first, select_by_office(frame, capacity, config=config))
    shuffled = frame.sample(frac=1.0, random_state=5)
    again = select_by_office(shuffled, capacity, config=config)
    pd.testing.assert_frame_equal(again.loc[frame.index], first)
    other = select_by_office(frame, capacity, config=config.model_copy(update={"seed": 4}))
    assert not other["selection_reason"].equals(first["selection_reason"])


def test_each_office_and_day_explores_its_share_of_the_quota() -> None:
    # 0.1 x 3 = 0.3 random picks a day: a whole share would round to none, so it is drawn.
    days = pd.date_range("2025-01-01", periods=200, freq="D")
    frame = pd.DataFrame(
        {
            "declaration_id": [f"D{i:06d}" for i in range(len(days) * 40)],
            "risk_score": np.random.default_rng(2).random(len(days) * 40),
            "mandatory": False,
            "advisory": False,
            "customs_office": "A",
            "declaration_date": np.repeat(days, 40),
        }
    )
    lanes = select_by_office(frame, pd.Series({"A": 3}), config=SelectionConfig(exploration=0.1))
    random = (lanes["selection_reason"] == "random").groupby(frame["declaration_date"]).sum()
    assert picks(frame, lanes).eq(3).all()
    assert set(random) == {0, 1}
    assert abs(random.mean() - 0.3) < 0.08
    # The recorded chance is the stream's expectation, 0.3 of the rows left to sample (38 on a
    # day with a random pick, 37 without), not the 0 or 1 that happened.
    chances = lanes.loc[lanes["selection_reason"].isin(["", "random"]), "selection_propensity"]
    assert np.allclose(sorted(chances.round(12).unique()), [0.3 / 38, 0.3 / 37])


def test_mandatory_hits_beyond_a_day_quota_head_the_yellow_band() -> None:
    frame = pool(n=400).assign(
        customs_office="A", declaration_date=DAYS[0], mandatory=False, advisory=False
    )
    frame.loc[frame.index[:10], "mandatory"] = True
    config = SelectionConfig(exploration=0.0, yellow_factor=1.0)
    lanes = select_by_office(frame, pd.Series({"A": 4}), config=config)
    hits = lanes.loc[frame["mandatory"]]
    assert (hits["selection_reason"] == "rule").sum() == 4 and lanes["selected"].sum() == 4
    # The band of 4 (yellow_factor x quota) is the next 4 hits by risk; the last 2 stay green.
    left = frame.loc[frame["mandatory"] & ~lanes["selected"]].sort_values("risk_score")
    assert lanes.loc[left.index[2:], "lane"].eq("yellow").all()
    assert lanes.loc[left.index[:2], "lane"].eq("green").all()
    assert set(lanes.index[lanes["lane"] == "yellow"]) <= set(left.index)


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
    assert red.to_dict() == {"A": 5 * len(DAYS), "B": 0, "C": 2 * len(DAYS)}
    assert picks(frame, per_office).max() == 5


def test_a_risk_that_may_not_rank_selects_like_profiles_alone() -> None:
    frame = pool()
    config = SelectionConfig(budget=0.04, seed=2)
    constant = assign_lanes(frame.assign(ranked=False), selection=config)
    alone = assign_lanes(frame.assign(risk_score=np.nan), selection=config)
    pd.testing.assert_frame_equal(constant, alone)
    assert "model" not in set(constant["selection_reason"])
    ranked = assign_lanes(frame.assign(ranked=True), selection=config)
    pd.testing.assert_frame_equal(ranked, assign_lanes(frame, selection=config))


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
