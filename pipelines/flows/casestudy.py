"""`casestudy-build`: a trainer pack for one scenario, without Jupyter.

The pack holds two folders. `officers/` is what a trainer hands out: the batch as lodged
(`batch.csv`, no truth), the pipeline's scored list (`scores.csv`), the batch report and the
exercises. `trainer/` is kept back: the answer key (Markdown, and a page with pictures), the
world's files with the hidden truth, and the counts. Everything comes from
`casestudy`, the same calls the notebooks make, so pack and notebook agree.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from prefect import flow
from pydantic import BaseModel, Field

from casestudy import (
    CaseStudy,
    CaseStudyConfig,
    answer_key,
    answers_markdown,
    exercises_markdown,
    in_review,
    pack_readme,
    planted_table,
    selection_counts,
    summary,
    title,
)
from casestudy import figures as pictures
from pipelines.reports import html
from pipelines.runtime import get_logger, step
from pipelines.steps.scoring import render_score_report
from pipelines.storage import io


class CaseStudyBuildConfig(BaseModel):
    """The scenario to build and where to put its pack."""

    name: str = Field(description="Scenario name (gcrisk casestudy list)")
    out: Path = Field(description="Folder for the pack (officers/ and trainer/)")
    declarations: int = Field(default=100_000, description="Declarations in the world")
    seed: int = Field(default=7, description="Random seed of the world and the selection")

    def study_config(self) -> CaseStudyConfig:
        """The case study's configuration (validated: unknown scenario or bad size raises)."""
        return CaseStudyConfig(scenario=self.name, declarations=self.declarations, seed=self.seed)


class CaseStudyBuildSummary(BaseModel):
    """What the pack holds, for the command line and `trainer/casestudy.json`."""

    name: str
    out: str
    batch_declarations: int
    lanes: dict[str, int]
    planted: int
    planted_lanes: dict[str, int]
    planted_selected_by: dict[str, int]
    model_fallbacks: list[str]
    files: list[str]


@step(name="run-case-study")
def run_study(config: CaseStudyConfig) -> CaseStudy:
    """Simulate the scenario's world, train on its history, score its review batch."""
    from casestudy import run_case_study

    study = run_case_study(config)
    get_logger().info("scored %d declarations of the review batch", len(study.scores))
    return study


@step(name="write-officer-material", retries=2)
def write_officers(study: CaseStudy, folder: Path) -> list[Path]:
    """batch.csv (no truth), scores.csv, report.html and exercises.md."""
    return [
        io.write_csv(study.batch, folder / "batch.csv"),
        io.write_csv(study.scores, folder / "scores.csv"),
        io.write_text(report_html(study), folder / "report.html"),
        io.write_text(exercises_markdown(study.config), folder / "exercises.md"),
    ]


@step(name="write-trainer-material", retries=2)
def write_trainer(study: CaseStudy, folder: Path) -> list[Path]:
    """answers.md and answers.html, the world's tables with the truth, and world.json."""
    world = study.world
    return [
        io.write_text(answers_markdown(study), folder / "answers.md"),
        io.write_text(answers_html(study), folder / "answers.html"),
        io.write_parquet(world.declarations, folder / "declarations.parquet"),
        io.write_parquet(world.inspections, folder / "inspections.parquet"),
        io.write_parquet(world.truth, folder / "truth.parquet"),
        io.write_json(world.summary(), folder / "world.json"),
    ]


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
    }
    return render_score_report(study.scores, study.batch, header, drift)


@flow(name="casestudy-build", validate_parameters=True)
def casestudy_flow(config: CaseStudyBuildConfig) -> CaseStudyBuildSummary:
    """Run the scenario's case study and write the officers' and the trainer's material."""
    study = run_study(config.study_config())
    files = write_officers(study, config.out / "officers")
    files += write_trainer(study, config.out / "trainer")
    counts = summary(study)
    result = CaseStudyBuildSummary(
        name=config.name,
        out=str(config.out),
        batch_declarations=counts["batch_declarations"],
        lanes=counts["lanes"],
        planted=counts["planted"],
        planted_lanes=counts["planted_lanes"],
        planted_selected_by=counts["planted_selected_by"],
        model_fallbacks=counts["model_fallbacks"],
        files=[str(path) for path in files],
    )
    io.write_text(pack_readme(study.config), config.out / "README.md")
    io.write_json({**counts, "files": result.files}, config.out / "trainer" / "casestudy.json")
    return result
