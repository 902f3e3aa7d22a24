"""Row-level derived columns shared by every feature family and by both execution paths."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features import tables

#: Floor for the net weight in unit values, so a typo of 0 kg cannot explode the ratio.
MIN_WEIGHT_KG = 0.1


def day_numbers(dates: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Whole days since 1970-01-01 (the point-in-time rule works at day granularity)."""
    values = np.asarray(dates, dtype="datetime64[us]")
    return values.astype("datetime64[D]").astype(np.int64)


def hs_parts(hs_code: pd.Series) -> pd.DataFrame:
    """HS 2022 HS6 as text and as integer, with heading (HS4) and chapter (HS2); -1 if unreadable.

    An HS 2017-only code (declared before 2022, kept as declared) is read as the HS 2022
    subheading `tables.hs2017_as_hs2022` gives it, so its regime, cover-code, ban and history
    features are those of the HS 2022 goods it stands for (2903.39 reads as an HFC).
    """
    codes, uniques = pd.factorize(hs_code.astype("str").fillna(""), use_na_sentinel=False)
    declared = pd.Series(uniques, dtype="str").str.strip().str.slice(0, 6)
    text = declared.map(tables.hs2017_as_hs2022()).fillna(declared)
    number = pd.to_numeric(text, errors="coerce").fillna(-1).astype(np.int64).to_numpy()
    valid = number >= 0
    hs6_text = pd.Categorical.from_codes(*_unique_codes(text.to_numpy(dtype=object), codes))
    return pd.DataFrame(
        {
            "hs6_text": hs6_text,
            "hs6": number[codes],
            "hs4": np.where(valid, number // 100, -1)[codes],
            "chapter": np.where(valid, number // 10_000, -1)[codes],
        },
        index=hs_code.index,
    )


def _unique_codes(values: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes into distinct `values` for rows coded by `codes` into (possibly repeated) values."""
    inner, distinct = pd.factorize(values, use_na_sentinel=False)
    return inner[codes], np.asarray(distinct, dtype=object)


def log_unit_value(declarations: pd.DataFrame) -> np.ndarray:
    """Natural log of the declared value per net kg; NaN when the value is not positive."""
    value = declarations["customs_value_usd"].to_numpy(dtype=float, na_value=np.nan)
    weight = declarations["net_weight_kg"].to_numpy(dtype=float, na_value=np.nan)
    unit_value = value / np.clip(weight, MIN_WEIGHT_KG, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        logged = np.log(unit_value)
    return np.where(np.isfinite(logged), logged, np.nan)


def normalised_text(descriptions: pd.Series) -> pd.Categorical:
    """Lower-case descriptions with single spaces, as categories (computed once per text)."""
    codes, uniques = pd.factorize(descriptions.astype("str").fillna(""), use_na_sentinel=False)
    lowered = pc.utf8_lower(pa.array(np.asarray(uniques, dtype=object), type=pa.string()))
    spaced = pc.replace_substring_regex(lowered, pattern=r"\s+", replacement=" ")
    cleaned = pc.utf8_trim_whitespace(spaced).to_numpy(zero_copy_only=False)
    return pd.Categorical.from_codes(*_unique_codes(cleaned.astype(object), codes))


def _regime(hs6_text: pd.Categorical, column: str, default: str) -> pd.Categorical:
    """One column of the regime table for each row, via the distinct HS6 codes."""
    values = tables.regimes()[column].reindex(hs6_text.categories).fillna(default).to_numpy()
    return pd.Categorical.from_codes(*_unique_codes(values.astype(object), hs6_text.codes))


def prepare(declarations: pd.DataFrame) -> pd.DataFrame:
    """Declarations with the derived columns every family uses (days, HS parts, regime, text)."""
    frame = declarations.reset_index(drop=True)
    parts = hs_parts(frame["hs_code"])
    hs6_text = parts["hs6_text"].array
    return frame.assign(
        day=day_numbers(frame["declaration_date"]),
        **{column: parts[column] for column in parts.columns},
        category=_regime(hs6_text, "category", "none"),
        subcategory=_regime(hs6_text, "subcategory", ""),
        convention=_regime(hs6_text, "convention", "none"),
        log_unit_value=log_unit_value(frame),
        text=normalised_text(frame["goods_description"]),
        permit_ref=frame["permit_reference"].astype("str").fillna("").str.strip(),
        year=frame["declaration_date"].dt.year.to_numpy(dtype=np.int64),
    )
