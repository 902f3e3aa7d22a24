"""The feedback report page: counts, conflicts, and hit rates of the file and to date."""

from __future__ import annotations

from typing import Any

import pandas as pd

from models.feedback import BREAKDOWNS, REASON
from pipelines.reports import html


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
