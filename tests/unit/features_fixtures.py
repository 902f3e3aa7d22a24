"""Tiny hand-made declaration and inspection frames for the feature tests."""

from __future__ import annotations

from typing import Any

import pandas as pd

from data_contracts.schemas import DECLARATION_COLUMNS, INSPECTION_COLUMNS, PANDAS_DTYPES, Column

#: One ordinary, complete declaration; tests override only what they are about.
BASE: dict[str, Any] = {
    "declaration_date": "2024-03-01",
    "flow": "import",
    "customs_office": "NLRTM",
    "trader_id": "T1",
    "declarant_id": "B1",
    "hs_code": "290345",
    "goods_description": "R-134a refrigerant gas in refillable cylinders",
    "origin_country": "CN",
    "consignment_country": "CN",
    "transit_countries": "",
    "destination_country": "NL",
    "transport_mode": "sea",
    "container_count": 1,
    "gross_weight_kg": 10_000.5,
    "net_weight_kg": 9_050.0,
    "quantity": 9_050.0,
    "quantity_unit": "kg",
    "customs_value_usd": 30_001.5,
    "permit_reference": "LIC-1",
}


def _canonical(rows: list[dict[str, Any]], columns: tuple[Column, ...]) -> pd.DataFrame:
    dtypes = {column.name: PANDAS_DTYPES[column.type] for column in columns}
    return pd.DataFrame(rows)[list(dtypes)].astype(dtypes)


def declarations(*rows: dict[str, Any]) -> pd.DataFrame:
    """Canonical declarations: `BASE` updated by each row; ids D1, D2, ... unless given."""
    full = [{"declaration_id": f"D{i}", **BASE, **row} for i, row in enumerate(rows, start=1)]
    return _canonical(full, DECLARATION_COLUMNS)


def inspections(*rows: dict[str, Any]) -> pd.DataFrame:
    """Canonical inspection results; each row needs `declaration_id` and `inspection_date`."""
    defaults = {
        "selection_reason": "random",
        "selection_propensity": 0.01,
        "outcome": "clean",
        "violation_category": "none",
        "notes": "",
    }
    if not rows:
        return no_inspections()
    return _canonical([{**defaults, **row} for row in rows], INSPECTION_COLUMNS)


def no_inspections() -> pd.DataFrame:
    """An empty, canonical inspections frame."""
    dtypes = {column.name: PANDAS_DTYPES[column.type] for column in INSPECTION_COLUMNS}
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in dtypes.items()})


def violation(declaration_id: str, on: str) -> dict[str, Any]:
    """An inspection result that found a violation, recorded on date `on`."""
    return {
        "declaration_id": declaration_id,
        "inspection_date": on,
        "outcome": "violation",
        "violation_category": "ods",
    }


def features_of(frame: pd.DataFrame, declaration_id: str) -> pd.Series:
    """The feature row of one declaration."""
    return frame.set_index("declaration_id").loc[declaration_id]
