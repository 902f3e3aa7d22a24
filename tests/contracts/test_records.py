"""The one-record contract (the scoring service's) states the batch contract's rules: generated
from the schema, and it accepts exactly the rows batch validation keeps."""

from __future__ import annotations

import datetime

import pandas as pd
import pytest
from pydantic import ValidationError

from data_contracts import editions, reference
from data_contracts.records import declaration_frame, declaration_model
from data_contracts.schemas import column_names
from data_contracts.validation import validate
from tests.factories import valid_declarations

TODAY = datetime.date(2025, 12, 31)


def test_every_column_is_a_field() -> None:
    assert list(declaration_model().model_fields) == column_names("declarations")


@pytest.mark.parametrize("day", [datetime.date(2021, 12, 31), datetime.date(2022, 1, 1)])
def test_edition_rule_for_one_code_is_the_column_rule(day: datetime.date) -> None:
    codes = sorted(reference.hs2017_subheadings() ^ reference.hs6_subheadings())
    codes += sorted(reference.hs2017_subheadings() & reference.hs6_subheadings())[:200]
    codes += ["999999", "000000", "0101210000"]
    masks = editions.edition_failures(
        pd.Series(codes, dtype="str"), pd.Series([pd.Timestamp(day)] * len(codes))
    )
    for i, code in enumerate(codes):
        expected = next((reason for reason, mask in masks.items() if mask[i]), None)
        assert editions.edition_reason(code, day) == expected, code


def _corrupted(frame: pd.DataFrame) -> pd.DataFrame:
    """One broken rule per row after the first few (each a rule of the suite)."""
    rows = frame.head(16).copy().astype(object)
    changes = [
        ("hs_code", "12ab"),
        ("origin_country", "XX"),
        ("net_weight_kg", 1e9),
        ("flow", "smuggling"),
        ("container_count", -1),
        ("customs_value_usd", -5.0),
        ("transit_countries", "AE||SG"),
        ("transport_mode", "teleport"),
        ("quantity_unit", "barrels"),
        ("declaration_date", pd.Timestamp("2030-01-01")),
        ("hs_code", "999999"),
    ]
    for position, (column, value) in enumerate(changes, start=5):
        rows.iloc[position, rows.columns.get_loc(column)] = value
    return rows


def test_accepts_exactly_what_batch_validation_keeps() -> None:
    frame = _corrupted(valid_declarations(20, seed=4))
    batch = validate(frame, "declarations", today=TODAY)
    model = declaration_model()
    accepted = []
    for row in frame.to_dict(orient="records"):
        row = {k: (v.date() if isinstance(v, pd.Timestamp) else v) for k, v in row.items()}
        row = {k: (None if isinstance(v, float) and pd.isna(v) else v) for k, v in row.items()}
        try:
            accepted.append(model.model_validate(row))
        except ValidationError:
            continue
    kept = sorted(batch.valid["declaration_id"])
    assert sorted(record.declaration_id for record in accepted) == kept
    pd.testing.assert_frame_equal(
        declaration_frame(accepted).sort_values("declaration_id").reset_index(drop=True),
        batch.valid[column_names("declarations")]
        .sort_values("declaration_id")
        .reset_index(drop=True),
        check_dtype=True,
    )


def _as_json(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Rows as a client sends them: dates as dates, missing as None."""
    rows = []
    for row in frame.to_dict(orient="records"):
        row = {k: (v.date() if isinstance(v, pd.Timestamp) else v) for k, v in row.items()}
        rows.append(
            {k: (None if isinstance(v, float) and pd.isna(v) else v) for k, v in row.items()}
        )
    return rows


def test_the_frame_of_records_is_what_coercion_makes_of_them() -> None:
    from data_contracts.coercion import coerce_columns

    rows = _as_json(valid_declarations(300, seed=9))
    padding = ["  {}  ", "\u00a0{}\u2003", "\t{}\n", "{}"]
    for i, row in enumerate(rows):
        row["goods_description"] = [None, "", " ", padding[i % 4].format("used tyres")][i % 4]
        row["transit_countries"] = [None, "", "AE|SG", " SG "][(i // 4) % 4]
        row["permit_reference"] = [None, "", f" LIC-{i} "][i % 3]
        row["trader_id"] = padding[(i // 3) % 4].format(row["trader_id"])
    records = [declaration_model().model_validate(row) for row in rows]
    dumped = pd.DataFrame([record.model_dump() for record in records]).astype(object)
    expected, failed = coerce_columns(dumped, "declarations")
    assert not failed.to_numpy().any()
    pd.testing.assert_frame_equal(declaration_frame(records), expected, check_exact=True)
    assert declaration_frame(records)["permit_reference"].iloc[1] == ""
