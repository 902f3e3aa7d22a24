"""The simulated world: determinism, contracts, configured rates, policy, drift and scenarios."""

from __future__ import annotations

import datetime
import json

import numpy as np
import pandas as pd
import pydantic
import pytest

from data_contracts import validate
from data_contracts.schemas import column_names
from simulation import SCENARIOS, WorldConfig
from tests.unit.simulation_worlds import default_world, random_stream_world, small_world

ENV = ["waste", "ods", "wildlife"]


def _joined(world):
    return world.declarations.merge(world.truth, on="declaration_id", validate="one_to_one")


def test_same_config_same_frames_and_other_seed_differs():
    first = small_world(seed=11)
    again = WorldConfig(declarations=8_000, seed=11)
    from simulation import simulate

    second = simulate(again)
    pd.testing.assert_frame_equal(first.declarations, second.declarations)
    pd.testing.assert_frame_equal(first.inspections, second.inspections)
    pd.testing.assert_frame_equal(first.truth, second.truth)
    assert first.summary() == second.summary()
    other = small_world(seed=12)
    assert not first.declarations["trader_id"].equals(other.declarations["trader_id"])


def test_frames_are_canonical_sorted_and_summary_is_json():
    world = default_world()
    decl = world.declarations
    assert list(decl.columns) == column_names("declarations")
    assert list(world.inspections.columns) == column_names("inspections")
    assert str(decl["declaration_date"].dtype) == "datetime64[us]"
    assert str(decl["container_count"].dtype) == "Int64"
    assert decl["declaration_id"].is_unique
    order = decl.sort_values(["declaration_date", "declaration_id"]).index
    assert (order == decl.index).all()
    assert list(world.truth.columns) == [
        "declaration_id",
        "is_illicit",
        "category",
        "modus_operandi",
        "permit_abuse",
    ]
    assert world.truth["declaration_id"].equals(decl["declaration_id"])
    json.dumps(world.summary())


def test_contracts_pass_with_nothing_quarantined():
    world = default_world()
    declarations = validate(world.declarations, "declarations")
    inspections = validate(world.inspections, "inspections")
    assert len(declarations.quarantine) == 0, declarations.reason_counts
    assert len(inspections.quarantine) == 0, inspections.reason_counts
    assert world.declarations["declaration_date"].max() <= pd.Timestamp(datetime.date.today())


def test_physical_fields_are_plausible():
    decl = default_world().declarations
    assert (decl["net_weight_kg"] <= decl["gross_weight_kg"]).all()
    assert (decl["net_weight_kg"] > 0).all() and (decl["customs_value_usd"] >= 0).all()
    boxed = decl[decl["container_count"] > 0]
    per_box = boxed["gross_weight_kg"] / boxed["container_count"]
    assert (per_box > 28_180).mean() < 0.01  # payload breaches are rare anomalies, not the norm
    by_mode = decl.groupby("transport_mode")["gross_weight_kg"].median()
    assert by_mode["post"] < by_mode["air"] < by_mode["sea"]
    assert (decl.loc[decl["transport_mode"].isin(["air", "post"]), "container_count"] == 0).all()
    assert decl["flow"].value_counts(normalize=True)["import"] > 0.7
    assert decl["hs_code"].str[:2].nunique() > 80  # background trade spans the nomenclature
    assert 0.005 < (decl["goods_description"] == "").mean() < 0.03


def test_illicit_and_category_shares_follow_the_config():
    world = default_world()
    truth, config = world.truth, world.config
    assert truth["is_illicit"].mean() == pytest.approx(config.illicit_share, rel=0.05)
    for category in ENV:
        share = (truth["category"] == category).sum() / truth["is_illicit"].sum()
        assert share == pytest.approx(config.category_shares[category], abs=0.02)
    assert set(truth.loc[~truth["is_illicit"], "category"]) == {"none"}
    assert set(truth.loc[~truth["is_illicit"], "modus_operandi"]) == {""}
    assert truth.loc[truth["is_illicit"], "modus_operandi"].nunique() >= 20


def test_inspected_and_random_shares_as_configured():
    world = default_world()
    n = len(world.declarations)
    inspections = world.inspections
    assert len(inspections) / n == pytest.approx(world.config.inspection_rate, rel=0.1)
    random = inspections[inspections["selection_reason"] == "random"]
    assert len(random) / n == pytest.approx(world.config.random_inspection_rate, rel=0.15)
    assert (random["selection_propensity"] == world.config.random_inspection_rate).all()
    assert set(inspections["selection_reason"]) == {"rule", "officer", "random"}


def test_inspection_results_are_consistent():
    world = default_world()
    ins = world.inspections.merge(world.declarations, on="declaration_id", validate="one_to_one")
    clean = ins["outcome"] == "clean"
    assert (ins.loc[clean, "violation_category"] == "none").all()
    assert (ins.loc[~clean, "violation_category"] != "none").all()
    assert ins["selection_propensity"].between(0, 1, inclusive="right").all()
    lag = (ins["inspection_date"] - ins["declaration_date"]).dt.days
    assert lag.min() >= 1 and lag.max() <= 60 and lag.median() >= 3
    assert (ins["violation_category"] == "other").sum() > 0  # honest traders' revenue fraud


def test_detection_is_imperfect_and_labels_match_truth():
    world = default_world()
    ins = world.inspections.merge(world.truth, on="declaration_id")
    illicit = ins[ins["is_illicit"]]
    found = (illicit["violation_category"] == illicit["category"]).mean()
    assert 0.65 < found < 0.95
    assert (illicit["violation_category"].isin([*ENV, "none"])).all()
    assert (ins.loc[~ins["is_illicit"], "violation_category"].isin(["other", "none"])).all()


def test_legacy_policy_beats_the_base_rate():
    world = default_world()
    summary = world.summary()
    base = world.truth["is_illicit"].mean()
    assert summary["hit_rate_legacy"] > 2 * base
    assert summary["hit_rate_legacy"] < 0.3  # targeting is far from perfect


def test_random_stream_hit_rate_is_near_the_base_rate():
    world = random_stream_world()
    ins = world.inspections.merge(world.truth, on="declaration_id")
    random = ins[ins["selection_reason"] == "random"]
    base = world.truth["is_illicit"].mean()
    assert 0.5 * base < random["is_illicit"].mean() < 2 * base
    hits = random["violation_category"].isin(ENV).mean()
    expected = base * world.config.detection_probability
    assert 0.5 * expected < hits < 2 * expected


def test_trader_population_is_heavy_tailed_and_brokers_serve_many():
    decl = default_world().declarations
    per_trader = decl["trader_id"].value_counts()
    top = per_trader.iloc[: max(1, len(per_trader) // 100)].sum() / len(decl)
    assert 0.2 < top < 0.4
    assert per_trader.median() <= 10
    assert decl["trader_id"].str.fullmatch(r"T[0-9a-f]{10}").all()
    traders_per_broker = decl.groupby("declarant_id")["trader_id"].nunique()
    assert traders_per_broker.median() >= 5
    chapters = decl.assign(ch=decl["hs_code"].str[:2]).groupby("trader_id")["ch"].nunique()
    assert chapters[per_trader[per_trader >= 20].index].median() <= 4  # specialised


def test_import_ban_reroutes_plastic_scrap():
    world = default_world()
    decl = world.declarations
    ban = next(e for e in world.config.events() if e.kind == "import_ban")
    outward = decl[decl["hs_code"].str.startswith("3915") & (decl["flow"] != "import")]
    after = outward["declaration_date"] >= pd.Timestamp(ban.date)
    to_banned = outward["destination_country"] == ban.country
    assert to_banned[~after].mean() > 0.2
    assert to_banned[after].sum() == 0
    plastic = _joined(world)
    plastic = plastic[plastic["modus_operandi"].str.startswith("waste_plastic")]
    late = plastic["declaration_date"] >= pd.Timestamp(ban.date)
    days = (world.config.end - ban.date).days / (ban.date - world.config.start).days
    assert late.sum() / max((~late).sum(), 1) > 1.5 * days  # smuggling surges after the ban


def test_new_tactic_starts_at_its_event():
    world = default_world()
    event = next(e for e in world.config.events() if e.kind == "new_tactic")
    rows = _joined(world)
    rows = rows[rows["modus_operandi"] == event.tactic]
    assert len(rows) >= 10
    assert (rows["declaration_date"] >= pd.Timestamp(event.date)).all()
    names = [e["name"] for e in world.summary()["drift_events"]]
    assert {"plastic-import-ban-TH", "hfc-declared-as-hfo", "network-shifts-after-seizure"} <= set(
        names
    )


def test_networks_move_after_their_first_seizure():
    world = default_world()
    shifts = world.summary()["drift_events"][-1]["shifts"]
    assert shifts, "no network was ever caught"
    assert sum(s["shipments_moved"] for s in shifts) > 0


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_plants_its_shipments_with_recorded_parameters(name):
    world = small_world(scenario=name, declarations=10_000)
    scenario = SCENARIOS[name]
    recorded = world.summary()["scenario"]
    planted = _joined(world)
    planted = planted[planted["modus_operandi"] == name]
    assert recorded["name"] == name and recorded["planted"] == len(planted)
    assert len(planted) == scenario.count(10_000)
    assert set(planted["hs_code"].str[:6]) <= set(scenario.tactic.declared_codes)
    assert set(planted["origin_country"]) <= set(scenario.tactic.origins)
    start, end = (pd.Timestamp(day) for day in recorded["window"])
    assert planted["declaration_date"].between(start, end + pd.Timedelta(days=3)).all()
    assert recorded["tactic"]["declared_hs6"] == list(scenario.tactic.declared_codes)
    assert len(world.declarations) == 10_000


def test_scenario_price_is_far_from_market():
    world = small_world(scenario="ods-label-swap", declarations=20_000)
    rows = _joined(world)
    rows = rows[rows["hs_code"].str.startswith("290345")]
    unit_value = rows["customs_value_usd"] / rows["net_weight_kg"]
    planted = rows["modus_operandi"] == "ods-label-swap"
    legit = ~rows["is_illicit"]
    assert unit_value[planted].median() < 0.6 * unit_value[legit].median()


def test_config_rejects_unknown_scenarios_and_future_periods():
    with pytest.raises(pydantic.ValidationError):
        WorldConfig(scenario="no-such-scenario")
    with pytest.raises(pydantic.ValidationError):
        WorldConfig(start=datetime.date.today(), months=12)
    with pytest.raises(pydantic.ValidationError):
        WorldConfig(category_shares={"plastic": 1.0})
    shares = WorldConfig().category_shares
    assert sum(shares.values()) == pytest.approx(1.0)
    assert shares["waste"] > shares["ods"] > 0 and shares["wildlife"] > 0
    assert np.isclose(
        WorldConfig(category_shares={"waste": 2, "ods": 1, "wildlife": 1}).category_shares["waste"],
        0.5,
    )


@pytest.mark.parametrize(
    "options",
    [
        {"declarations": 300},
        {"declarations": 300, "scenario": "rosewood-generic-timber"},
        {"declarations": 2_000, "network_share": 0.0, "one_off_share": 0.0},
        {"declarations": 2_000, "drift_events": (), "network_adaptation": False},
    ],
)
def test_small_and_unusual_worlds_still_build(options):
    from simulation import simulate

    world = simulate(WorldConfig(**options))
    assert len(world.declarations) == options["declarations"]
    assert world.truth["declaration_id"].equals(world.declarations["declaration_id"])
    json.dumps(world.summary())
