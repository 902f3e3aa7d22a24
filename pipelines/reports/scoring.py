"""The batch scoring report: counts, the red list with reasons, score distributions, drift.

One self-contained page (`pipelines.reports.html`): every value from a declaration is escaped.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from models.monitoring import drift_level
from models.officer import officer_view
from models.rules import fired_counts
from models.scoring import PROFILES_ONLY
from pipelines.reports import charts, html

RED_LIST_LIMIT = 500


def render_score_report(
    scores: pd.DataFrame, batch: pd.DataFrame, summary: dict[str, Any], drift: pd.Series
) -> str:
    """The batch report: counts, the red list with reasons, distributions, drift."""
    counts = {
        "rows in": summary["rows_in"],
        "rows scored": summary["rows_scored"],
        "rows quarantined": summary["rows_quarantined"],
        **{f"{lane} lane": n for lane, n in summary["lanes"].items()},
        **{f"selected by {reason}": n for reason, n in summary["selection_reasons"].items()},
        "model version": summary["model_version"],
    }
    # The red list is the officers' view: it never tells a random check from a targeted one.
    red = (
        officer_view(scores[scores["lane"] == "red"])
        .merge(
            batch[
                [
                    "declaration_id",
                    "declaration_date",
                    "customs_office",
                    "hs_code",
                    "goods_description",
                    "origin_country",
                ]
            ],
            on="declaration_id",
            how="left",
        )
        .sort_values(["customs_office", "declaration_date", "declaration_id"], kind="stable")
    )
    red_table = red[
        [
            "declaration_id",
            "declaration_date",
            "customs_office",
            "hs_code",
            "origin_country",
            "goods_description",
            "action",
            "rules_fired",
            "reasons",
        ]
    ].head(RED_LIST_LIMIT)
    red_table = red_table.assign(declaration_date=red_table["declaration_date"].dt.date)
    note = (
        f'<p class="muted">Showing {len(red_table)} of {len(red)} declarations selected for '
        "inspection, by office and date.</p>"
    )
    sections = [
        ("Counts", html.key_values(counts)),
        ("Red lane", note + html.table(red_table, wide=True)),
        ("Profiles", _profiles_section(scores, summary["warnings"])),
        ("Score distributions", _distributions(scores)),
        ("Drift", _drift_section(drift, model_version=summary["model_version"])),
    ]
    return html.page(
        "gcrisk — batch scoring report",
        sections,
        banner=summary["banner"],
        subtitle=f"{summary['file']} · as of {summary['as_of']} · model {summary['model_version']}",
    )


def _profiles_section(scores: pd.DataFrame, warnings: list[str]) -> str:
    """Fires per selecting profile, fires per shadow profile (logged, never selecting), and
    the `warnings` of profiles about to expire."""
    alerts = "".join(
        f'<div class="banner" role="alert">{html.escape(text)}</div>' for text in warnings
    )
    fired = fired_counts(scores["rules_fired"])
    shadow = fired_counts(scores["shadow_fired"])
    parts = [
        alerts,
        html.key_values(fired) if fired else '<p class="muted">No selecting profile fired.</p>',
    ]
    if shadow:
        parts += [
            "<p>Shadow profiles (drafts, or not yet approved) fired as below: recorded in the "
            "decision record as <code>shadow_fired</code>, they selected nothing.</p>",
            html.key_values(shadow),
        ]
    return "".join(parts)


def _distributions(scores: pd.DataFrame) -> str:
    if scores.empty:
        return '<p class="muted">Nothing was scored.</p>'
    return html.figure_tag(charts.score_distributions(scores), alt="score distributions")


def _drift_section(drift: pd.Series, *, model_version: str) -> str:
    if drift.empty:
        why = (
            "no model, so no training reference (profiles only)"
            if model_version == PROFILES_ONLY
            else "nothing was scored, or the model carries no training reference"
        )
        return f'<p class="muted">Drift not computed: {why}.</p>'
    frame = pd.DataFrame(
        {
            "feature": drift.index,
            "psi": drift.to_numpy(),
            "level": [drift_level(v) for v in drift.to_numpy()],
        }
    ).head(25)
    shifted = int((drift >= 0.1).sum())
    intro = (
        f"<p>{shifted} of {len(drift)} model features moved (PSI ≥ 0.1) against the "
        "training data. PSI below 0.1 is stable, 0.1–0.25 moderate, above 0.25 major.</p>"
    )
    return intro + html.table(frame, numeric=["psi"])
