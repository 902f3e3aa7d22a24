"""The GX suites: built from the schemas, committed as JSON that equals the code."""

from __future__ import annotations

import json
from typing import get_args

import great_expectations as gx
import pytest

from data_contracts import editions
from data_contracts.schemas import SCHEMA_VERSION, SCHEMAS, Kind
from data_contracts.suites import build_suite, suite_to_dict
from data_contracts.validation import reason_order
from tests.contracts.suite_files import SUITE_DIR, suite_json

KINDS = get_args(Kind)


@pytest.mark.parametrize("kind", KINDS)
def test_committed_json_equals_the_code(kind: Kind) -> None:
    committed = (SUITE_DIR / f"{kind}.json").read_text(encoding="utf-8")
    assert committed == suite_json(kind), "regenerate: python -m tests.contracts.suite_files"


@pytest.mark.parametrize("kind", KINDS)
def test_committed_json_loads_without_dropping_expectations(kind: Kind) -> None:
    committed = json.loads((SUITE_DIR / f"{kind}.json").read_text(encoding="utf-8"))
    loaded = gx.ExpectationSuite(**committed)  # drops unknown expectation types silently
    assert len(loaded.expectations) == len(committed["expectations"])
    assert loaded.to_json_dict() == suite_to_dict(kind)


@pytest.mark.parametrize("kind", KINDS)
def test_suite_is_named_and_versioned(kind: Kind) -> None:
    suite = build_suite(kind)
    assert suite.name == kind
    assert suite.meta["schema_version"] == SCHEMA_VERSION


@pytest.mark.parametrize("kind", KINDS)
def test_every_column_is_required_typed_and_non_null_unless_optional(kind: Kind) -> None:
    configs = [e.configuration for e in build_suite(kind).expectations]
    required = next(c for c in configs if c.type == "expect_table_columns_to_match_set")
    assert required.kwargs["column_set"] == [column.name for column in SCHEMAS[kind]]
    typed = {c.kwargs["column"] for c in configs if c.type == "expect_column_values_to_be_of_type"}
    non_null = {
        c.kwargs["column"] for c in configs if c.type == "expect_column_values_to_not_be_null"
    }
    assert typed == {column.name for column in SCHEMAS[kind]}
    assert non_null == {column.name for column in SCHEMAS[kind] if not column.nullable}


@pytest.mark.parametrize("kind", KINDS)
def test_reasons_are_unique_so_each_names_one_expectation(kind: Kind) -> None:
    descriptions = [e.description for e in build_suite(kind).expectations]
    assert all(descriptions)
    assert len(set(descriptions)) == len(descriptions)


def test_declaration_suite_covers_the_issue_rules() -> None:
    configs = {e.description: e.configuration for e in build_suite("declarations").expectations}
    assert configs["declaration_id duplicated"].type == "expect_column_values_to_be_unique"
    assert configs["net_weight_kg > gross_weight_kg"].kwargs["or_equal"] is True
    assert configs["declaration_date after today"].kwargs["max_value"] == {"$PARAMETER": "today"}
    assert configs["hs_code not 6 to 10 digits"].kwargs["regex"] == r"^[0-9]{6,10}$"
    for column in ("origin_country", "consignment_country", "destination_country"):
        assert "GB" in configs[f"{column} not an ISO 3166 alpha-2 code"].kwargs["value_set"]


def test_the_hs_edition_rule_is_named_in_the_suite_and_joined_after_the_code_format() -> None:
    (rule,) = build_suite("declarations").meta["row_rules"].values()
    assert rule == list(editions.REASONS)
    order = reason_order("declarations")
    at = order.index("hs_code not 6 to 10 digits")
    assert order[at + 1 : at + 4] == list(editions.REASONS)
    assert "row_rules" not in build_suite("inspections").meta
