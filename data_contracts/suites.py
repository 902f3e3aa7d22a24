"""The declaration, inspection, score and permit register contracts as GX Core 1.x suites.

Built from `data_contracts.schemas`, so a column added there is checked here. Every expectation
carries a `description` that is also the row's quarantine reason when it fails, so the reasons a
user sees are the contract's own words. The suites are committed as JSON in `suites/*.json`
(readable and versioned); a test keeps the files equal to this code.

The suites check canonical frames as they are: no derived columns. Two choices are made for
speed and say so: a type expectation checks the column dtype only (GX's pandas engine does no
more); the row-level part of typing is done when cells are coerced (`coercion`), with the same
wording. The clock is a suite parameter, `{"$PARAMETER": "today"}`, so the suite itself never
changes with the date.

One rule is not GX's: the tariff code must be a subheading of the HS edition in force on the
declaration date (`editions`: HS 2017 before 2022-01-01, HS 2022 from then on). It compares two
columns against two 5,400-value sets, which GX can only do row by row in Python, so it runs in
numpy after the suite; the suite's `meta["row_rules"]` names it and its reasons, and its
reasons follow `HS_FORMAT_REASON` in the order reasons are joined.
"""

from __future__ import annotations

from typing import Any

import great_expectations as gx
import great_expectations.expectations as gxe

from data_contracts import editions, permits, reference
from data_contracts.coercion import TYPE_REASONS
from data_contracts.schemas import (
    FLOWS,
    LANES,
    OUTCOMES,
    PERMIT_KINDS,
    PERMIT_STATUSES,
    PRIMARY_KEYS,
    QUANTITY_UNITS,
    SCHEMA_VERSION,
    SCHEMAS,
    SELECTION_REASONS,
    TRANSPORT_MODES,
    VIOLATION_CATEGORIES,
    Kind,
    LogicalType,
)

#: Type names as GX's pandas engine reports them for the canonical pandas dtypes.
GX_TYPES: dict[LogicalType, str] = {
    "string": "str",
    "date": "datetime64[us]",
    "timestamp": "datetime64[us]",
    "float": "float64",
    "integer": "int64",
    "boolean": "bool",
}
HS_CODE_REGEX = r"^[0-9]{6,10}$"
HS_FORMAT_REASON = "hs_code not 6 to 10 digits"
#: Rules checked in numpy after the suite (see the module docstring), with their reasons.
ROW_RULES: dict[Kind, dict[str, list[str]]] = {
    "declarations": {
        "hs_code is a subheading of the HS edition in force on declaration_date "
        "(HS 2017 before 2022-01-01, HS 2022 from then on; data_contracts.editions)": list(
            editions.REASONS
        )
    },
    "inspections": {},
    "scores": {},
    "permits": {
        "holder_id and hs_codes are given for every kind but a quota, a quota is in kg; status "
        "is cancelled if and only if cancelled_on is given (data_contracts.permits)": list(
            permits.REASONS
        )
    },
}
COUNTRY_COLUMNS = ("origin_country", "consignment_country", "destination_country")
TODAY = {"$PARAMETER": "today"}
TODAY_MEANING = "the date of validation (midnight); no date may be after it"

_Expectations = list[gxe.Expectation]


def transit_regex() -> str:
    """Regex for an empty or pipe-separated list of ISO 3166 alpha-2 codes."""
    code = "(" + "|".join(sorted(reference.country_codes())) + ")"
    return rf"^({code}(\|{code})*)?$"


def _structure(kind: Kind) -> _Expectations:
    """Required columns, their types and non-empty required values."""
    out: _Expectations = [
        gxe.ExpectTableColumnsToMatchSet(
            column_set=[column.name for column in SCHEMAS[kind]],
            exact_match=False,  # extra columns are kept and reported, not refused
            description="required columns missing",
        )
    ]
    for column in SCHEMAS[kind]:
        name = column.name
        out.append(
            gxe.ExpectColumnValuesToBeOfType(
                column=name,
                type_=GX_TYPES[column.type],
                description=f"{name} {TYPE_REASONS[column.type]}",
            )
        )
        if not column.nullable:
            out.append(
                gxe.ExpectColumnValuesToNotBeNull(column=name, description=f"{name} is missing")
            )
    return out


def _allowed(column: str, values: tuple[str, ...]) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToBeInSet(
        column=column,
        value_set=list(values),
        description=f"{column} not one of {', '.join(values)}",
    )


def _between(column: str, reason: str, **bounds: Any) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToBeBetween(column=column, description=reason, **bounds)


def _unique_id(kind: Kind = "declarations") -> gxe.Expectation:
    key = PRIMARY_KEYS[kind]
    return gxe.ExpectColumnValuesToBeUnique(column=key, description=f"{key} duplicated")


def _not_future(column: str) -> gxe.Expectation:
    return _between(column, f"{column} after today", max_value=TODAY)


def _declaration_rules() -> _Expectations:
    countries = sorted(reference.country_codes())
    return [
        _unique_id(),
        _not_future("declaration_date"),
        _allowed("flow", FLOWS),
        gxe.ExpectColumnValuesToMatchRegex(
            column="hs_code", regex=HS_CODE_REGEX, description=HS_FORMAT_REASON
        ),
        *(
            gxe.ExpectColumnValuesToBeInSet(
                column=name,
                value_set=countries,
                description=f"{name} not an ISO 3166 alpha-2 code",
            )
            for name in COUNTRY_COLUMNS
        ),
        gxe.ExpectColumnValuesToMatchRegex(
            column="transit_countries",
            regex=transit_regex(),
            description="transit_countries not pipe-separated ISO 3166 alpha-2 codes",
        ),
        _allowed("transport_mode", TRANSPORT_MODES),
        _between("container_count", "container_count < 0", min_value=0),
        _between("gross_weight_kg", "gross_weight_kg <= 0", min_value=0, strict_min=True),
        _between("net_weight_kg", "net_weight_kg <= 0", min_value=0, strict_min=True),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="gross_weight_kg",
            column_B="net_weight_kg",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            description="net_weight_kg > gross_weight_kg",
        ),
        _between("quantity", "quantity < 0", min_value=0),
        _allowed("quantity_unit", QUANTITY_UNITS),
        _between("customs_value_usd", "customs_value_usd < 0", min_value=0),
    ]


def _inspection_rules() -> _Expectations:
    pairs = [("clean", "none")] + [
        ("violation", category) for category in VIOLATION_CATEGORIES if category != "none"
    ]
    return [
        _unique_id(),
        _not_future("inspection_date"),
        _allowed("selection_reason", SELECTION_REASONS),
        _between(
            "selection_propensity",
            "selection_propensity not in (0, 1]",
            min_value=0,
            max_value=1,
            strict_min=True,
        ),
        _allowed("outcome", OUTCOMES),
        _allowed("violation_category", VIOLATION_CATEGORIES),
        gxe.ExpectColumnPairValuesToBeInSet(
            column_A="outcome",
            column_B="violation_category",
            value_pairs_set=pairs,
            ignore_row_if="either_value_is_missing",
            description="outcome and violation_category inconsistent (clean if and only if none)",
        ),
    ]


def _score_rules() -> _Expectations:
    probabilities = ("risk_score", "p_waste", "p_ods", "p_wildlife", "selection_propensity")
    return [
        _unique_id(),
        *(
            _between(name, f"{name} not in [0, 1]", min_value=0, max_value=1)
            for name in probabilities
        ),
        _allowed("lane", LANES),
        _allowed("selection_reason", ("", *SELECTION_REASONS)),
    ]


def _permit_rules() -> _Expectations:
    return [
        _unique_id("permits"),
        _allowed("kind", PERMIT_KINDS),
        gxe.ExpectColumnValuesToMatchRegex(
            column="hs_codes",
            regex=permits.HS_PREFIXES_REGEX,
            description="hs_codes not semicolon-separated 4- or 6-digit HS codes",
        ),
        _between("quantity_allowed", "quantity_allowed <= 0", min_value=0, strict_min=True),
        _allowed("unit", QUANTITY_UNITS),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="valid_to",
            column_B="valid_from",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            description="valid_from after valid_to",
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="issuing_country",
            value_set=sorted(reference.country_codes()),
            description="issuing_country not an ISO 3166 alpha-2 code",
        ),
        _allowed("status", PERMIT_STATUSES),
        _not_future("cancelled_on"),
        _not_future("recorded_on"),
    ]


_RULES = {
    "declarations": _declaration_rules,
    "inspections": _inspection_rules,
    "scores": _score_rules,
    "permits": _permit_rules,
}


def build_suite(kind: Kind) -> gx.ExpectationSuite:
    """The expectation suite of one table, named after it and tagged with the schema version."""
    # Expectations go in through the constructor: `add_expectation` needs an active context.
    return gx.ExpectationSuite(
        name=kind,
        expectations=[*_structure(kind), *_RULES[kind]()],
        meta={
            "schema_version": SCHEMA_VERSION,
            "parameters": {"today": TODAY_MEANING},
            **({"row_rules": ROW_RULES[kind]} if ROW_RULES[kind] else {}),
        },
    )


def suite_to_dict(kind: Kind) -> dict[str, Any]:
    """The suite as the JSON-ready dict committed in `suites/<kind>.json`."""
    return build_suite(kind).to_json_dict()
