"""Keyed pseudonyms of trader and declarant ids."""

from __future__ import annotations

import pandas as pd
import pytest

from data_contracts.privacy import pseudonymise, pseudonyms


def _ids(*values: str | None) -> pd.Series:
    return pd.Series(list(values), dtype="str")


def test_same_key_and_id_give_the_same_pseudonym() -> None:
    result = pseudonyms(_ids("T1", "T2", "T1", " T2 "), b"key", prefix="T-")
    assert result.iloc[0] == result.iloc[2]
    assert result.iloc[1] == result.iloc[3]  # surrounding spaces do not make a new trader
    assert result.iloc[0] != result.iloc[1]
    assert result.str.fullmatch(r"T-[0-9a-f]{16}").all()


def test_pseudonyms_depend_on_the_key() -> None:
    first = pseudonyms(_ids("T1"), b"key-one", prefix="T-")
    second = pseudonyms(_ids("T1"), b"key-two", prefix="T-")
    assert first.iloc[0] != second.iloc[0]


def test_missing_ids_stay_missing_and_the_index_is_kept() -> None:
    ids = pd.Series(["T1", None], index=[10, 20], dtype="str")
    result = pseudonyms(ids, b"key", prefix="T-")
    assert result.index.tolist() == [10, 20]
    assert result.isna().tolist() == [False, True]


def test_pseudonymise_touches_only_the_id_columns() -> None:
    frame = pd.DataFrame(
        {"trader_id": ["T1"], "declarant_id": ["B1"], "hs_code": ["290379"]}, dtype="str"
    )
    result = pseudonymise(frame, b"key")
    assert result["trader_id"].iloc[0].startswith("T-")
    assert result["declarant_id"].iloc[0].startswith("B-")
    assert result["hs_code"].iloc[0] == "290379"
    assert frame["trader_id"].iloc[0] == "T1"


def test_an_empty_key_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        pseudonyms(_ids("T1"), b"", prefix="T-")
