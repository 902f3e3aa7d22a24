"""Triage of incoming inspection results and hit rates per group, on a few hand-made rows."""

from __future__ import annotations

import pandas as pd

from models.feedback import (
    NO_INDICATOR,
    NO_PROFILE,
    NOT_SCORED,
    REASON,
    UNKNOWN_DECLARATION,
    hit_rates,
    triage,
)


def results(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    ids, outcomes, categories = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "declaration_id": list(ids),
            "inspection_date": pd.to_datetime(["2024-08-01"] * len(rows)),
            "outcome": list(outcomes),
            "violation_category": list(categories),
        }
    )


def test_each_incoming_result_is_new_repeated_conflicting_or_unknown() -> None:
    recorded = results([("D2", "clean", "none"), ("D3", "clean", "none")])
    incoming = results(
        [
            ("D1", "violation", "waste"),
            ("D2", "clean", "none"),
            ("D3", "violation", "ods"),
            ("D9", "clean", "none"),
        ]
    )
    sorted_ = triage(incoming, recorded, pd.Series(["D1", "D2", "D3"]))
    assert sorted_.new["declaration_id"].tolist() == ["D1"]
    assert sorted_.repeated["declaration_id"].tolist() == ["D2"]
    assert sorted_.conflicts["declaration_id"].tolist() == ["D3"]
    assert sorted_.conflicts[REASON].iloc[0] == (
        "conflicts with the result recorded on 2024-08-01: clean/none"
    )
    assert sorted_.unknown[REASON].tolist() == [UNKNOWN_DECLARATION]
    quarantine = sorted_.quarantine()
    assert quarantine["declaration_id"].tolist() == ["D3", "D9"]
    assert quarantine["inspection_date"].tolist() == ["2024-08-01"] * 2


def test_hit_rates_split_profiles_and_name_unscored_results() -> None:
    joined = pd.DataFrame(
        {
            "declaration_id": ["D1", "D2", "D3"],
            "selection_reason": ["rule", "model", "random"],
            "outcome": ["violation", "violation", "clean"],
            "violation_category": ["waste", "fraud", "none"],
            "lane": ["red", "red", None],
            "rules_fired": ["a|b", "", None],
            "shadow_fired": ["", "c", None],
            "model_version": ["1", "1", None],
        }
    )
    tables = hit_rates(joined, {"a": ["X01", "X05"], "b": ["X05", "O01"]})
    lane = tables["lane"].set_index("lane")
    assert lane.loc["red", "results"] == 2 and lane.loc["red", "hit_rate"] == 1.0
    assert lane.loc["red", "environmental_rate"] == 0.5
    assert lane.loc[NOT_SCORED, "violations"] == 0
    profile = tables["profile"].set_index("profile")["results"].to_dict()
    assert profile == {"a": 1, "b": 1, NO_PROFILE: 2}
    # D1 fired a and b: it counts once for each indicator they cite, X05 once.
    indicator = tables["indicator"].set_index("indicator")
    assert indicator["results"].to_dict() == {"O01": 1, "X01": 1, "X05": 1, NO_PROFILE: 2}
    assert indicator.loc["X05", "environmental"] == 1
    # The draft c fired on D2 alone: one result, a violation, and it selected nothing.
    shadow = tables["shadow_profile"].set_index("shadow_profile")
    assert shadow["results"].to_dict() == {"c": 1, NO_PROFILE: 2}
    assert shadow.loc["c", "violations"] == 1
    assert list(tables) == [
        "lane",
        "selection_reason",
        "profile",
        "indicator",
        "shadow_profile",
        "model_version",
    ]


def test_hit_rates_by_indicator_name_profiles_that_cite_none() -> None:
    joined = pd.DataFrame(
        {
            "declaration_id": ["D1"],
            "selection_reason": ["rule"],
            "outcome": ["violation"],
            "violation_category": ["ods"],
            "lane": ["red"],
            "rules_fired": ["gone"],
            "model_version": ["1"],
        }
    )
    assert hit_rates(joined)["indicator"]["indicator"].tolist() == [NO_INDICATOR]
