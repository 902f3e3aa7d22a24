"""Profile backtest numbers: volume per month, hit rates, the random-stream estimate, overlaps."""

from __future__ import annotations

import datetime as dt
import math
from functools import cache

import numpy as np
import pandas as pd
import pytest

from models.backtest import backtest, random_stream_estimate, wilson_interval
from models.rules import fire, packaged_profiles
from tests.unit.simulation_worlds import small_world

SINCE, UNTIL = dt.date(2024, 1, 1), dt.date(2024, 3, 1)  # 60 days


def case() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rows = pd.DataFrame(
        {
            "declaration_id": [f"D{i}" for i in range(8)],
            "declaration_date": pd.to_datetime(
                [
                    *("2024-01-03", "2024-01-09", "2024-01-20", "2024-02-01"),
                    *("2024-02-02", "2024-02-10", "2024-02-11", "2024-02-28"),
                ]
            ),
        }
    )
    fired = pd.DataFrame(
        {
            "ODS-01": [True, True, False, True, True, True, False, True],
            "ODS-02": [True, False, False, False, True, False, True, False],
        }
    )
    results = pd.DataFrame(
        {
            "declaration_id": ["D0", "D1", "D3", "D4", "D5", "D6", "X9"],
            "selection_reason": [
                "random",
                "random",
                "rule",
                "random",
                "officer",
                "random",
                "random",
            ],
            "selection_propensity": [0.5, 0.25, 0.9, 0.2, 0.3, 0.5, 0.1],
            "outcome": [
                "violation",
                "clean",
                "violation",
                "violation",
                "violation",
                "violation",
                "violation",
            ],
            "violation_category": ["ods", "none", "other", "waste", "ods", "ods", "ods"],
        }
    )
    return rows, fired, results


def test_backtest_numbers_equal_the_hand_computed_ones() -> None:
    rows, fired, results = case()
    result = backtest(
        rows,
        fired,
        "ODS-01",
        results,
        model_red=pd.Series(["D1", "D5", "D6"]),
        scored=pd.Series(["D0", "D1", "D5", "D6"]),
        since=SINCE,
        until=UNTIL,
    )
    assert result.fires == 6
    assert [(m.month, m.declarations, m.fires) for m in result.months] == [
        ("2024-01", 3, 2),
        ("2024-02", 5, 4),
    ]
    assert result.fires_per_month == pytest.approx(6 / (60 / (365.25 / 12)))
    # Fired with a result: D0 (hit), D1 (clean), D3 ("other": not environmental), D4, D5 (hits).
    assert (result.results, result.hits) == (5, 3)
    assert result.inspected_hit_rate == pytest.approx(3 / 5)
    # Random results among the fires: D0 (w 2, hit), D1 (w 4, clean), D4 (w 5, hit).
    stream = result.random_stream
    assert (stream.random_results, stream.random_hits) == (3, 2)
    assert stream.hit_rate == pytest.approx((2 + 5) / (2 + 4 + 5))
    assert stream.effective_n == pytest.approx(round(11**2 / (4 + 16 + 25), 2))
    assert stream.low is not None and stream.high is not None
    assert stream.low < 7 / 11 < stream.high
    overlaps = {o.other: (o.both, o.share) for o in result.overlaps}
    assert overlaps == {"ODS-02": (2, pytest.approx(2 / 6))}
    assert (result.model_red.both, result.model_red.share) == (2, pytest.approx(2 / 6))
    assert result.scored_fires == 3


def test_no_random_result_means_no_estimate_and_never_firing_means_no_share() -> None:
    rows, fired, results = case()
    fired["ODS-03"] = False
    result = backtest(
        rows,
        fired,
        "ODS-03",
        results,
        model_red=pd.Series([], dtype="str"),
        scored=pd.Series([], dtype="str"),
        since=SINCE,
        until=UNTIL,
    )
    assert result.fires == 0 and result.inspected_hit_rate is None
    assert result.random_stream.hit_rate is None and result.model_red.share is None


def test_wilson_interval_matches_the_textbook_value() -> None:
    low, high = wilson_interval(0.2, 50)  # 10 of 50
    assert (low, high) == (pytest.approx(0.1124, abs=1e-4), pytest.approx(0.3304, abs=1e-4))
    assert wilson_interval(0.0, 10)[0] == 0.0
    assert all(math.isnan(x) for x in wilson_interval(0.5, 0))


@cache
def fired_world() -> tuple[pd.DataFrame, str]:
    """A small simulated world's fires and truth, and the profile with the most true hits."""
    from features import build_training_features

    world = small_world(seed=11, declarations=40_000)
    features = build_training_features(world.declarations, world.inspections)
    fired = fire(features, packaged_profiles())
    truth = world.truth.set_index("declaration_id").reindex(features["declaration_id"])
    environmental = truth["is_illicit"] & truth["category"].isin(["waste", "ods", "wildlife"])
    found = fired.to_numpy() & environmental.to_numpy()[:, None]
    best = str(fired.columns[found.sum(axis=0).argmax()])  # the most true hits
    return fired[[best]].assign(
        declaration_id=features["declaration_id"].to_numpy(),
        illicit=environmental.to_numpy(),
    ), best


def random_stream(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """A random stream that samples violations more (40%) than the rest (10%), with a perfect
    inspection: each result is the truth, each row carries its sampling rate. The unweighted
    share of hits is far off; the inverse-propensity one is not."""
    rng = np.random.default_rng(seed)
    rate = np.where(frame["illicit"], 0.4, 0.1)
    sampled = rng.random(len(frame)) < rate
    picked = frame[sampled]
    return pd.DataFrame(
        {
            "declaration_id": picked["declaration_id"].to_numpy(),
            "selection_reason": "random",
            "selection_propensity": rate[sampled],
            "hit": picked["illicit"].to_numpy(),
        }
    )


def test_random_stream_interval_covers_the_true_hit_rate() -> None:
    frame, profile = fired_world()
    mine = frame[frame[profile]]
    truth = float(mine["illicit"].mean())
    assert len(mine) > 150 and mine["illicit"].sum() >= 20
    covered, naive, widths = [], [], []
    for seed in range(200):
        stream = random_stream(mine, seed)
        estimate = random_stream_estimate(stream)
        assert estimate.low is not None and estimate.high is not None
        covered.append(estimate.low <= truth <= estimate.high)
        naive.append(float(stream["hit"].mean()))
        widths.append(estimate.high - estimate.low)
    # One draw covers it; over 200 draws the 95% interval covers it at least about 95% of the
    # time (the Kish effective size makes it a little conservative when the weights follow the
    # outcome), without being uselessly wide; the unweighted share overstates the rate.
    assert covered[0]
    assert np.mean(covered) >= 0.92
    assert np.mean(widths) < 0.3
    assert np.mean(naive) > 1.5 * truth


def test_backtest_page_escapes_the_unit_text_and_has_no_script() -> None:
    from pipelines.reports.profiles import render_backtest_report

    rows, fired, results = case()
    result = backtest(
        rows,
        fired,
        "ODS-01",
        results,
        model_red=pd.Series([], dtype="str"),
        scored=pd.Series([], dtype="str"),
        since=SINCE,
        until=UNTIL,
    )
    evil = "<script>alert(1)</script>"
    profile = {
        "id": "ODS-01",
        "version": 2,
        "status": "draft",
        "standing": "draft: shadow only",
        "lane": "red",
        "owner": evil,
        "approval": None,
        "indicators": ["O01"],
        "window": "2024-01-01 to open",
        "source": "unit",
        "title": evil,
        "rationale": evil,
        "expected_volume_per_month": 3.0,
        "expected_hit_rate": 0.5,
    }
    page = render_backtest_report({"profile": profile, "backtest": result.model_dump(mode="json")})
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count('<img alt="') == 2
