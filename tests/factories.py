"""Small, seeded, contract-valid frames for tests (vectorised, deterministic, tiny)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from data_contracts import reference
from data_contracts.schemas import (
    DECLARATION_COLUMNS,
    INSPECTION_COLUMNS,
    PANDAS_DTYPES,
    PERMIT_COLUMNS,
    SCORE_COLUMNS,
    Column,
)

_TRADERS = np.array([f"T{i:04d}" for i in range(1, 9)])
_DECLARANTS = np.array([f"B{i:03d}" for i in range(1, 5)])
_OFFICES = np.array(["NLRTM", "BEANR", "DEHAM"])
_COUNTRIES = np.array(["CN", "US", "DE", "NL", "NG", "GH", "VN", "MY", "IN", "BR", "KE", "AE"])
_TRANSITS = np.array(["", "", "", "", "AE", "HK|SG", "TR", "BE|NL"])
_CATEGORIES = np.array(["waste", "ods", "wildlife", "other"])


def _canonical(frame: pd.DataFrame, columns: tuple[Column, ...]) -> pd.DataFrame:
    dtypes = {column.name: PANDAS_DTYPES[column.type] for column in columns}
    return frame[list(dtypes)].astype(dtypes)


def _hs_codes(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """HS codes (6, 8 or 10 digits) mixing regime codes with ordinary subheadings."""
    regime = np.sort(reference.hs_codes()["hs6"].unique())
    ordinary = np.array(sorted(reference.hs6_subheadings()))
    hs6 = np.where(rng.random(n) < 0.4, rng.choice(regime, n), rng.choice(ordinary, n))
    suffix = rng.choice(np.array(["", "00", "0000", "10"]), n)
    codes = pd.Series(hs6, dtype="str") + pd.Series(suffix, dtype="str")
    descriptions = pd.Series(hs6).map(reference.hs6_descriptions()).str.strip().to_numpy()
    return codes.to_numpy(), descriptions


def valid_declarations(n: int = 50, *, seed: int = 0, start: str = "2024-01-01") -> pd.DataFrame:
    """A canonical, contract-valid declarations frame of `n` rows."""
    rng = np.random.default_rng(seed)
    hs_code, description = _hs_codes(rng, n)
    mode = rng.choice(np.array(["sea", "sea", "sea", "air", "road", "rail", "post"]), n)
    containerised = np.isin(mode, ["sea", "rail"])
    gross = np.round(rng.lognormal(8.0, 1.5, n), 1) + 1.0
    net = np.round(gross * rng.uniform(0.75, 1.0, n), 1).clip(0.1, gross)
    frame = pd.DataFrame(
        {
            "declaration_id": [f"D{i:07d}" for i in range(1, n + 1)],
            "declaration_date": pd.Timestamp(start) + pd.to_timedelta(rng.integers(0, 365, n), "D"),
            "flow": rng.choice(np.array(["import"] * 6 + ["export", "transit"]), n),
            "customs_office": rng.choice(_OFFICES, n),
            "trader_id": rng.choice(_TRADERS, n),
            "declarant_id": rng.choice(_DECLARANTS, n),
            "hs_code": hs_code,
            "goods_description": np.where(rng.random(n) < 0.1, "", description),
            "origin_country": rng.choice(_COUNTRIES, n),
            "consignment_country": rng.choice(_COUNTRIES, n),
            "transit_countries": rng.choice(_TRANSITS, n),
            "destination_country": rng.choice(_COUNTRIES, n),
            "transport_mode": mode,
            "container_count": np.where(containerised, rng.integers(1, 4, n), 0),
            "gross_weight_kg": gross,
            "net_weight_kg": net,
            "quantity": net,
            "quantity_unit": "kg",
            "customs_value_usd": np.round(net * rng.lognormal(1.0, 1.0, n), 2),
            "permit_reference": np.where(
                rng.random(n) < 0.2, [f"PRM-{i:06d}" for i in range(n)], ""
            ),
        }
    )
    return _canonical(frame, DECLARATION_COLUMNS)


def valid_permits(declarations: pd.DataFrame, *, seed: int = 0) -> pd.DataFrame:
    """A contract-valid register of every permit quoted in `declarations`, each in order: issued
    to its first user for the HS6 codes it is quoted with, before its first use, with room."""
    rng = np.random.default_rng(seed)
    quoted = declarations[declarations["permit_reference"] != ""]
    grouped = quoted.sort_values("declaration_date", kind="stable").groupby("permit_reference")
    first = grouped.first()
    n = len(first)
    hs = grouped["hs_code"].agg(lambda codes: ";".join(sorted({c[:6] for c in codes})))
    frame = pd.DataFrame(
        {
            "permit_reference": first.index.to_numpy(),
            "kind": rng.choice(np.array(["cites_import", "basel_movement"]), n),
            "holder_id": first["trader_id"].to_numpy(),
            "hs_codes": hs.to_numpy(),
            "substances": "",
            "quantity_allowed": grouped["net_weight_kg"].sum().to_numpy() * 2,
            "unit": "kg",
            "valid_from": first["declaration_date"].to_numpy() - np.timedelta64(10, "D"),
            "valid_to": grouped["declaration_date"].max().to_numpy() + np.timedelta64(30, "D"),
            "issuing_country": "NL",
            "status": "valid",
            "cancelled_on": pd.NaT,
            "recorded_on": first["declaration_date"].to_numpy() - np.timedelta64(5, "D"),
        }
    )
    return _canonical(frame, PERMIT_COLUMNS)


def valid_inspections(
    declarations: pd.DataFrame, *, share: float = 0.2, seed: int = 0
) -> pd.DataFrame:
    """Contract-valid inspection results for a seeded subset of `declarations`."""
    rng = np.random.default_rng(seed)
    count = max(1, round(share * len(declarations)))
    picked = declarations.iloc[np.sort(rng.choice(len(declarations), count, replace=False))]
    reason = rng.choice(np.array(["rule", "model", "random", "officer"]), count)
    propensity = np.select(
        [reason == "random", reason == "model"],
        [0.02, np.round(rng.uniform(0.05, 1.0, count), 4)],
        default=1.0,
    )
    violation = rng.random(count) < 0.3
    frame = pd.DataFrame(
        {
            "declaration_id": picked["declaration_id"].to_numpy(),
            "inspection_date": pd.to_datetime(picked["declaration_date"]).to_numpy()
            + pd.to_timedelta(rng.integers(3, 31, count), "D").to_numpy(),
            "selection_reason": reason,
            "selection_propensity": propensity,
            "outcome": np.where(violation, "violation", "clean"),
            "violation_category": np.where(violation, rng.choice(_CATEGORIES, count), "none"),
            "notes": np.where(violation, "seized; report filed", ""),
        }
    )
    return _canonical(frame, INSPECTION_COLUMNS)


def valid_scores(declarations: pd.DataFrame, *, seed: int = 0) -> pd.DataFrame:
    """Contract-valid scores for every declaration (lanes and selection consistent)."""
    rng = np.random.default_rng(seed)
    n = len(declarations)
    p = np.round(rng.beta(0.5, 8.0, (n, 3)), 4)
    risk = np.round(1.0 - np.prod(1.0 - p, axis=1), 4)
    selected = risk >= np.quantile(risk, 0.8)
    frame = pd.DataFrame(
        {
            "declaration_id": declarations["declaration_id"].to_numpy(),
            "risk_score": risk,
            "p_waste": p[:, 0],
            "p_ods": p[:, 1],
            "p_wildlife": p[:, 2],
            "lane": np.select([risk >= 0.5, risk >= 0.2], ["red", "yellow"], default="green"),
            "selected": selected,
            "selection_reason": np.where(selected, "model", ""),
            "selection_propensity": np.where(selected, 1.0, 0.0),
            "rules_fired": np.where(risk >= 0.5, "W01|X02", ""),
            "shadow_fired": np.where(risk >= 0.3, "ODS-09", ""),
            "reasons": np.where(selected, "high unit value; transit hub", ""),
            "model_version": "3",
            "scored_at": pd.Timestamp("2025-01-15 02:00:00"),
        }
    )
    return _canonical(frame, SCORE_COLUMNS)


def known_before(
    declarations: pd.DataFrame, inspections: pd.DataFrame, cutoff: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The declarations dated before `cutoff`, and the results of those known by then."""
    history = declarations[declarations["declaration_date"] < cutoff]
    known = inspections[
        (inspections["inspection_date"] < cutoff)
        & inspections["declaration_id"].isin(history["declaration_id"])
    ]
    return history, known
