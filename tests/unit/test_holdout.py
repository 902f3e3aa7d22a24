"""The time split of a training run (`HoldoutPlan`) and the promotion rule."""

from __future__ import annotations

import datetime

import pandas as pd
import pytest

from models.gate import GateDecision, should_promote
from models.training import HoldoutPlan, time_split

DATES = pd.Series(pd.date_range("2024-01-01", "2024-12-31", freq="D"))


def test_the_holdout_is_the_last_days_before_until_and_fitting_stops_a_gap_before() -> None:
    plan = HoldoutPlan.of(DATES, datetime.date(2024, 10, 1), holdout_days=30, gap_days=14)
    assert plan.until == pd.Timestamp("2024-10-01")
    assert plan.holdout_start == pd.Timestamp("2024-09-01")
    assert plan.fit_until == datetime.date(2024, 8, 18)
    frame = pd.DataFrame({"declaration_date": DATES, "declaration_id": range(len(DATES))})
    held = plan.holdout(frame)
    assert held["declaration_date"].min() == pd.Timestamp("2024-09-01")
    assert held["declaration_date"].max() == pd.Timestamp("2024-09-30")  # until is excluded
    assert len(held) == 30 and held.index.tolist() == list(range(30))


def test_without_until_the_holdout_ends_the_day_after_the_last_declaration() -> None:
    shuffled = DATES.sample(frac=1.0, random_state=0)
    plan = HoldoutPlan.of(shuffled, None, holdout_days=90, gap_days=0)
    assert plan.until == pd.Timestamp("2025-01-01")
    assert plan.in_holdout(DATES).sum() == 90
    assert plan.fit_until == plan.holdout_start.date()


def test_the_holdout_and_the_stopping_window_split_time_the_same_way() -> None:
    plan = HoldoutPlan.of(DATES, None, holdout_days=20, gap_days=10)
    split = time_split(DATES, valid_days=20, gap_days=10)
    assert plan.holdout_start == split.valid_start
    assert (plan.in_holdout(DATES) == split.valid).all()
    fit_end = pd.Timestamp(plan.fit_until)
    assert (DATES.lt(fit_end).to_numpy() == split.fit).all()


@pytest.mark.parametrize(
    ("passed", "forced", "asked", "promoted"),
    [
        (True, "", True, True),
        (False, "", True, False),  # a failed gate keeps the champion, or the empty place
        (False, "the unit accepts the risk", True, True),  # a person overrides, with a reason
        (True, "", False, False),  # never without being asked
        (False, "reason", False, False),
    ],
)
def test_promotion_needs_asking_and_a_passed_or_forced_gate(
    passed: bool, forced: str, asked: bool, promoted: bool
) -> None:
    gate = GateDecision(passed, ["reason"], forced=forced)
    assert should_promote(gate, asked=asked) is promoted
