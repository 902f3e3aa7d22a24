"""Tariff family: HS chapter, heading and subheading, regime membership, permits."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features import tables


def permit_expected(prepared: pd.DataFrame) -> np.ndarray:
    """Whether the regime of the declared code needs a licence, consent or CITES permit."""
    controlled = prepared["convention"].isin(["Basel", "Montreal", "CITES"]).to_numpy()
    exempt = prepared["subcategory"].isin(tables.NO_PERMIT_SUBCATEGORIES).to_numpy()
    return controlled & ~exempt


def tariff_features(prepared: pd.DataFrame) -> pd.DataFrame:
    """HS parts as integers, regime flags and permit presence."""
    category = prepared["category"].to_numpy()
    expected = permit_expected(prepared)
    present = (prepared["permit_reference"].astype("str").fillna("").str.strip() != "").to_numpy()
    return pd.DataFrame(
        {
            "hs_chapter": prepared["chapter"].to_numpy(),
            "hs_heading": prepared["hs4"].to_numpy(),
            "hs6": prepared["hs6"].to_numpy(),
            "is_waste_code": category == "waste",
            "is_ods_code": category == "ods",
            "is_wildlife_code": category == "wildlife",
            "is_cover_code": prepared["hs6_text"].isin(tables.cover_codes()).to_numpy(),
            "permit_expected": expected,
            "permit_present": present,
            "permit_missing_for_controlled": expected & ~present,
        }
    )
