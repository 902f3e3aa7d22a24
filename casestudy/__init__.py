"""Case studies for trainers: a scenario world, the pipeline run on it, exercises and answers.

    config = CaseStudyConfig(scenario="ods-label-swap")
    study = run_case_study(config)              # simulate, features, train, score the review
    study.planted                               # the planted shipments with lanes and reasons
    answers_markdown(study)                     # the answer key the pack writes

Pure code (no file I/O): the notebooks call it in memory, `gcrisk casestudy build` writes a pack
from the same calls (`pipelines.flows.casestudy`).
"""

from casestudy.answers import Answer, answer_key, questions
from casestudy.briefs import BRIEFS, Brief, brief, case_study_names
from casestudy.documents import (
    answers_markdown,
    exercises_markdown,
    markdown_table,
    pack_readme,
    planted_table,
    summary,
    title,
)
from casestudy.patterns import MEASURES, Measure, Pattern
from casestudy.study import (
    CaseStudy,
    CaseStudyConfig,
    in_review,
    lane_counts,
    run_case_study,
    score_review,
    selection_counts,
    train_on_history,
    truth_metrics,
)

__all__ = [
    "BRIEFS",
    "MEASURES",
    "Answer",
    "Brief",
    "CaseStudy",
    "CaseStudyConfig",
    "Measure",
    "Pattern",
    "answer_key",
    "answers_markdown",
    "brief",
    "case_study_names",
    "exercises_markdown",
    "in_review",
    "lane_counts",
    "markdown_table",
    "pack_readme",
    "planted_table",
    "questions",
    "run_case_study",
    "score_review",
    "selection_counts",
    "summary",
    "title",
    "train_on_history",
    "truth_metrics",
]
