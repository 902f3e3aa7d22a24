"""The monitoring report page: alerts, feature drift, score drift and missed violations."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from pipelines.reports import html

_NUMBERS = ["psi", "psi_present", "missing_training", "missing_window"]
SECTIONS = (
    "Summary",
    "Alerts",
    "Feature drift",
    "History-volume features",
    "Score drift",
    "Missed violations",
    "Profiles",
    "HS editions",
)


def render_monitor_report(
    summary: dict[str, Any], drift: pd.DataFrame, current: pd.Series, previous: pd.Series
) -> str:
    """One self-contained page in the look of the scoring report."""
    window = summary["window"]
    overview = {
        "window": f"{window['start']} to {window['end']}",
        "previous window": f"{window['previous_start']} to {window['previous_end']}",
        "scored declarations": summary["rows"],
        "scored declarations, previous window": summary["previous_rows"],
        "model versions in the window": ", ".join(summary["model_versions"]) or "none",
        "champion (training reference)": summary["champion_version"],
        "alerts": len(summary["alerts"]),
    }
    banner = f"{len(summary['alerts'])} alert(s): see Alerts." if summary["alerts"] else None
    sections = [
        ("Summary", html.key_values(overview)),
        ("Alerts", _alerts(summary["alerts"], summary["notes"])),
        ("Feature drift", _drift(drift[~drift["history_volume"].astype(bool)], summary)),
        ("History-volume features", _volume(drift[drift["history_volume"].astype(bool)])),
        ("Score drift", _score(summary["score_psi"], current, previous)),
        ("Missed violations", _missed(summary["missed"])),
        ("Profiles", _profiles(summary["profiles"])),
        ("HS editions", _editions(summary["hs_editions"])),
    ]
    return html.page(
        "gcrisk — monitoring report",
        sections,
        banner=banner,
        subtitle=f"{window['start']} to {window['end']} · champion {summary['champion_version']}",
    )


def _editions(mix: dict[str, dict[str, int]]) -> str:
    """Scored declarations by the HS edition of their code, this window and the previous."""
    frame = pd.DataFrame(mix).rename_axis("edition").reset_index()
    for window in ("current", "previous"):
        total = frame[window].sum()
        frame[f"{window} share"] = (frame[window] / total).round(4) if total else 0.0
    intro = (
        "<p>HS 2017 was in force before 2022-01-01 and HS 2022 from that day; a code is "
        "checked against the edition of its date, and an HS 2017-only code is read as its HS "
        "2022 subheadings in features.</p>"
    )
    numeric = ["current", "current share", "previous", "previous share"]
    return intro + html.table(frame[["edition", *numeric]], numeric=numeric)


def _alerts(alerts: list[str], notes: list[str]) -> str:
    body = (
        "<ul>" + "".join(f"<li>{html.escape(a)}</li>" for a in alerts) + "</ul>"
        if alerts
        else "<p>No threshold crossed.</p>"
    )
    return body + "".join(f'<p class="muted">{html.escape(note)}</p>' for note in notes)


def _drift(table: pd.DataFrame, summary: dict[str, Any]) -> str:
    if table.empty:
        return '<p class="muted">No training reference (no usable champion): not computed.</p>'
    threshold = summary["thresholds"]["feature_psi"]
    intro = (
        f"<p>Population stability index (PSI) of each model feature in the window against the "
        f"champion's training data. <code>psi_present</code> compares the values present and "
        f"raises an alert at {threshold:g} or more; the missing shares are compared apart (an "
        "alert when a feature is missing 10 points more often than in training). Below 0.1 is "
        "stable, 0.1–0.25 moderate, above 0.25 major.</p>"
    )
    return intro + html.table(table.drop(columns="history_volume"), numeric=_NUMBERS)


def _volume(table: pd.DataFrame) -> str:
    intro = (
        '<p class="muted">Ages and prior counts grow as the warehouse fills, so they drift '
        "from the training period by design; shown for the record, never alerted on.</p>"
    )
    if table.empty:
        return intro
    return intro + html.table(table.drop(columns="history_volume"), numeric=_NUMBERS)


def _score(psi: float, current: pd.Series, previous: pd.Series) -> str:
    if not np.isfinite(psi):
        return '<p class="muted">No scored declarations in the previous window to compare.</p>'
    text = f"<p>PSI of the overall risk score against the previous window: {psi:.3f}.</p>"
    return text + html.figure_tag(_histograms(current, previous), alt="risk score histograms")


def _histograms(current: pd.Series, previous: pd.Series) -> Figure:
    figure = Figure(figsize=(6, 3.2))
    axis = figure.subplots()
    top = max(float(current.max()), float(previous.max()), 1e-6)
    bins = np.linspace(0.0, top, 40).tolist()
    axis.hist(previous, bins=bins, alpha=0.6, density=True, label="previous window")
    axis.hist(current, bins=bins, alpha=0.6, density=True, label="window")
    axis.set_yscale("log")
    axis.set_xlabel("risk score")
    axis.legend(fontsize="small")
    figure.tight_layout()
    return figure


def _missed(missed: dict[str, float]) -> str:
    if not missed.get("random_inspections"):
        return (
            '<p class="muted">No random-stream inspection results in the window: the share of '
            "violations targeting misses cannot be estimated.</p>"
        )
    intro = (
        "<p>Random-stream inspections stand for every declaration nobody targeted "
        "(inverse-propensity weights); their hits estimate the environmental violations that "
        "went uninspected. Inspections miss some violations themselves, so this is a lower "
        "bound.</p>"
    )
    return intro + html.key_values({k.replace("_", " "): v for k, v in missed.items()})


_PROFILE_NUMBERS = [
    "fires",
    "fires_per_month",
    "expected_volume_per_month",
    "expected_fires",
    "results",
    "hits",
    "hit_rate",
    "expected_hit_rate",
]


def _profiles(activity: list[dict[str, Any]]) -> str:
    """Each selecting profile's volume and hit rate in the window against its expectations."""
    intro = (
        "<p>Fires per month (the window scaled to 365.25/12 days) and the hit rate of the fires "
        "with a result (environmental violations), against what each profile expects. Alerts: "
        "volume outside 0.5x to 2x the expected, once 10 or more fires were expected in the "
        "window; hit rate below half the expected, once 20 or more fires have a result.</p>"
    )
    if not activity:
        return intro + '<p class="muted">No profile selects on the window\'s last day.</p>'
    frame = pd.DataFrame(activity)
    return intro + html.table(frame, numeric=_PROFILE_NUMBERS)
