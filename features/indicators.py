"""Risk indicators: when a feature's value points to risk, and the sentence that says so.

`describe(name, row)` is the reason an officer reads for one feature, or "" when the value is
not a risk indicator: a false flag, a missing value, an ordinary value, or a feature that is only
a fact (how many earlier declarations a trader has, how many declarations the usual value rests
on, the HS code itself). So a model contribution never turns into "trader has 12 earlier
declarations"; only into something with a direction ("declared value per kg is 6% of the usual").

`fallback_reasons(row)` gives a row's strongest indicators whatever the model said (strong ones
first), ending with the highest earlier violation rate among its code, origin and route, so a
selected declaration always has a specific reason. Thresholds are deliberately conservative:
about twice the usual violation rate, half or double the usual unit value, two standard
deviations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from features.catalogue import CATALOGUE, feature, is_missing, sentence

STRONG, MEDIUM, WEAK = 3, 2, 1
Test = Callable[[Any], bool]


@dataclass(frozen=True)
class Indicator:
    """When a feature is a risk indicator (`test` on its value), how strong, and its sentence
    (None: the catalogue's)."""

    test: Test
    weight: int
    template: str | None = None


def _true(value: Any) -> bool:
    return bool(value)


def _at_least(bound: float) -> Test:
    return lambda value: float(value) >= bound


def _between(low: float, high: float) -> Test:
    return lambda value: low <= float(value) <= high


def _outside(low: float, high: float) -> Test:
    return lambda value: float(value) < low or float(value) > high


_TRADER_RECORD = "trader's earlier inspections found violations in {violations} of {inspections}"
_DECLARANT_RECORD = (
    "declarant's earlier inspections found violations in {declarant_violations} of "
    "{declarant_inspections}"
)

INDICATORS: dict[str, Indicator] = {
    "is_waste_code": Indicator(_true, WEAK),
    "is_ods_code": Indicator(_true, WEAK),
    "is_wildlife_code": Indicator(_true, WEAK),
    "is_cover_code": Indicator(_true, STRONG),
    "permit_expected": Indicator(_true, WEAK),
    "permit_missing_for_controlled": Indicator(_true, STRONG),
    "permit_unknown": Indicator(_true, STRONG),
    "permit_not_valid_on_date": Indicator(_true, STRONG),
    "permit_holder_mismatch": Indicator(_true, STRONG),
    "permit_hs_outside": Indicator(_true, MEDIUM),
    "permit_quantity_used_share": Indicator(_at_least(0.9), MEDIUM),
    "permit_quantity_exceeded": Indicator(_true, STRONG),
    "permit_holder_count": Indicator(_at_least(2), WEAK),
    "permit_reused_by_holders": Indicator(_true, MEDIUM),
    "ods_quota_used_share": Indicator(_at_least(0.9), WEAK),
    "ods_quota_exceeded": Indicator(_true, MEDIUM),
    "hs6_prior_violation_rate": Indicator(_at_least(0.08), MEDIUM),
    "origin_is_source_state": Indicator(_true, MEDIUM),
    "destination_is_demand_state": Indicator(_true, MEDIUM),
    "transit_country_count": Indicator(_at_least(2), WEAK),
    "consigned_from_third_country": Indicator(_true, MEDIUM),
    "transit_via_any_hub": Indicator(_true, MEDIUM),
    "transit_via_regime_hub": Indicator(_true, STRONG),
    "cover_goods_on_wildlife_route": Indicator(_true, STRONG),
    "destination_import_ban_in_force": Indicator(_true, STRONG),
    "route_prior_declarations": Indicator(
        _between(0, 1),
        WEAK,
        "rare route: {value:.0f} earlier declarations from {origin} to {destination} for HS "
        "{heading_code}",
    ),
    "origin_chapter_prior_violation_rate": Indicator(_at_least(0.08), MEDIUM),
    "route_prior_violation_rate": Indicator(_at_least(0.08), MEDIUM),
    "unit_value_ratio_to_reference": Indicator(_outside(0.5, 2.0), STRONG),
    "unit_value_log_zscore": Indicator(
        _outside(-2.0, 2.0),
        STRONG,
        "declared value per kg is {magnitude:.1f} standard deviations {side} the usual for HS "
        "{hs6_code}",
    ),
    "container_payload_ratio": Indicator(_at_least(1.0), MEDIUM),
    "net_to_gross_weight_ratio": Indicator(
        _between(0.0, 0.5), WEAK, "net weight is only {pct:.0f}% of gross weight"
    ),
    "customs_value_is_round": Indicator(_true, WEAK),
    "net_weight_is_round": Indicator(_true, WEAK),
    "personal_effects_cap_ratio": Indicator(_at_least(1.0), MEDIUM),
    "personal_effects_cap_exceeded_without_permit": Indicator(_true, STRONG),
    "trader_is_new": Indicator(_true, MEDIUM),
    "trader_age_days": Indicator(
        _between(1, 60), WEAK, "trader first seen only {value:.0f} days ago"
    ),
    "trader_prior_violations": Indicator(_at_least(1), STRONG, _TRADER_RECORD),
    "trader_prior_hit_rate": Indicator(lambda value: float(value) > 0, STRONG, _TRADER_RECORD),
    "trader_first_in_chapter": Indicator(_true, MEDIUM),
    "trader_prior_declarants": Indicator(_at_least(3), WEAK),
    "declarant_age_days": Indicator(
        _between(1, 60), WEAK, "declarant first seen only {value:.0f} days ago"
    ),
    "declarant_prior_violations": Indicator(_at_least(1), MEDIUM, _DECLARANT_RECORD),
    "description_length_chars": Indicator(
        _between(1, 10),
        WEAK,
        "goods description is too vague to identify the goods ({value:.0f} characters)",
    ),
    "description_is_empty": Indicator(_true, MEDIUM),
    "mentions_used": Indicator(_true, WEAK),
    "mentions_scrap_or_waste": Indicator(_true, MEDIUM),
    "mentions_recycled": Indicator(_true, MEDIUM),
    "mentions_refrigerant_code": Indicator(_true, WEAK),
    "mentions_controlled_ods": Indicator(_true, STRONG),
    "mentions_personal_effects": Indicator(_true, MEDIUM),
    "mentions_protected_species": Indicator(_true, STRONG),
    "description_is_generic": Indicator(_true, MEDIUM),
    "description_chapter_mismatch": Indicator(_at_least(0.9), MEDIUM),
    "description_heading_mismatch": Indicator(_at_least(0.9), MEDIUM),
}

#: Violation rates that every row has (smoothed): the last resort of `fallback_reasons`.
RATES = ("hs6_prior_violation_rate", "origin_chapter_prior_violation_rate",
         "route_prior_violation_rate")  # fmt: skip

_CATALOGUE_ORDER = {entry.name: position for position, entry in enumerate(CATALOGUE)}
#: Indicator names, strongest first (catalogue order within a strength).
FALLBACK_ORDER = sorted(INDICATORS, key=lambda n: (-INDICATORS[n].weight, _CATALOGUE_ORDER[n]))


def is_indicator(name: str, row: Mapping[str, Any]) -> bool:
    """Whether the feature's value in `row` points to risk."""
    indicator = INDICATORS.get(name)
    value = row.get(name)
    return indicator is not None and not is_missing(value) and indicator.test(value)


def describe(name: str, row: Mapping[str, Any]) -> str:
    """The risk reason of one feature in `row` (declaration + features), or "" if its value is
    not a risk indicator (KeyError names an uncatalogued feature)."""
    if not is_indicator(name, row):
        feature(name)  # an uncatalogued name fails here, as everywhere else
        return ""
    template = INDICATORS[name].template
    if template is None:
        return sentence(name, row)
    value = float(row[name])
    extra = {
        "magnitude": abs(value),
        "side": "below" if value < 0 else "above",
        "violations": _count(row, "trader_prior_violations"),
        "inspections": _count(row, "trader_prior_inspections"),
        "declarant_violations": _count(row, "declarant_prior_violations"),
        "declarant_inspections": _count(row, "declarant_prior_inspections"),
    }
    return sentence(name, row, template=template, extra=extra)


def _count(row: Mapping[str, Any], name: str) -> str:
    value: Any = row.get(name)
    return "?" if is_missing(value) else f"{float(value):.0f}"


def fallback_reasons(row: Mapping[str, Any], *, limit: int = 3) -> list[str]:
    """The row's strongest risk indicators in any category, or, when it has none, its highest
    earlier violation rate (code, origin or route), so the list is empty only without history."""
    reasons: list[str] = []
    for name in FALLBACK_ORDER:
        if is_indicator(name, row):
            reason = describe(name, row)
            if reason not in reasons:
                reasons.append(reason)
            if len(reasons) == limit:
                return reasons
    if reasons:
        return reasons
    known = [name for name in RATES if not is_missing(row.get(name))]
    if not known:
        return []
    return [sentence(max(known, key=lambda name: float(row[name])), row)]
