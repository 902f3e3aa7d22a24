"""The work of the feedback flow: sort incoming inspection results, hit rates, the report page.

A declaration keeps its first recorded result: a re-sent identical result changes nothing, a
different one is quarantined as a conflict for a person to settle, and a result for a
declaration the warehouse has never seen is quarantined too (its declaration may come later;
the row stays in the quarantine table to be sent again).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from data_contracts.schemas import RISK_CATEGORIES
from pipelines.reports import html
from pipelines.storage.warehouse import Warehouse

REASON = "quarantine_reason"
UNKNOWN_DECLARATION = "declaration not in the warehouse (no declaration with this id was ingested)"
NOT_SCORED = "(not scored)"
NO_PROFILE = "(none)"
#: Group columns of the hit-rate tables, in report order.
BREAKDOWNS = {
    "lane": "lane",
    "selection_reason": "selection reason",
    "profile": "profile",
    "model_version": "model version",
}


@dataclass(frozen=True)
class Triage:
    """Incoming valid results sorted by what the warehouse already knows."""

    new: pd.DataFrame
    repeated: pd.DataFrame
    conflicts: pd.DataFrame
    unknown: pd.DataFrame

    def quarantine(self) -> pd.DataFrame:
        """Conflicts and unknown declarations as text rows with their reason."""
        return pd.concat([as_text(self.conflicts), as_text(self.unknown)], ignore_index=True)


def triage(incoming: pd.DataFrame, recorded: pd.DataFrame, known_ids: pd.Series) -> Triage:
    """Split valid incoming results into new, identical repeats, conflicts and unknown ids.

    Args:
        incoming: valid inspection results (canonical).
        recorded: results already in the warehouse for (at least) the incoming ids.
        known_ids: ids of the incoming declarations that the warehouse holds.
    """
    unknown = ~incoming["declaration_id"].isin(known_ids)
    first = recorded.set_index("declaration_id").reindex(incoming["declaration_id"])
    seen = first["outcome"].notna().to_numpy() & ~unknown.to_numpy()
    same = (first["outcome"].to_numpy() == incoming["outcome"].to_numpy()) & (
        first["violation_category"].to_numpy() == incoming["violation_category"].to_numpy()
    )
    conflict = seen & ~same
    reasons = (
        "conflicts with the result recorded on "
        + first["inspection_date"].dt.strftime("%Y-%m-%d").fillna("?")
        + ": "
        + first["outcome"].astype("str")
        + "/"
        + first["violation_category"].astype("str")
    ).to_numpy()
    return Triage(
        new=incoming[~seen & ~unknown.to_numpy()].reset_index(drop=True),
        repeated=incoming[seen & same].reset_index(drop=True),
        conflicts=incoming[conflict].assign(**{REASON: reasons[conflict]}).reset_index(drop=True),
        unknown=incoming[unknown].assign(**{REASON: UNKNOWN_DECLARATION}).reset_index(drop=True),
    )


def read_for_triage(store: Warehouse, incoming: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Results already recorded for the incoming ids, and which incoming ids are declared."""
    ids = incoming["declaration_id"]
    recorded = store.read_ids("inspections", ids)
    declared = store.read_ids("declarations", ids)["declaration_id"]
    return recorded, declared


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as text (dates as YYYY-MM-DD), like a received CSV; missing as ''."""
    columns = {}
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_datetime64_any_dtype(values):
            columns[name] = values.dt.strftime("%Y-%m-%d").fillna("")
        else:
            columns[name] = values.astype("str").where(values.notna(), "")
    return pd.DataFrame(columns, index=frame.index).astype("str")


def results_with_scores(store: Warehouse, ids: pd.Series | None = None) -> pd.DataFrame:
    """Inspection results joined with the score each declaration got (if any).

    `ids` limits the rows to those declarations (for instance one feedback file's results).
    """
    sql = (
        "SELECT i.declaration_id, i.selection_reason, i.outcome, i.violation_category, "
        "s.lane, s.rules_fired, s.model_version "
        "FROM inspections i LEFT JOIN scores s USING (declaration_id)"
    )
    frame = store.connection.execute(sql).df()
    if ids is not None:
        frame = frame[frame["declaration_id"].isin(ids)]
    return frame.reset_index(drop=True)


def hit_rates(results: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Results, violations and environmental violations (waste, ODS, wildlife) per group."""
    violation = results["outcome"].astype("str").eq("violation")
    environmental = violation & results["violation_category"].isin(RISK_CATEGORIES)
    base = pd.DataFrame(
        {
            "lane": results["lane"].fillna(NOT_SCORED).astype("str"),
            "selection_reason": results["selection_reason"].astype("str"),
            "profile": results["rules_fired"].fillna("").astype("str").replace("", NO_PROFILE),
            "model_version": results["model_version"].fillna(NOT_SCORED).astype("str"),
            "violation": violation.to_numpy(),
            "environmental": environmental.to_numpy(),
        }
    )
    base["profile"] = base["profile"].str.split("|")
    return {
        name: _rates(base.explode(name) if name == "profile" else base, name) for name in BREAKDOWNS
    }


def _rates(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    grouped = frame.groupby(by, sort=True)
    table = pd.DataFrame(
        {
            "results": grouped.size(),
            "violations": grouped["violation"].sum(),
            "environmental": grouped["environmental"].sum(),
        }
    )
    table["hit_rate"] = (table["violations"] / table["results"]).round(4)
    table["environmental_rate"] = (table["environmental"] / table["results"]).round(4)
    return table.reset_index().astype({"results": int, "violations": int, "environmental": int})


def tables_json(tables: dict[str, pd.DataFrame]) -> dict[str, list[dict[str, Any]]]:
    """Hit-rate tables as lists of records (for feedback.json)."""
    return {name: table.to_dict(orient="records") for name, table in tables.items()}


def render_feedback_report(
    summary: dict[str, Any],
    conflicts: pd.DataFrame,
    this_file: dict[str, pd.DataFrame],
    to_date: dict[str, pd.DataFrame],
) -> str:
    """One page: counts, conflicts, hit rates of this file's results and of all results."""
    counts = {label.replace("_", " "): summary[label] for label in _COUNT_FIELDS}
    shown = conflicts[["declaration_id", "inspection_date", "outcome", "violation_category"]]
    sections = [
        ("Counts", html.key_values(counts)),
        (
            "Conflicts",
            '<p class="muted">Kept the first result; these rows are in quarantine.</p>'
            + html.table(shown.assign(why=conflicts[REASON]))
            if len(conflicts)
            else '<p class="muted">No conflicting results.</p>',
        ),
    ]
    numeric = ["results", "violations", "environmental", "hit_rate", "environmental_rate"]
    for name, label in BREAKDOWNS.items():
        body = "<h3>This file</h3>" + html.table(this_file[name], numeric=numeric)
        body += "<h3>All results to date</h3>" + html.table(to_date[name], numeric=numeric)
        sections.append((f"Hit rate by {label}", body))
    return html.page("gcrisk — inspection feedback", sections, subtitle=str(summary["file"]))


_COUNT_FIELDS = (
    "rows_in",
    "rows_quarantined",
    "invalid",
    "new",
    "repeated",
    "conflicts",
    "unknown_declarations",
)
