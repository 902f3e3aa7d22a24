"""Monitoring by profile: fires per month and hit rate against the profile's expected band."""

from __future__ import annotations

import pandas as pd
import pytest

from models.alerts import profile_alerts
from models.monitoring import ProfileActivity, profile_activity

MONTH = 365.25 / 12


def window(fires: int, results: int, hits: int, *, rows: int = 400) -> pd.DataFrame:
    """`rows` scored rows; the first `fires` fired ODS-01 (and WST-01), `results` have one."""
    fired = ["ODS-01|WST-01"] * fires + [""] * (rows - fires)
    outcome = ["violation"] * hits + ["clean"] * (results - hits) + [None] * (rows - results)
    category = ["ods"] * hits + ["none"] * (rows - hits)
    return pd.DataFrame({"rules_fired": fired, "outcome": outcome, "violation_category": category})


def activity(fires: int, results: int, hits: int, volume: float, rate: float) -> ProfileActivity:
    rows = profile_activity(window(fires, results, hits), {"ODS-01": (volume, rate)}, days=30)
    return rows[0]


def test_activity_counts_fires_results_and_hits_of_each_profile() -> None:
    frame = window(fires=40, results=30, hits=6)
    rows = profile_activity(frame, {"ODS-01": (20.0, 0.3), "WLD-01": (None, None)}, days=30)
    ods, wld = rows
    assert (ods.fires, ods.results, ods.hits) == (40, 30, 6)
    assert ods.fires_per_month == pytest.approx(round(40 / (30 / MONTH), 2))
    assert ods.hit_rate == pytest.approx(0.2)
    assert ods.expected_fires == pytest.approx(round(20 * 30 / MONTH, 2))
    assert (wld.fires, wld.hit_rate, wld.expected_fires) == (0, None, None)


@pytest.mark.parametrize(
    ("fires", "volume", "alerted"),
    [
        (20, 20.0, False),  # as expected
        (9, 20.0, True),  # below half
        (11, 20.0, False),  # just above half
        (45, 20.0, True),  # above twice
        (0, 5.0, False),  # 4.9 fires expected: too few to tell a quiet month from chance
    ],
)
def test_volume_alerts_outside_half_to_twice_the_expected(
    fires: int, volume: float, alerted: bool
) -> None:
    found = profile_alerts([activity(fires, 0, 0, volume, 0.2)])
    assert bool(found) is alerted
    if alerted:
        assert found[0].startswith("profile ODS-01:") and "fires per month" in found[0]


@pytest.mark.parametrize(
    ("results", "hits", "alerted"),
    [(40, 4, True), (40, 5, False), (19, 0, False), (20, 0, True)],
)
def test_hit_rate_alerts_below_half_the_expected_with_enough_results(
    results: int, hits: int, alerted: bool
) -> None:
    found = profile_alerts([activity(40, results, hits, 40 / (30 / MONTH), 0.25)])
    assert bool(found) is alerted
    if alerted:
        assert "hit rate" in found[0] and "against 25.0% expected" in found[0]


def test_profile_without_expectations_never_alerts() -> None:
    assert len(profile_alerts([activity(200, 100, 0, 20.0, 0.3)])) == 2
    rows = profile_activity(window(200, 100, 0), {"ODS-01": (None, None)}, days=30)
    assert profile_alerts(rows) == []
