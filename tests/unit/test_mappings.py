"""Column mappings: parse errors point at file and line; each transform does what it says."""

from __future__ import annotations

import pandas as pd
import pytest

from data_contracts.mappings import (
    MappingError,
    apply_mapping,
    parse_mapping,
    shipped_mapping,
    shipped_mappings,
)

#: A complete mapping for the small `SOURCE` table below; line numbers matter to the tests.
GOOD = """\
mapping: tiny
declarations:
  declaration_id: {concat: [year, number], separator: "-"}
  declaration_date: {from: date, date_format: "%d/%m/%Y"}
  flow: {constant: import}
  customs_office: {from: office, cast: integer}
  trader_id: importer
  declarant_id: {from: broker, default: UNKNOWN}
  hs_code: {from: hs, pad: 6, replace: {"940540": "940549"}}
  goods_description: {constant: ""}
  origin_country: origin
  consignment_country: {same_as: origin_country}
  transit_countries: {constant: ""}
  destination_country: {constant: "NO"}
  transport_mode: {from: mode, lookup: {"1": sea, "4": air}, otherwise: road}
  container_count: {constant: 0}
  gross_weight_kg: {same_as: net_weight_kg}
  net_weight_kg: {from: tonnes, factor: 1000}
  quantity: {same_as: net_weight_kg}
  quantity_unit: {constant: kg}
  customs_value_usd: value
  permit_reference: {constant: ""}
inspections:
  declaration_id: {concat: [year, number], separator: "-"}
  inspection_date: {from: date, date_format: "%d/%m/%Y", add_days: 7}
  selection_reason: {constant: officer}
  selection_propensity: {constant: 1}
  outcome: {from: label, lookup: {"0": clean, "1": violation}}
  violation_category: {from: label, lookup: {"0": none, "1": other}}
  notes: {constant: ""}
missing: [transit_countries, container_count, gross_weight_kg]
disabled_features: [transit_country_count]
drop: [secret]
"""


def source(**changes: list[str]) -> pd.DataFrame:
    """Three source rows as text, as `read_table` gives a CSV."""
    columns = {
        "year": ["2024", "2024", "2024"],
        "number": ["1", "2", "3"],
        "date": ["03/01/2024", "04/01/2024", "05/01/2024"],
        "office": ["30.0", "40", "40"],
        "importer": ["T1", "T2", "T1"],
        "broker": ["B1", "", "B2"],
        "hs": ["41000", "940540", "391510"],
        "origin": ["CN", "DE", "VN"],
        "mode": ["1", "4", "3"],
        "tonnes": ["1.5", "0.25", "2"],
        "value": ["100", "2000.5", "30"],
        "label": ["0", "1", ""],
        "secret": ["x", "y", "z"],
        "seller": ["S1", "S2", "S3"],
    }
    columns.update(changes)
    return pd.DataFrame(columns, dtype="str")


def with_line(line: int, text: str) -> str:
    """GOOD with one line (1-based) replaced."""
    lines = GOOD.splitlines()
    lines[line - 1] = text
    return "\n".join(lines) + "\n"


def test_every_transform_does_what_it_declares() -> None:
    mapped = apply_mapping(source(), parse_mapping(GOOD, file="tiny.yaml"))
    d = mapped.declarations
    assert d["declaration_id"].tolist() == ["2024-1", "2024-2", "2024-3"]
    assert d["declaration_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-01-03",
        "2024-01-04",
        "2024-01-05",
    ]
    assert d["customs_office"].tolist() == ["30", "40", "40"]
    assert d["declarant_id"].tolist() == ["B1", "UNKNOWN", "B2"]
    assert d["hs_code"].tolist() == ["041000", "940549", "391510"]
    assert d["destination_country"].tolist() == ["NO"] * 3  # text stays text, not False
    assert d["transport_mode"].tolist() == ["sea", "air", "road"]
    assert d["net_weight_kg"].tolist() == [1500.0, 250.0, 2000.0]
    assert d["gross_weight_kg"].tolist() == d["net_weight_kg"].tolist()
    assert d["consignment_country"].tolist() == ["CN", "DE", "VN"]
    assert str(d["container_count"].dtype) == "Int64"
    assert list(mapped.extra_columns) == ["seller"]  # read or dropped columns are not extras
    assert mapped.reasons.tolist() == ["", "", ""]
    inspections = mapped.inspections
    assert inspections is not None
    assert mapped.inspected.tolist() == [True, True, False]  # no label: not inspected
    assert inspections["inspection_date"].dt.strftime("%Y-%m-%d").tolist()[0] == "2024-01-10"
    assert inspections["outcome"].tolist()[:2] == ["clean", "violation"]
    assert inspections["selection_propensity"].tolist() == [1.0] * 3


def test_rows_that_cannot_be_mapped_get_reasons_and_others_none() -> None:
    broken = source(date=["03/01/2024", "2024-01-04", "05/01/2024"], tonnes=["1", "2", "heavy"])
    mapped = apply_mapping(broken, parse_mapping(GOOD, file="tiny.yaml"))
    assert mapped.failed.tolist() == [False, True, True]
    assert "declaration_date from 'date': not a date (%d/%m/%Y)" in mapped.reasons[1]
    assert "inspection_date from 'date'" in mapped.reasons[1]
    assert mapped.reasons[2] == "net_weight_kg from 'tonnes': not a number"
    assert pd.isna(mapped.declarations["net_weight_kg"][2])
    fractional = apply_mapping(source(office=["30", "4.5", "x"]), parse_mapping(GOOD, file="t"))
    assert fractional.reasons.tolist() == [
        "",
        "customs_office from 'office': not a whole number",
        "customs_office from 'office': not a whole number",
    ]


def test_a_code_outside_a_complete_code_list_fails_the_row() -> None:
    text = GOOD.replace(", otherwise: road}", "}")
    mapped = apply_mapping(source(), parse_mapping(text, file="tiny.yaml"))
    assert mapped.reasons.tolist()[2] == "transport_mode from 'mode': code not in the code list"


@pytest.mark.parametrize(
    ("line", "text", "expected"),
    [
        (
            9,
            "  hs_code: {from: hs, scale: 2}",
            "tiny.yaml:9: unknown transform 'scale' for hs_code",
        ),
        (4, "  declaration_dat: {from: date}", "tiny.yaml:4: unknown canonical column"),
        (11, "  origin_country: [origin", "tiny.yaml:12: not valid YAML"),
        (5, "  trader_id: other", "tiny.yaml:7: duplicate key 'trader_id'"),
        (
            16,
            "  container_count: {constant: 0, from: boxes}",
            "tiny.yaml:16: container_count needs",
        ),
        (
            18,
            "  net_weight_kg: {from: tonnes, factor: lots}",
            "tiny.yaml:18: net_weight_kg: factor",
        ),
        (10, "  goods_description: {constant: '', pad: 3}", "tiny.yaml:10: goods_description: pad"),
        (25, "  inspection_date: {from: date, factor: 2}", "tiny.yaml:25: inspection_date: factor"),
        (31, "missing: [transit_countries, trader_id]", "tiny.yaml:31: trader_id is declared"),
        (33, "drops: [secret]", "tiny.yaml:33: unknown section 'drops'"),
        (15, "  transport_mode: {from: mode, otherwise: road}", "tiny.yaml:15: transport_mode: "),
    ],
)
def test_parse_errors_name_the_file_and_the_line(line: int, text: str, expected: str) -> None:
    with pytest.raises(MappingError) as raised:
        parse_mapping(with_line(line, text), file="tiny.yaml")
    assert str(raised.value).startswith(expected), str(raised.value)


def test_a_canonical_column_without_a_rule_is_named() -> None:
    text = with_line(10, "")
    with pytest.raises(MappingError, match=r"^tiny.yaml:2: declarations: no rule for goods_desc"):
        parse_mapping(text, file="tiny.yaml")


def test_a_source_column_the_table_lacks_is_named_with_the_rule_line() -> None:
    mapping = parse_mapping(GOOD, file="tiny.yaml")
    with pytest.raises(
        MappingError, match=r"^tiny.yaml:6: source column 'office' is not in in.csv"
    ):
        apply_mapping(source().drop(columns=["office"]), mapping, table="in.csv")


def test_unread_source_columns_with_canonical_names_are_refused() -> None:
    mapping = parse_mapping(GOOD, file="tiny.yaml")
    with pytest.raises(MappingError, match=r"hs_code of in\.csv have canonical names"):
        apply_mapping(source().assign(hs_code="x"), mapping, table="in.csv")


def test_disabled_features_are_checked_against_the_callers_names() -> None:
    mapping = parse_mapping(GOOD, file="tiny.yaml")
    mapping.check_features(["transit_country_count", "hs6"])
    with pytest.raises(
        MappingError, match=r"^tiny.yaml:32: unknown feature 'transit_country_count'"
    ):
        mapping.check_features(["hs6"])


def test_empty_and_non_mapping_files_are_refused() -> None:
    with pytest.raises(MappingError, match=r"^x.yaml:1: the mapping file is empty"):
        parse_mapping("", file="x.yaml")
    with pytest.raises(MappingError, match=r"^x.yaml:1: a mapping file is a YAML mapping"):
        parse_mapping("- a\n- b\n", file="x.yaml")
    with pytest.raises(MappingError, match=r"^x.yaml:1: no 'declarations' section"):
        parse_mapping("mapping: x\n", file="x.yaml")


def test_shipped_mappings_parse_and_unknown_names_are_refused() -> None:
    assert {"kcs", "asycuda"} <= set(shipped_mappings())
    for name in shipped_mappings():
        assert shipped_mapping(name).name == name
    with pytest.raises(MappingError, match="unknown mapping 'nope'"):
        shipped_mapping("nope")


def test_kcs_keeps_its_hs_2017_codes_as_declared() -> None:
    # The contract checks each code against the edition in force on its date (HS 2017 for KCS's
    # 2020-21 rows), so the mapping rewrites none of them.
    rule = shipped_mapping("kcs").tables["declarations"]["hs_code"]
    assert rule.codes is None
    assert rule.pad == 6


def test_a_mapping_may_declare_the_target_its_labels_support() -> None:
    assert parse_mapping(GOOD, file="tiny.yaml").target == ()
    assert parse_mapping(GOOD + "target: other\n", file="tiny.yaml").target == ("other",)
    listed = parse_mapping(GOOD + "target: [waste, any]\n", file="tiny.yaml")
    assert listed.target == ("waste", "any")
    assert shipped_mapping("kcs").target == ("other",)
    assert shipped_mapping("asycuda").target == ()
    end = len(GOOD.splitlines()) + 1
    with pytest.raises(MappingError, match=rf"^tiny.yaml:{end}: unknown target 'fraud'"):
        parse_mapping(GOOD + "target: [fraud]\n", file="tiny.yaml")
    with pytest.raises(MappingError, match=rf"^tiny.yaml:{end}: target 'other' is named twice"):
        parse_mapping(GOOD + "target: [other, other]\n", file="tiny.yaml")
