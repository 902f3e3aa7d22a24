"""Case studies: the world layout, the exercise filter, the answers and the documents."""

from __future__ import annotations

import datetime
import re
from functools import cache
from pathlib import Path

import pandas as pd
import pydantic
import pytest

from casestudy import (
    BRIEFS,
    MEASURES,
    CaseStudy,
    CaseStudyConfig,
    Pattern,
    answer_key,
    answers_markdown,
    case_study_names,
    exercises_markdown,
    lane_counts,
    markdown_table,
    planted_table,
    questions,
    run_case_study,
    summary,
)
from casestudy.documents import route
from models.rules import ProfileSet, packaged_profiles
from simulation import SCENARIOS, World, WorldConfig, simulate

REFERENCE = Path(__file__).resolve().parents[2] / "data_contracts" / "reference" / "REFERENCE.md"
SMALL = 6_000


@cache
def world(name: str) -> World:
    return simulate(CaseStudyConfig(scenario=name, declarations=SMALL).world_config())


@cache
def study(name: str | None) -> CaseStudy:
    return run_case_study(CaseStudyConfig(scenario=name, declarations=SMALL))


def test_layout_puts_the_ban_on_the_first_review_day() -> None:
    config = CaseStudyConfig(history_months=12, review_months=4)
    assert config.review_start == datetime.date(2025, 1, 1)
    assert config.review_end == datetime.date(2025, 4, 30)
    bans = [e for e in config.world_config().events() if e.kind == "import_ban"]
    assert [ban.date for ban in bans] == [config.review_start]


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_planted_shipment_is_in_the_review_and_fits_the_pattern(name: str) -> None:
    config = CaseStudyConfig(scenario=name, declarations=SMALL)
    planted = world(name).declarations[(world(name).truth["modus_operandi"] == name).to_numpy()]
    assert len(planted) == SCENARIOS[name].count(SMALL)
    dates = planted["declaration_date"]
    assert dates.min() >= pd.Timestamp(config.review_start)
    assert dates.max() <= pd.Timestamp(config.review_end)
    # The filter of exercise 2 finds every one of them.
    assert Pattern.of_scenario(name).matches(planted).all()


def test_scenario_window_is_validated() -> None:
    with pytest.raises(pydantic.ValidationError, match="scenario_window"):
        WorldConfig(scenario="ods-label-swap", scenario_window=(0.8, 0.2))
    with pytest.raises(pydantic.ValidationError, match="unknown scenario"):
        CaseStudyConfig(scenario="no-such-scheme")


def test_pattern_checks_codes_origin_hub_and_destination() -> None:
    frame = pd.DataFrame(
        {
            "hs_code": ["29034500", "29034500", "29034500", "29037100"],
            "origin_country": ["CN", "CN", "IN", "CN"],
            "consignment_country": ["CN", "AE", "AE", "AE"],
            "transit_countries": ["AE|SG", "", "", ""],
            "destination_country": ["MY", "MY", "MY", "MY"],
        }
    )
    assert Pattern.of_scenario("ods-label-swap").matches(frame).tolist() == [
        True,
        True,
        False,
        False,
    ]


def test_measures_guard_zero_containers_and_quantities() -> None:
    frame = pd.DataFrame(
        {
            "customs_value_usd": [100.0, 50.0],
            "net_weight_kg": [50.0, 0.0],
            "gross_weight_kg": [20_000.0, 900.0],
            "container_count": pd.array([2, 0], dtype="Int64"),
            "quantity": [10.0, 0.0],
        }
    )
    assert MEASURES["unit_value"].values(frame).tolist() == [2.0, 500.0]
    per_container = MEASURES["weight_per_container"].values(frame)
    assert per_container.iloc[0] == 10_000.0 and pd.isna(per_container.iloc[1])
    assert pd.isna(MEASURES["kg_per_unit"].values(frame).iloc[1])


def test_route_names_each_country_once() -> None:
    frame = pd.DataFrame(
        {
            "origin_country": ["UG", "MG"],
            "consignment_country": ["KE", "MG"],
            "transit_countries": ["KE", ""],
            "destination_country": ["MY", "CN"],
        }
    )
    assert route(frame).tolist() == ["UG>KE>MY", "MG>CN"]


def test_markdown_table_keeps_pipes_inside_cells() -> None:
    table = markdown_table(pd.DataFrame({"profiles": ["ODS-01|ODS-04"], "n": [3]}))
    assert table.splitlines()[2] == "| ODS-01\\|ODS-04 | 3 |"


@pytest.mark.parametrize("name", case_study_names())
def test_briefs_cite_only_sources_of_the_reference(name: str) -> None:
    reference = REFERENCE.read_text(encoding="utf-8")
    text = BRIEFS[name].background + BRIEFS[name].check
    keys = set(re.findall(r"S_[A-Z0-9_]+", text))
    assert keys
    assert all(f"**{key}**" in reference for key in keys), keys


def test_answers_agree_with_the_study() -> None:
    name = "ivory-in-cover-goods"
    case = study(name)
    found = Pattern.of_scenario(name).matches(case.scored)
    answers = answer_key(case)
    assert [a.question for a in answers] == questions(name)
    assert answers[0].answer.startswith(f"{len(case.scored):,} declarations")
    assert answers[1].answer.startswith(f"{int(found.sum()):,} declarations fit")
    planted = case.planted
    assert len(planted) == SCENARIOS[name].count(SMALL)
    assert sum(lane_counts(planted).values()) == len(planted)


def test_documents_name_every_planted_shipment_and_keep_answers_out_of_the_handout() -> None:
    case = study("rosewood-generic-timber")
    key = answers_markdown(case)
    handout = exercises_markdown(case.config)
    for declaration in planted_table(case)["declaration_id"]:
        assert declaration in key
        assert declaration not in handout
    assert all(question in handout for question in questions(case.config.scenario))
    counts = summary(case)
    assert counts["planted"] == len(case.planted)
    assert counts["lanes"] == lane_counts(case.scored)


def test_batch_carries_no_truth_and_scores_cover_it() -> None:
    case = study(None)
    assert not {"is_illicit", "category", "modus_operandi"} & set(case.batch.columns)
    assert case.scores["declaration_id"].tolist() == case.batch["declaration_id"].tolist()
    assert case.planted.empty
    assert len(answer_key(case)) == len(questions(None))


def test_same_configuration_same_scores() -> None:
    config = CaseStudyConfig(scenario="ods-label-swap", declarations=3_000, seed=3)
    first, second = run_case_study(config), run_case_study(config)
    pd.testing.assert_frame_equal(first.scores, second.scores)
    assert answers_markdown(first) == answers_markdown(second)


def test_a_study_scores_with_the_given_profiles_and_their_drafts_fire_in_shadow() -> None:
    shipped = study("ods-label-swap")
    fired = shipped.scores["rules_fired"].str.split("|").explode().value_counts()
    busiest = str(fired.drop("", errors="ignore").index[0])
    drafted = ProfileSet(
        tuple(
            p.model_copy(update={"status": "draft"}) if p.id == busiest else p
            for p in packaged_profiles().profiles
        )
    )
    redone = run_case_study(shipped.config, drafted)
    assert redone.profiles is drafted
    assert not redone.scores["rules_fired"].str.contains(busiest).any()
    shadow = redone.scores["shadow_fired"] == busiest
    before = shipped.scores["rules_fired"].str.split("|").map(lambda ids: busiest in ids)
    assert shadow.tolist() == before.tolist()
