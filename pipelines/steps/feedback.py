"""The steps of the feedback flow: triage against the warehouse, load, hit rates, outputs."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from models.feedback import Triage, hit_rates, triage
from pipelines.reports.feedback import render_feedback_report
from pipelines.runtime import get_logger, step
from pipelines.settings import Settings, WarehouseLocation
from pipelines.storage import io
from pipelines.storage.profiles import load_unit_profiles
from pipelines.storage.warehouse import Warehouse

FEEDBACK_FILES = ("quarantine.parquet", "feedback.html", "feedback.json")


def read_for_triage(store: Warehouse, incoming: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Results already recorded for the incoming ids, and which incoming ids are declared."""
    ids = incoming["declaration_id"]
    recorded = store.read_ids("inspections", ids)
    declared = store.read_ids("declarations", ids)["declaration_id"]
    return recorded, declared


def results_with_scores(store: Warehouse, ids: pd.Series | None = None) -> pd.DataFrame:
    """Inspection results joined with the score each declaration got (if any).

    `ids` limits the rows to those declarations (for instance one feedback file's results).
    """
    sql = (
        "SELECT i.declaration_id, i.selection_reason, i.outcome, i.violation_category, "
        "s.lane, s.rules_fired, s.shadow_fired, s.model_version "
        "FROM inspections i LEFT JOIN scores s USING (declaration_id)"
    )
    frame = store.query(sql)
    if ids is not None:
        frame = frame[frame["declaration_id"].isin(ids)]
    return frame.reset_index(drop=True)


@step(name="triage-results", retries=2)
def sort_results(warehouse: WarehouseLocation, incoming: pd.DataFrame) -> Triage:
    """New results, identical repeats, conflicts and unknown declarations."""
    with Warehouse(warehouse, read_only=True) as store:
        recorded, declared = read_for_triage(store, incoming)
    sorted_ = triage(incoming, recorded, declared)
    get_logger().info(
        "%d new, %d repeated, %d conflicting, %d for unknown declarations",
        len(sorted_.new),
        len(sorted_.repeated),
        len(sorted_.conflicts),
        len(sorted_.unknown),
    )
    return sorted_


@step(name="load-results", retries=2)
def load_results(
    warehouse: WarehouseLocation,
    new: pd.DataFrame,
    quarantine: pd.DataFrame,
    *,
    source: str,
    at: datetime.datetime,
    fingerprint: str,
) -> None:
    """Upsert the new results and keep every quarantined row, in one transaction."""
    with Warehouse(warehouse) as store:
        store.load(
            "inspections", new, quarantine, source_file=source, at=at, key_fingerprint=fingerprint
        )


@step(name="hit-rates", retries=2)
def compute_hit_rates(
    warehouse: WarehouseLocation, ids: pd.Series, settings: Settings
) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """Hit rates of this file's accepted results, and of every result to date."""
    with Warehouse(warehouse, read_only=True) as store:
        every = results_with_scores(store)
    cites = {p.id: list(p.indicators) for p in load_unit_profiles(settings).profiles}
    this_file = every[every["declaration_id"].isin(ids)]
    return hit_rates(this_file, cites), hit_rates(every, cites)


@step(name="write-feedback", retries=2)
def write_feedback(
    summary: dict[str, Any],
    sorted_: Triage,
    quarantine: pd.DataFrame,
    this_file: dict[str, pd.DataFrame],
    to_date: dict[str, pd.DataFrame],
    out: Path,
) -> None:
    """quarantine.parquet, feedback.html, and feedback.json last (its presence marks success)."""
    io.write_parquet(quarantine, out / "quarantine.parquet")
    page = render_feedback_report(summary, sorted_.conflicts, this_file, to_date)
    io.write_text(page, out / "feedback.html")
    io.write_json(summary, out / "feedback.json")
    get_logger().info("wrote %s", out)
