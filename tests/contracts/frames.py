"""Helpers to turn canonical frames into received ones (CSV text) and to break single cells."""

from __future__ import annotations

import io

import pandas as pd

TODAY = pd.Timestamp("2025-06-30").date()


def as_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as it comes back from a CSV file read as text (empty cells are "")."""
    text = frame.to_csv(index=False)
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def with_cells(frame: pd.DataFrame, row: int, **cells: object) -> pd.DataFrame:
    """A copy of a text frame with some cells of one row replaced."""
    changed = frame.astype(dict.fromkeys(cells, object))
    for column, value in cells.items():
        changed.loc[row, column] = value
    return changed
