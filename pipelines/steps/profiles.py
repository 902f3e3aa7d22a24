"""The steps of a profile backtest: read the history, rebuild its features, write the outputs.

Features are rebuilt with `features.build_training_features` over every declaration before the
window's end: each declaration sees only what was known before its own day, as at scoring.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from models.backtest import Backtest, backtest
from models.rules import ProfileSet, fire
from pipelines.reports.profiles import render_backtest_report
from pipelines.runtime import get_logger, step
from pipelines.settings import WarehouseLocation
from pipelines.storage import io
from pipelines.storage.warehouse import Warehouse, WarehouseError

BACKTEST_FILES = ("backtest.html", "backtest.json")
_IN_FORCE = (
    "SELECT s.declaration_id, s.lane, s.selection_reason FROM scores s "
    "JOIN declarations d USING (declaration_id) "
    "WHERE d.declaration_date >= ? AND d.declaration_date < ?"
)
_SPAN = "SELECT min(declaration_date), max(declaration_date) FROM declarations"


class NothingToBacktest(WarehouseError):
    """No declarations in the warehouse, or none in the chosen window."""


@dataclass(frozen=True)
class History:
    """What a backtest reads: declarations before the end, every result, the decisions in force."""

    since: datetime.date
    until: datetime.date
    declarations: pd.DataFrame
    inspections: pd.DataFrame
    decisions: pd.DataFrame
    permits: pd.DataFrame | None = None


def window_of(
    warehouse: WarehouseLocation, since: datetime.date | None, until: datetime.date | None
) -> tuple[datetime.date, datetime.date]:
    """[since, until): the given days, else the warehouse's first day and the day after its last.

    Raises:
        NothingToBacktest: the warehouse holds no declaration, or the window is empty.
    """
    if not warehouse.exists():
        raise NothingToBacktest(f"no warehouse at {warehouse}: ingest declarations first")
    with Warehouse(warehouse, read_only=True) as store:
        first, last = store.first_row(_SPAN) or (None, None)
    if first is None:
        raise NothingToBacktest(f"{warehouse}: no declarations yet (run `gcrisk ingest` first)")
    start = since or pd.Timestamp(first).date()
    end = until or pd.Timestamp(last).date() + datetime.timedelta(days=1)
    if end <= start:
        raise NothingToBacktest(f"empty window: --until {end} is not after --since {start}")
    return start, end


@step(name="read-history", retries=2)
def read_history(
    warehouse: WarehouseLocation, since: datetime.date | None, until: datetime.date | None
) -> History:
    """Declarations before the window's end, every inspection result, decisions in force."""
    start, end = window_of(warehouse, since, until)
    with Warehouse(warehouse, read_only=True) as store:
        declarations = store.read_declarations(until=end)
        inspections = store.read_inspections()
        decisions = store.query(_IN_FORCE, [start, end])
        permits = store.read_permits()
    get_logger().info(
        "history to %s: %d declarations, %d results", end, len(declarations), len(inspections)
    )
    return History(start, end, declarations, inspections, decisions, permits)


@step(name="backtest-profile")
def run_backtest(history: History, profiles: ProfileSet, profile_id: str) -> Backtest:
    """Fire every profile (condition only, whatever its window) on the window, then count."""
    from features import build_training_features

    features = build_training_features(
        history.declarations, history.inspections, permits=history.permits
    )
    dates = features["declaration_date"]
    rows = features[
        (dates >= pd.Timestamp(history.since)) & (dates < pd.Timestamp(history.until))
    ].reset_index(drop=True)
    if rows.empty:
        raise NothingToBacktest(f"no declarations from {history.since} to before {history.until}")
    fired = fire(rows, profiles, windowed=False)
    decisions = history.decisions
    red = decisions["lane"].eq("red") & decisions["selection_reason"].eq("model")
    result = backtest(
        rows[["declaration_id", "declaration_date"]],
        fired,
        profile_id,
        history.inspections,
        model_red=decisions.loc[red, "declaration_id"],
        scored=decisions["declaration_id"],
        since=history.since,
        until=history.until,
    )
    get_logger().info("%s: %d fires in %d declarations", profile_id, result.fires, len(rows))
    return result


@step(name="write-backtest", retries=2)
def write_backtest(summary: dict[str, Any], out: Path) -> None:
    """backtest.html, then backtest.json (its presence marks success)."""
    io.write_text(render_backtest_report(summary), out / "backtest.html")
    io.write_json(summary, out / "backtest.json")
    get_logger().info("wrote %s", out)
