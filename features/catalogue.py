"""The feature catalogue: every feature's family, meaning, unit, dtype and reason sentence.

Models and reports use only catalogued features (`model_feature_names`). `sentence` turns a
feature value into plain language (`features.indicators.describe` words only values that point
to risk, for reasons); `row` is the declaration merged with its
features (raw columns such as `transit_countries` fill in the details when present).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

Family = Literal["tariff", "permit", "route", "value", "party", "description"]
Dtype = Literal["bool", "int64", "float64"]


@dataclass(frozen=True)
class Feature:
    """One catalogued feature; `template_false` is the sentence for a false flag."""

    name: str
    family: Family
    meaning: str
    unit: str
    dtype: Dtype
    template: str
    template_false: str | None = None
    categorical: bool = False


def _flag(name: str, family: Family, meaning: str, template: str, template_false: str) -> Feature:
    return Feature(name, family, meaning, "flag", "bool", template, template_false)


_T: Family = "tariff"
_M: Family = "permit"
_R: Family = "route"
_V: Family = "value"
_P: Family = "party"
_D: Family = "description"

CATALOGUE: tuple[Feature, ...] = (
    Feature("hs_chapter", _T, "HS chapter (2 digits) of the declared code", "code", "int64",
            "goods declared in HS chapter {chapter_code}", categorical=True),
    Feature("hs_heading", _T, "HS heading (4 digits) of the declared code", "code", "int64",
            "goods declared under HS heading {heading_code}"),
    Feature("hs6", _T, "HS 2022 subheading (6 digits) of the declared code", "code", "int64",
            "goods declared under HS {hs6_code}"),
    _flag("is_waste_code", _T, "declared code is a Basel waste-relevant code",
          "HS {hs6_code} is a waste-relevant code (Basel)",
          "HS {hs6_code} is not a waste-relevant code"),
    _flag("is_ods_code", _T, "declared code is an ODS/HFC or equipment code (Montreal)",
          "HS {hs6_code} covers ozone-depleting substances, HFCs or equipment using them",
          "HS {hs6_code} is not an ODS/HFC code"),
    _flag("is_wildlife_code", _T, "declared code is a CITES-sensitive wildlife or timber code",
          "HS {hs6_code} covers wildlife or timber that may be CITES-listed",
          "HS {hs6_code} is not a wildlife code"),
    _flag("is_cover_code", _T, "declared code is documented cover for smuggled goods",
          "HS {hs6_code} is a known cover for smuggled goods",
          "HS {hs6_code} is not a known cover code"),
    _flag("permit_expected", _T, "the regime of the declared code needs a licence or permit",
          "goods under HS {hs6_code} need a licence, consent or CITES permit",
          "goods under HS {hs6_code} need no environmental permit"),
    _flag("permit_present", _T, "a permit, licence or consent reference is declared",
          "a permit reference is declared", "no permit reference is declared"),
    _flag("permit_missing_for_controlled", _T, "permit expected but no reference declared",
          "no licence or permit reference although HS {hs6_code} is controlled",
          "permit situation is in order"),
    _flag("permit_unknown", _M, "declared reference not in the permit register before the date",
          "the declared permit is not in the permit register",
          "the permit register knows the declared permit, or none applies"),
    _flag("permit_not_valid_on_date", _M, "permit expired, not yet valid or cancelled on the date",
          "the declared permit was not valid on the declaration date (expired, not yet "
          "valid or cancelled)", "the permit was valid on the declaration date"),
    _flag("permit_holder_mismatch", _M, "the declaring trader is not the permit's holder",
          "the declared permit was issued to another trader",
          "the declaring trader holds the permit"),
    _flag("permit_hs_outside", _M, "declared HS code not among the codes the permit covers",
          "HS {hs6_code} is not among the codes the declared permit covers",
          "the permit covers the declared code"),
    Feature("permit_quantity_used_share", _M, "quantity declared under the permit so far (this "
            "declaration included) over the quantity it allows", "share", "float64",
            "{pct:.0f}% of the quantity the declared permit allows is used"),
    _flag("permit_quantity_exceeded", _M, "quantity declared under the permit exceeds it",
          "declarations under the declared permit exceed the quantity it allows",
          "within the quantity the permit allows"),
    Feature("permit_holder_count", _M, "distinct traders quoting the reference so far (this one "
            "included)", "traders", "int64", "{value:.0f} different traders quoted the "
            "declared permit"),
    _flag("permit_reused_by_holders", _M, "reference quoted by two or more traders",
          "the declared permit is quoted by more than one trader",
          "only one trader quotes the permit"),
    Feature("ods_quota_used_share", _M, "ODS/HFC kg imported into the country this year (this "
            "declaration included) over the country's import quota", "share", "float64",
            "{pct:.0f}% of the country's ODS/HFC import quota for the year is used"),
    _flag("ods_quota_exceeded", _M, "ODS/HFC imports this year exceed the country's quota",
          "ODS/HFC imports this year exceed the country's import quota",
          "ODS/HFC imports are within the country's quota"),
    Feature("hs6_prior_violation_rate", _T,
            "share of earlier inspections of the HS6 that found a violation (smoothed)", "share",
            "float64", "{pct:.1f}% of earlier inspections of HS {hs6_code} found a violation"),
    _flag("origin_is_source_state", _R, "origin is a documented source/range state for the regime",
          "origin {origin} is a documented source or range state for these goods",
          "origin {origin} is not a documented source for these goods"),
    _flag("destination_is_demand_state", _R,
          "destination is a documented destination for the regime",
          "destination {destination} is a documented market for trafficked goods of this kind",
          "destination {destination} is not a documented market for these goods"),
    Feature("transit_country_count", _R, "number of declared transit countries", "countries",
            "int64", "{value:.0f} declared transit countries ({transit})"),
    _flag("consigned_from_third_country", _R, "consignment country differs from the origin",
          "consigned from {consignment}, not from the origin {origin}",
          "consigned from the country of origin"),
    _flag("transit_via_any_hub", _R, "a transit or consignment country is a documented hub",
          "route through a known transit hub ({transit})", "no known transit hub on the route"),
    _flag("transit_via_regime_hub", _R, "route passes a hub documented for this regime",
          "route through a transit hub documented for these goods ({transit})",
          "no hub documented for these goods on the route"),
    _flag("cover_goods_on_wildlife_route", _R, "cover goods on a documented wildlife route",
          "known cover goods from {origin} to {destination}, a documented wildlife route",
          "not cover goods on a wildlife route"),
    _flag("destination_import_ban_in_force", _R, "destination bans importing these goods then",
          "destination {destination} bans imports of these goods on this date",
          "no import ban on these goods at {destination}"),
    Feature("route_prior_declarations", _R,
            "earlier declarations of this HS heading on this origin->destination", "declarations",
            "int64", "{value:.0f} earlier declarations from {origin} to {destination} for HS "
            "{heading_code}"),
    Feature("route_share_of_heading", _R, "share of the heading's earlier declarations on route",
            "share", "float64", "this route carries {pct:.1f}% of earlier declarations for HS "
            "{heading_code}"),
    Feature("origin_chapter_prior_violation_rate", _R,
            "share of earlier inspections of the chapter from the origin that found a violation "
            "(smoothed)", "share", "float64", "{pct:.1f}% of earlier inspections of chapter "
            "{chapter_code} goods from {origin} found a violation"),
    Feature("route_prior_violation_rate", _R,
            "share of earlier inspections of the chapter on origin->destination that found a "
            "violation (smoothed)", "share", "float64", "{pct:.1f}% of earlier inspections of "
            "chapter {chapter_code} goods from {origin} to {destination} found a violation"),
    Feature("unit_value_usd_per_kg", _V, "declared value per net kg", "USD/kg", "float64",
            "declared value is {value:,.2f} USD per kg"),
    Feature("unit_value_ratio_to_reference", _V,
            "unit value over the geometric mean of earlier declarations of the code", "ratio",
            "float64", "declared value per kg is {pct:.0f}% of the usual for HS {hs6_code}"),
    Feature("unit_value_log_zscore", _V, "log unit value in standard deviations from the usual",
            "standard deviations", "float64",
            "declared value per kg is {value:+.1f} standard deviations from the usual for HS "
            "{hs6_code}"),
    Feature("unit_value_reference_count", _V, "earlier declarations behind the reference value",
            "declarations", "int64",
            "the usual value rests on {value:.0f} earlier declarations"),
    Feature("gross_weight_per_container_kg", _V, "gross weight per container", "kg", "float64",
            "{value:,.0f} kg gross per container"),
    Feature("container_payload_ratio", _V, "gross weight per container over maximum payload",
            "ratio", "float64", "gross weight per container is {pct:.0f}% of a container's "
            "maximum payload"),
    Feature("net_to_gross_weight_ratio", _V, "net weight over gross weight", "ratio", "float64",
            "net weight is {pct:.0f}% of gross weight"),
    _flag("customs_value_is_round", _V, "declared value is a whole number of thousands of USD",
          "declared value is a round figure", "declared value is not a round figure"),
    _flag("net_weight_is_round", _V, "net weight is a whole number of 100 kg",
          "declared net weight is a round figure", "declared net weight is not a round figure"),
    Feature("personal_effects_cap_ratio", _V,
            "quantity over the CITES personal-effects cap of the code", "ratio", "float64",
            "quantity is {pct:.0f}% of the CITES personal-effects limit"),
    Feature("declared_value_usd", _V, "declared customs value", "USD", "float64",
            "declared value is {value:,.0f} USD"),
    Feature("declared_net_weight_kg", _V, "declared net weight", "kg", "float64",
            "declared net weight is {value:,.1f} kg"),
    _flag("personal_effects_cap_exceeded_without_permit", _V,
          "above the CITES personal-effects cap and no permit declared",
          "above the CITES personal-effects limit without a permit",
          "within the CITES personal-effects limit or permitted"),
    _flag("trader_is_new", _P, "trader has no earlier declaration", "first declaration of this "
          "trader", "trader has declared before"),
    Feature("trader_age_days", _P, "days since the trader's first earlier declaration", "days",
            "int64", "trader first seen {value:.0f} days ago"),
    Feature("trader_prior_declarations", _P, "trader's earlier declarations", "declarations",
            "int64", "trader has {value:.0f} earlier declarations"),
    Feature("trader_prior_inspections", _P, "trader's inspection results known before the date",
            "inspections", "int64", "trader has {value:.0f} earlier inspection results"),
    Feature("trader_prior_violations", _P, "trader's violations known before the date",
            "violations", "int64", "trader has {value:.0f} earlier violations on record"),
    Feature("trader_prior_hit_rate", _P, "share of the trader's known inspections that found a "
            "violation", "share", "float64", "{pct:.0f}% of this trader's inspections found a "
            "violation"),
    Feature("trader_heading_share", _P, "share of the trader's earlier declarations in this "
            "heading", "share", "float64", "HS {heading_code} is {pct:.0f}% of this trader's "
            "earlier declarations"),
    _flag("trader_first_in_chapter", _P, "known trader never declared this chapter before",
          "first declaration of this trader in chapter {chapter_code}",
          "trader has declared in chapter {chapter_code} before"),
    Feature("trader_prior_declarants", _P, "distinct declarants the trader used before", "people",
            "int64", "trader has used {value:.0f} different declarants"),
    Feature("declarant_age_days", _P, "days since the declarant's first earlier declaration",
            "days", "int64", "declarant first seen {value:.0f} days ago"),
    Feature("declarant_prior_declarations", _P, "declarant's earlier declarations",
            "declarations", "int64", "declarant has {value:.0f} earlier declarations"),
    Feature("declarant_prior_inspections", _P, "declarant's inspection results known before",
            "inspections", "int64", "declarant has {value:.0f} earlier inspection results"),
    Feature("declarant_prior_violations", _P, "declarant's violations known before the date",
            "violations", "int64", "declarant has {value:.0f} earlier violations on record"),
    Feature("description_length_chars", _D, "length of the goods description", "characters",
            "int64", "goods description is {value:.0f} characters long"),
    _flag("description_is_empty", _D, "no goods description", "no goods description given",
          "a goods description is given"),
    _flag("mentions_used", _D, "description says used or second-hand",
          "description says the goods are used or second-hand", "description does not say used"),
    _flag("mentions_scrap_or_waste", _D, "description mentions scrap or waste",
          "description mentions scrap or waste", "description does not mention scrap or waste"),
    _flag("mentions_recycled", _D, "description claims recycled, reclaimed or recovered",
          "description claims recycled, reclaimed or recovered material",
          "no recycled or reclaimed claim"),
    _flag("mentions_refrigerant_code", _D, "description names a refrigerant (R-xx, HFC, ...)",
          "description names a refrigerant", "description names no refrigerant"),
    _flag("mentions_controlled_ods", _D, "description names a controlled ODS (R-22, CFC, ...)",
          "description names a controlled ozone-depleting substance",
          "description names no controlled ozone-depleting substance"),
    _flag("mentions_personal_effects", _D, "description says personal or household effects",
          "declared as personal or household effects", "not declared as personal effects"),
    _flag("mentions_protected_species", _D, "description names a protected species or product",
          "description names a protected species or product (ivory, rosewood, scales, ...)",
          "description names no protected species"),
    _flag("description_is_generic", _D, "description is generic (general cargo, various, ...)",
          "description is generic, such as 'general cargo'", "description is specific"),
    Feature("description_chapter_mismatch", _D,
            "1 - probability of the declared chapter given the description", "score", "float64",
            "the description does not fit HS chapter {chapter_code} (mismatch {value:.2f})"),
    Feature("description_heading_mismatch", _D,
            "1 - probability of the declared heading given the description", "score", "float64",
            "the description does not fit HS heading {heading_code} (mismatch {value:.2f})"),
)  # fmt: skip

_BY_NAME = {feature.name: feature for feature in CATALOGUE}


def feature(name: str) -> Feature:
    """The catalogue entry of one feature (KeyError names an uncatalogued feature)."""
    return _BY_NAME[name]


def model_feature_names() -> list[str]:
    """Every catalogued feature, in the order the builders return them."""
    return [entry.name for entry in CATALOGUE]


def categorical_feature_names() -> list[str]:
    """Catalogued features to treat as categories rather than numbers."""
    return [entry.name for entry in CATALOGUE if entry.categorical]


def catalogue_frame() -> pd.DataFrame:
    """The catalogue as a table (name, family, meaning, unit, dtype, template), for reports."""
    return pd.DataFrame(
        [
            {"name": e.name, "family": e.family, "meaning": e.meaning, "unit": e.unit,
             "dtype": e.dtype, "template": e.template}
            for e in CATALOGUE
        ]
    )  # fmt: skip


def families() -> dict[str, list[str]]:
    """Feature names per family."""
    grouped: dict[str, list[str]] = {}
    for entry in CATALOGUE:
        grouped.setdefault(entry.family, []).append(entry.name)
    return grouped


class _Context(dict[str, Any]):
    """A row's fields for a sentence template; derived fields are made only when the template
    names them (formatting the HS code three ways for every sentence was most of its cost)."""

    def __init__(self, row: Mapping[str, Any], derived: Mapping[str, Callable[[], Any]]) -> None:
        super().__init__(row)
        for key in derived:  # a derived field wins over a row field of the same name
            self.pop(key, None)
        self._derived = derived

    def __missing__(self, key: str) -> Any:
        make = self._derived.get(key)
        return "?" if make is None else make()


def _code(row: Mapping[str, Any], digits: int) -> str:
    """The code as features read it (HS 2022); six digits also name an HS 2017 code declared."""
    value: Any = row.get("hs6")
    declared = str(row.get("hs_code", "") or "").strip()[:6]
    text = declared if is_missing(value) or int(value) < 0 else f"{int(value):06d}"
    text = text[:digits] if len(text) >= digits else "?"
    if digits != 6 or text == "?":
        return text
    if len(declared) == 6 and declared != text:
        return f"{declared[:4]}.{declared[4:]} (HS 2017, read as HS 2022 {text[:4]}.{text[4:]})"
    return f"{text[:4]}.{text[4:]}"


def _derived_fields(row: Mapping[str, Any], value: Any) -> dict[str, Callable[[], Any]]:
    """The fields templates may name beyond the row's own, each made on demand."""

    def transit() -> str:
        countries = str(row.get("transit_countries", "") or "").replace("|", ", ")
        return countries or str(row.get("consignment_country", "") or "none declared")

    return {
        "pct": lambda: float(value) * 100,
        "hs6_code": lambda: _code(row, 6),
        "heading_code": lambda: _code(row, 4),
        "chapter_code": lambda: _code(row, 2),
        "transit": transit,
        "origin": lambda: row.get("origin_country", "?"),
        "destination": lambda: row.get("destination_country", "?"),
        "consignment": lambda: row.get("consignment_country", "?"),
    }


def is_missing(value: Any) -> bool:
    """None, NA or NaN."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def sentence(
    name: str,
    row: Mapping[str, Any],
    *,
    template: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """One feature's value in `row` (declaration + features) in plain language, whether or not
    it points to risk (`features.indicators.describe` words only the risky ones); `template`
    and `extra` replace the catalogue's sentence and add fields to it."""
    entry = feature(name)
    value: Any = row.get(name)
    if is_missing(value):
        return f"{entry.meaning}: not known (too little history or no data)"
    context = _Context(row, _derived_fields(row, value))
    context["value"] = value
    context.update(extra or {})
    if template is None:
        template = entry.template
        if entry.dtype == "bool" and not bool(value) and entry.template_false:
            template = entry.template_false
    return template.format_map(context)
