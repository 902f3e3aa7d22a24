"""The steps of `evaluate-scores`: read a scores file and the labels to measure it against."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from data_contracts.coercion import TableError
from data_contracts.schemas import RISK_CATEGORIES
from models.evaluation import labels_from_inspections, labels_from_truth
from pipelines.runtime import get_logger, step
from pipelines.storage.io import read_table

SCORE_COLUMNS = ("risk_score", "p_waste", "p_ods", "p_wildlife")


@step(name="read-scores")
def read_scores(path: Path) -> pd.DataFrame:
    """A scores file (as written by `gcrisk score`) with numeric score columns.

    Raises:
        TableError: unreadable file, or a column of `SCORE_COLUMNS` or `declaration_id` missing.
    """
    frame = read_table(path)
    missing = {"declaration_id", *SCORE_COLUMNS} - set(frame.columns)
    if missing:
        raise TableError(f"scores file lacks column(s): {', '.join(sorted(missing))}")
    get_logger().info("read %d scores from %s", len(frame), path)
    return frame.assign(**{c: pd.to_numeric(frame[c], errors="coerce") for c in SCORE_COLUMNS})


@step(name="read-labels")
def read_labels(path: Path, count: tuple[str, ...] = RISK_CATEGORIES) -> pd.DataFrame:
    """Per-declaration labels from a simulated truth table or from inspection results (where a
    violation of one of the `count` categories is a hit).

    Raises:
        TableError: unreadable file, or neither truth nor inspection columns.
    """
    frame = read_table(path)
    if {"is_illicit", "category"} <= set(frame.columns):
        frame["is_illicit"] = frame["is_illicit"].astype("str").str.lower().isin(["true", "1"])
        return labels_from_truth(frame)
    if {"outcome", "violation_category"} <= set(frame.columns):
        return labels_from_inspections(frame, counted=count)
    raise TableError(
        f"{path}: expected truth (is_illicit, category) or inspection results "
        "(outcome, violation_category)"
    )
