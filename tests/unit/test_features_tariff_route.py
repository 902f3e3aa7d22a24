"""Tariff and route families on hand-made frames with known answers."""

from __future__ import annotations

import math

from features import ImportBan, build_scoring_features, build_snapshots, build_training_features
from tests.unit.features_fixtures import declarations, features_of, no_inspections


def _build(*rows: dict) -> object:
    return build_training_features(declarations(*rows), no_inspections())


def test_hs_parts_keep_the_leading_zero_chapter_as_numbers() -> None:
    features = _build({"hs_code": "0106110000", "goods_description": "live primates"})
    row = features_of(features, "D1")
    assert (row["hs_chapter"], row["hs_heading"], row["hs6"]) == (1, 106, 10611)


def test_regime_flags_and_permits() -> None:
    features = _build(
        {"hs_code": "010611", "permit_reference": ""},  # CITES code without permit
        {"hs_code": "290345", "permit_reference": "LIC-9"},  # licensed HFC
        {"hs_code": "847130", "permit_reference": ""},  # used-EEE code: goods, no consent
        {"hs_code": "120740", "permit_reference": ""},  # sesame: background, cover goods
    )
    wildlife, hfc, laptops, sesame = (features_of(features, f"D{i}") for i in range(1, 5))
    assert wildlife["is_wildlife_code"] and wildlife["permit_expected"]
    assert wildlife["permit_missing_for_controlled"] and not wildlife["permit_present"]
    assert hfc["is_ods_code"] and hfc["permit_present"] and not hfc["permit_missing_for_controlled"]
    assert laptops["is_waste_code"] and not laptops["permit_expected"]
    assert sesame["is_cover_code"] and not sesame["permit_expected"]
    assert not (sesame["is_waste_code"] or sesame["is_ods_code"] or sesame["is_wildlife_code"])


def test_scrap_needs_a_permit_but_ordinary_timber_does_not() -> None:
    features = _build(
        {"hs_code": "391590", "permit_reference": ""},
        {"hs_code": "440799", "permit_reference": ""},
        {"hs_code": "290351", "permit_reference": ""},  # HFO: not a controlled substance
    )
    assert features_of(features, "D1")["permit_missing_for_controlled"]
    assert not features_of(features, "D2")["permit_expected"]
    assert not features_of(features, "D3")["permit_expected"]


def test_documented_plastic_route_through_a_hub() -> None:
    row = features_of(
        _build(
            {
                "hs_code": "391590",
                "origin_country": "US",
                "consignment_country": "US",
                "transit_countries": "HK",
                "destination_country": "MY",
            }
        ),
        "D1",
    )
    assert row["origin_is_source_state"] and row["destination_is_demand_state"]
    assert row["transit_via_regime_hub"] and row["transit_via_any_hub"]
    assert row["transit_country_count"] == 1


def test_missing_transit_countries_mean_no_hub() -> None:
    row = features_of(_build({"transit_countries": "", "consignment_country": "CN"}), "D1")
    assert row["transit_country_count"] == 0
    assert not (row["transit_via_any_hub"] or row["transit_via_regime_hub"])
    assert not row["consigned_from_third_country"]


def test_consignment_from_a_hub_counts_as_a_stop() -> None:
    row = features_of(
        _build(
            {
                "hs_code": "050710",
                "goods_description": "raw ivory",
                "origin_country": "NG",
                "consignment_country": "SG",
                "destination_country": "VN",
            }
        ),
        "D1",
    )
    assert row["consigned_from_third_country"] and row["transit_via_regime_hub"]
    assert row["origin_is_source_state"]


def test_background_code_is_never_from_a_source_state() -> None:
    row = features_of(_build({"hs_code": "090111", "origin_country": "NG"}), "D1")
    assert not row["origin_is_source_state"] and not row["transit_via_regime_hub"]


def test_import_bans_apply_from_their_start_date() -> None:
    features = _build(
        {"hs_code": "391590", "destination_country": "CN", "declaration_date": "2017-12-31"},
        {"hs_code": "391590", "destination_country": "CN", "declaration_date": "2018-01-01"},
        {"hs_code": "391510", "destination_country": "MY", "declaration_date": "2018-07-01"},
        {"hs_code": "290371", "destination_country": "DE", "declaration_date": "2015-05-05"},
        {"hs_code": "290345", "destination_country": "DE", "declaration_date": "2015-05-05"},
    )
    bans = [features_of(features, f"D{i}")["destination_import_ban_in_force"] for i in range(1, 6)]
    assert bans == [False, True, True, True, False]


def test_cover_goods_on_a_wildlife_route() -> None:
    features = _build(
        {"hs_code": "120740", "origin_country": "UG", "destination_country": "MY"},
        {"hs_code": "120740", "origin_country": "US", "destination_country": "MY"},
    )
    assert features_of(features, "D1")["cover_goods_on_wildlife_route"]
    assert not features_of(features, "D2")["cover_goods_on_wildlife_route"]


def test_route_rarity_counts_only_earlier_days() -> None:
    route = {"hs_code": "391590", "origin_country": "US", "destination_country": "MY"}
    features = _build(
        {**route, "declaration_date": "2024-01-01"},
        {**route, "declaration_date": "2024-01-02"},
        {**route, "declaration_date": "2024-01-02"},
        {**route, "declaration_date": "2024-01-03", "origin_country": "DE"},
    )
    rows = [features_of(features, f"D{i}") for i in range(1, 5)]
    assert [r["route_prior_declarations"] for r in rows] == [0, 1, 1, 0]
    assert math.isnan(rows[0]["route_share_of_heading"])
    assert rows[1]["route_share_of_heading"] == rows[2]["route_share_of_heading"] == 1.0
    assert rows[3]["route_share_of_heading"] == 0.0


def test_a_world_can_bring_its_own_dated_bans_to_both_paths() -> None:
    bans = (
        ImportBan(frozenset({"ID"}), ("3915",), frozenset(), "2025-01-01", None,
                  "plastic scrap", "simulated drift event"),
    )  # fmt: skip
    plastic = {"hs_code": "391590", "destination_country": "ID"}
    frame = declarations(
        {**plastic, "declaration_date": "2024-12-31"}, {**plastic, "declaration_date": "2025-01-02"}
    )
    training = build_training_features(frame, no_inspections(), import_bans=bans)
    assert list(training["destination_import_ban_in_force"]) == [False, True]
    snapshots = build_snapshots(frame, no_inspections(), "2025-01-02", import_bans=bans)
    scored = build_scoring_features(frame.iloc[[1]], snapshots)
    assert scored["destination_import_ban_in_force"].tolist() == [True]
    default = build_training_features(frame, no_inspections())
    assert not default["destination_import_ban_in_force"].any()  # no real ban on ID


def test_hs2017_codes_kept_as_declared_read_as_their_hs2022_goods() -> None:
    features = _build(
        # HS 2017 2903.39 held HFCs, now split into 2903.41-2903.69.
        {"hs_code": "2903390000", "declaration_date": "2021-06-01", "permit_reference": ""},
        # HS 2017 8548.10 held waste batteries and cells, now e-waste heading 85.49.
        {"hs_code": "854810", "declaration_date": "2021-06-01", "permit_reference": ""},
        # The same HFC under its HS 2022 code, for comparison.
        {"hs_code": "290348", "declaration_date": "2022-06-01", "permit_reference": ""},
    )
    hfc_2017, batteries_2017, hfc_2022 = (features_of(features, f"D{i}") for i in range(1, 4))
    assert hfc_2017["is_ods_code"] and hfc_2017["permit_missing_for_controlled"]
    assert hfc_2017["hs6"] == hfc_2022["hs6"] == 290348
    assert batteries_2017["is_waste_code"] and batteries_2017["permit_expected"]
    assert batteries_2017["hs_heading"] == 8549
    assert not (batteries_2017["is_ods_code"] or hfc_2017["is_waste_code"])
