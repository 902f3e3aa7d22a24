"""The steps of the casestudy flow: run the study, write the officers' and the trainer's files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from casestudy import CaseStudy, CaseStudyConfig, answers_markdown, exercises_markdown, pack_readme
from pipelines.reports.casestudy import answers_html, report_html
from pipelines.runtime import get_logger, step
from pipelines.settings import Settings
from pipelines.storage import io
from pipelines.storage.profiles import load_unit_profiles


@step(name="run-case-study")
def run_study(config: CaseStudyConfig, settings: Settings) -> CaseStudy:
    """Simulate the scenario's world, train on its history, score its review batch with the
    unit's profiles (GCRISK_PROFILES, default the shipped set)."""
    from casestudy import run_case_study

    study = run_case_study(config, load_unit_profiles(settings))
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


@step(name="write-pack-index", retries=2)
def write_index(study: CaseStudy, counts: dict[str, Any], files: list[str], out: Path) -> None:
    """The pack's README.md and trainer/casestudy.json (the counts and the files)."""
    io.write_text(pack_readme(study.config), out / "README.md")
    io.write_json({**counts, "files": files}, out / "trainer" / "casestudy.json")
