"""The canonical schemas: column names, logical types and allowed values.

One place names every column of the four tables that cross the pipeline's boundaries.
The Great Expectations suites (`data_contracts.suites`) are built from these definitions, so a
column added here is checked everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SCHEMA_VERSION = "1.0.0"

Kind = Literal["declarations", "inspections", "scores", "permits"]
LogicalType = Literal["string", "date", "float", "integer", "boolean", "timestamp"]

#: pandas dtype used for each logical type once a frame is coerced to canonical form.
PANDAS_DTYPES: dict[LogicalType, str] = {
    "string": "str",
    "date": "datetime64[us]",
    "timestamp": "datetime64[us]",
    "float": "float64",
    "integer": "Int64",
    "boolean": "boolean",
}

FLOWS = ("import", "export", "transit")
#: UN/ECE Recommendation 19 modes; 'other' is multimodal, inland waterway, fixed installation
#: or a mode the declaration does not state (code 0, 6-9), as some systems record it.
TRANSPORT_MODES = ("sea", "air", "road", "rail", "post", "other")
QUANTITY_UNITS = ("kg", "l", "m3", "u", "pair", "m2")
OUTCOMES = ("clean", "violation")
VIOLATION_CATEGORIES = ("waste", "ods", "wildlife", "other", "none")
SELECTION_REASONS = ("rule", "model", "random", "officer")
LANES = ("red", "yellow", "green")
RISK_CATEGORIES = ("waste", "ods", "wildlife")
#: Kinds of permit in the register: CITES permits and re-export certificates, Basel notification
#: consents and movement documents, Montreal Protocol import licences and national import quotas.
PERMIT_KINDS = (
    "cites_export",
    "cites_import",
    "cites_reexport",
    "basel_notification",
    "basel_movement",
    "montreal_import_licence",
    "montreal_import_quota",
)
#: A quota row is a country's allowance for a year, in kg of substance; it has no holder.
QUOTA_KIND = "montreal_import_quota"
PERMIT_STATUSES = ("valid", "cancelled")


@dataclass(frozen=True)
class Column:
    """One canonical column: its logical type and whether it may be empty."""

    name: str
    type: LogicalType
    description: str
    nullable: bool = False


DECLARATION_COLUMNS: tuple[Column, ...] = (
    Column("declaration_id", "string", "Unique id of one declaration item"),
    Column("declaration_date", "date", "Date the declaration was lodged"),
    Column("flow", "string", "import, export or transit"),
    Column("customs_office", "string", "Code of the office where it was lodged"),
    Column("trader_id", "string", "Pseudonym of the importer or exporter"),
    Column("declarant_id", "string", "Pseudonym of the declarant (customs broker)"),
    Column("hs_code", "string", "Tariff code, 6-10 digits, HS edition in force on the date"),
    Column("goods_description", "string", "Free-text description of the goods", nullable=True),
    Column("origin_country", "string", "ISO 3166 alpha-2 country of origin"),
    Column("consignment_country", "string", "ISO 3166 alpha-2 country of consignment"),
    Column("transit_countries", "string", "Pipe-separated ISO-2 transit countries", nullable=True),
    Column("destination_country", "string", "ISO 3166 alpha-2 country of destination"),
    Column("transport_mode", "string", "sea, air, road, rail, post or other"),
    Column("container_count", "integer", "Number of containers (0 when not containerised)"),
    Column("gross_weight_kg", "float", "Gross weight in kg"),
    Column("net_weight_kg", "float", "Net weight in kg"),
    Column("quantity", "float", "Quantity in the supplementary unit"),
    Column("quantity_unit", "string", "Supplementary unit: kg, l, m3, u, pair, m2"),
    Column("customs_value_usd", "float", "Customs value in US dollars"),
    Column(
        "permit_reference",
        "string",
        "Licence, CITES permit or PIC consent number; empty when none",
        nullable=True,
    ),
)

INSPECTION_COLUMNS: tuple[Column, ...] = (
    Column("declaration_id", "string", "The inspected declaration"),
    Column("inspection_date", "date", "Date the result was recorded"),
    Column("selection_reason", "string", "rule, model, random or officer"),
    Column("selection_propensity", "float", "Probability the policy had of selecting it"),
    Column("outcome", "string", "clean or violation"),
    Column("violation_category", "string", "waste, ods, wildlife, other or none"),
    Column("notes", "string", "Officer's free-text notes", nullable=True),
)

SCORE_COLUMNS: tuple[Column, ...] = (
    Column("declaration_id", "string", "The scored declaration"),
    Column("risk_score", "float", "Overall probability of an environmental violation"),
    Column("p_waste", "float", "Probability of illegal waste"),
    Column("p_ods", "float", "Probability of illegal ODS or HFCs"),
    Column("p_wildlife", "float", "Probability of illegal wildlife or timber"),
    Column("lane", "string", "red, yellow or green"),
    Column("selected", "boolean", "Selected for physical inspection"),
    Column(
        "selection_reason",
        "string",
        "rule, model or random; empty when not selected",
        nullable=True,
    ),
    Column(
        "selection_propensity",
        "float",
        "Probability of selection (unselected rows: the random stream's sampling rate)",
    ),
    Column("rules_fired", "string", "Pipe-separated ids of fired risk profiles", nullable=True),
    Column(
        "shadow_fired",
        "string",
        "Pipe-separated ids of draft or unapproved profiles that fired (shadow: never selects)",
        nullable=True,
    ),
    Column("reasons", "string", "Top three reasons in plain language", nullable=True),
    Column("model_version", "string", "Registered model version, or 'profiles-only'"),
    Column("scored_at", "timestamp", "When the batch was scored"),
)

PERMIT_COLUMNS: tuple[Column, ...] = (
    Column("permit_reference", "string", "The number quoted in declarations (unique)"),
    Column("kind", "string", "One of PERMIT_KINDS (CITES, Basel, Montreal licence or quota)"),
    Column(
        "holder_id",
        "string",
        "Pseudonym of the holder, in the trader_id space; empty for a country's quota",
        nullable=True,
    ),
    Column(
        "hs_codes",
        "string",
        "Semicolon-separated HS4 or HS6 prefixes the permit covers; empty for a quota",
        nullable=True,
    ),
    Column("substances", "string", "Semicolon-separated species or substances", nullable=True),
    Column("quantity_allowed", "float", "Quantity the permit allows, in `unit` (quota: kg)"),
    Column("unit", "string", "Unit of quantity_allowed: kg, l, m3, u, pair, m2"),
    Column("valid_from", "date", "First day the permit may be used"),
    Column("valid_to", "date", "Last day the permit may be used"),
    Column(
        "issuing_country", "string", "ISO 3166 alpha-2 issuing (for a quota: importing) country"
    ),
    Column("status", "string", "valid or cancelled"),
    Column(
        "cancelled_on",
        "date",
        "Day the permit was cancelled; empty unless cancelled",
        nullable=True,
    ),
    Column("recorded_on", "date", "Day the register first learnt of the permit"),
)

SCHEMAS: dict[Kind, tuple[Column, ...]] = {
    "declarations": DECLARATION_COLUMNS,
    "inspections": INSPECTION_COLUMNS,
    "scores": SCORE_COLUMNS,
    "permits": PERMIT_COLUMNS,
}
#: The column that identifies a row of each table (upserts replace rows by it).
PRIMARY_KEYS: dict[Kind, str] = {
    "declarations": "declaration_id",
    "inspections": "declaration_id",
    "scores": "declaration_id",
    "permits": "permit_reference",
}


def column_names(kind: Kind) -> list[str]:
    """Names of the canonical columns of one table, in canonical order."""
    return [column.name for column in SCHEMAS[kind]]
