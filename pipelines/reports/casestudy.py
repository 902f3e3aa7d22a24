"""The case study's pages: the batch report of the review and the answer key with pictures."""

from __future__ import annotations

import pandas as pd

from casestudy import (
    CaseStudy,
    answer_key,
    in_review,
    planted_table,
    selection_counts,
    summary,
    title,
)
from casestudy import figures as pictures
from pipelines.reports import html
from pipelines.reports.scoring import render_score_report


def answers_html(study: CaseStudy) -> str:
    """The answer key as one page with the pictures: planted shipments, answers, figures."""
    planted = planted_table(study)
    items = "".join(
        f"<li><p><strong>{html.escape(item.question)}</strong></p>"
        f"<p>{html.escape(item.answer)}</p></li>"
        for item in answer_key(study)
    )
    figures = {
        "The telling measure, planted shipments against the rest": pictures.measure_figure(study),
        "Routes of the planted shipments": pictures.routes_figure(study),
        "Risk score by lane, planted shipments marked": pictures.lanes_figure(study),
    }
    sections = [
        ("Planted shipments", html.table(planted, numeric=["risk_score"])),
        ("Exercise answers", f"<ol>{items}</ol>"),
        *((name, html.figure_tag(figure, alt=name)) for name, figure in figures.items()),
    ]
    return html.page(
        f"Answer key: {title(study.config.scenario)}",
        sections,
        subtitle="For trainers: keep this page from the officers until the debrief.",
    )


def report_html(study: CaseStudy) -> str:
    """The batch report of the review, as the score flow writes it for a real batch."""
    review = study.features[in_review(study.features["declaration_date"], study.config)]
    reference = study.model.reference
    drift = reference.psi(review).round(4) if reference is not None else pd.Series(dtype=float)
    counts = summary(study)
    header = {
        "file": "batch.csv",
        "rows_in": counts["batch_declarations"],
        "rows_scored": counts["batch_declarations"],
        "rows_quarantined": 0,
        "lanes": counts["lanes"],
        "selection_reasons": selection_counts(study.scored),
        "model_version": study.scores["model_version"].iloc[0] if len(study.scores) else "",
        "as_of": str(study.config.review_start),
        "banner": None,
        "warnings": [],
    }
    return render_score_report(study.scores, study.batch, header, drift)
