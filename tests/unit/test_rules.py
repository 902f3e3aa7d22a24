"""The profile engine: parsing, clear errors naming file and clause, firing within windows."""

from __future__ import annotations

import pandas as pd
import pytest

from models.rules import ProfileError, fire, fired_ids, load_profiles, parse_profile

PROFILE = """
id: ODS-03
version: 1
status: active
category: ods
title: Refrigerant priced far below market
rationale: Declared value per kg far below the usual price.
owner: ozone-desk
valid_from: 2024-01-01
valid_to: 2024-12-31
lane: red
condition:
  all:
    - {field: is_ods_code, op: eq, value: true}
    - any:
      - {field: ratio, op: lt, value: 0.3}
      - {field: origin, op: in, value: [CN, TR]}
"""
FIELDS = ["is_ods_code", "ratio", "origin"]


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "is_ods_code": [True, True, True, False, True],
            "ratio": [0.1, 0.9, None, 0.1, 0.1],
            "origin": ["DE", "CN", "DE", "CN", "DE"],
            "declaration_date": pd.to_datetime(
                ["2024-03-01", "2024-03-01", "2024-03-01", "2024-03-01", "2025-02-01"]
            ),
        }
    )


def test_fires_nested_all_any_within_window() -> None:
    profiles = load_profiles({"ods.yaml": PROFILE}, known_fields=FIELDS)
    fired = fire(frame(), profiles)
    # Row 2 has a missing ratio: a missing value never fires a comparison.
    # Row 4 matches but is dated after valid_to.
    assert fired["ODS-03"].tolist() == [True, True, False, False, False]
    assert fired_ids(fired).tolist() == ["ODS-03", "ODS-03", "", "", ""]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("op: lt", "op: below"), "condition.all[1].any[0] (ratio below 0.3): unknown operator"),
        (("field: origin", "field: country"), "condition.all[1].any[1] (country in"),
        (("value: [CN, TR]", "value: CN"), "'in' needs a list value"),
        (("lane: red", "lane: blue"), "lane:"),
        (("  all:", "  every:"), "condition: give exactly one of 'all' or 'any'"),
        (("valid_to: 2024-12-31", "valid_to: 2023-12-31"), "valid_to is before valid_from"),
        (("value: true}", "value: true, sql: x}"), "a clause is {field, op, value}"),
        (("id: ODS-03", "id: ods 3"), "id:"),
    ],
)
def test_invalid_profile_names_file_and_clause(edit: tuple[str, str], message: str) -> None:
    with pytest.raises(ProfileError) as error:
        parse_profile(PROFILE.replace(*edit), source="profiles/bad.yaml", known_fields=FIELDS)
    assert str(error.value).startswith("profiles/bad.yaml: ")
    assert message in str(error.value)


def test_broken_yaml_and_duplicate_ids_are_reported() -> None:
    with pytest.raises(ProfileError, match=r"^x.yaml: not valid YAML"):
        parse_profile("id: [", source="x.yaml")
    with pytest.raises(ProfileError, match="duplicate profile ids: ODS-03"):
        load_profiles({"a.yaml": PROFILE, "b.yaml": PROFILE})


def _one_clause(field: str, op: str, value: object) -> str:
    return PROFILE.replace(
        PROFILE[PROFILE.index("condition:") :],
        f"condition:\n  all:\n    - {{field: {field}, op: {op}, value: {value}}}\n",
    )


@pytest.mark.parametrize(
    ("op", "value"),
    [("eq", 1), ("ne", 1), ("lt", 1), ("le", 1), ("gt", 1), ("ge", 1), ("between", "[0, 1]"),
     ("eq", "true"), ("ne", "false"), ("ge", 0.5), ("in", "[0, 1]"), ("not_in", "[1]"),
     ("eq", "'1'"), ("is_null", "null"), ("not_null", "null")],
)  # fmt: skip
def test_every_operator_fires_as_the_pandas_comparison_on_every_dtype(
    op: str, value: object
) -> None:
    from models.rules import _COMPARISONS

    columns = {
        "flag": pd.Series([True, False, True, False, True]),
        "count": pd.Series([0, 1, 2, 1, -3]),
        "ratio": pd.Series([0.5, 1.0, float("nan"), 0.0, 2.5]),
        "nullable": pd.Series([1, None, 0, 2, 1], dtype="Int64"),
        "text": pd.Series(["1", "0", None, "1", "x"], dtype="str"),
    }
    dates = pd.to_datetime(["2024-03-01"] * 5)
    for field, column in columns.items():
        features = pd.DataFrame({field: column, "declaration_date": dates})
        profile = load_profiles({"one.yaml": _one_clause(field, op, value)})
        clause = profile.profiles[0].tree.children[0]
        try:
            expected = _COMPARISONS[op](column, clause.value).fillna(False).astype(bool)
        except TypeError:  # pandas refuses the comparison: so must the engine
            with pytest.raises(TypeError):
                fire(features, profile)
            continue
        assert fire(features, profile)["ODS-03"].tolist() == expected.tolist(), field
