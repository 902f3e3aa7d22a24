"""The texts of a case study: the officers' handout, the trainer's answer key, the summary.

Pure functions returning strings and dictionaries; the flow writes them to files and the
notebooks display them, so both show the same words and numbers.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from casestudy.answers import answer_key, questions
from casestudy.briefs import brief
from casestudy.patterns import MEASURES
from casestudy.study import CaseStudy, CaseStudyConfig, lane_counts, selection_counts
from simulation import SCENARIOS

TOUR_TITLE = "A tour of the pipeline"


def title(scenario: str | None) -> str:
    """The case study's title."""
    return TOUR_TITLE if scenario is None else brief(scenario).title


def route(frame: pd.DataFrame) -> pd.Series:
    """Origin>consigned from>transit>destination as one string, repeated countries once."""
    transit = frame["transit_countries"].astype("str").str.replace("|", ">", regex=False)
    columns = ("origin_country", "consignment_country", "destination_country")
    origin, consignment, destination = (frame[c].astype("str") for c in columns)
    text = origin + ">" + consignment + ">" + transit + ">" + destination
    text = text.str.replace(r">+", ">", regex=True).str.strip(">")
    return text.str.replace(r"\b([A-Z]{2})(?:>\1\b)+", r"\1", regex=True)


def planted_table(study: CaseStudy) -> pd.DataFrame:
    """The planted shipments as a trainer reads them: what was declared and what it got."""
    planted = study.planted
    measure = MEASURES[brief(str(study.config.scenario)).measure]
    return pd.DataFrame(
        {
            "declaration_id": planted["declaration_id"],
            "date": planted["declaration_date"].dt.date,
            "hs_code": planted["hs_code"],
            "description": planted["goods_description"],
            "route": route(planted),
            measure.label: measure.values(planted).round(2),
            "lane": planted["lane"],
            "risk_score": planted["risk_score"].round(3),
            "selected_by": planted["selection_reason"],
            "profiles": planted["rules_fired"],
            "reasons": planted["reasons"],
        }
    ).sort_values(["lane", "risk_score"], ascending=[True, False], ignore_index=True)


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table (pipes and line breaks in cells neutralised)."""

    def cell(value: Any) -> str:
        text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else value
        return " ".join(str(text).replace("|", "\\|").split())

    head = "| " + " | ".join(cell(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join([head, rule, *rows])


def _world_line(config: CaseStudyConfig) -> str:
    return (
        f"Simulated world: {config.declarations:,} declarations from {config.start} to "
        f"{config.review_end} (seed {config.seed}). The batch is every declaration from "
        f"{config.review_start} to {config.review_end}; the model learnt from the "
        f"{config.history_months} months before. Budget: {config.budget:.0%} of the batch "
        f"to the red lane, {config.exploration:.0%} of that at random."
    )


def exercises_markdown(config: CaseStudyConfig) -> str:
    """The officers' handout: background, the files, the exercises (no answers)."""
    name = config.scenario
    lines = [f"# Case study: {title(name)}", "", _world_line(config), ""]
    if name is not None:
        lines += ["## Background", "", brief(name).background, ""]
        lines += [
            "Keys in [brackets] name the sources listed in section 9 of the project's domain "
            "reference (`data_contracts/reference/REFERENCE.md`).",
            "",
        ]
    lines += [
        "## Your material",
        "",
        "- `batch.csv`: the declarations of the batch, as they were lodged.",
        "- `scores.csv`: the pipeline's lane, risk scores, fired profiles and reasons for each.",
        "- `report.html`: the batch report (red list with reasons, score distributions).",
        "",
        "## Exercises",
        "",
        *[f"{i}. {text}" for i, text in enumerate(questions(name), 1)],
        "",
    ]
    return "\n".join(lines)


def pack_readme(config: CaseStudyConfig) -> str:
    """What a trainer pack holds and which half to hand out."""
    return "\n".join(
        [
            f"# Trainer pack: {title(config.scenario)}",
            "",
            _world_line(config),
            "",
            "- `officers/`: hand this folder out. `batch.csv` is the batch as lodged (no truth), "
            "`scores.csv` and `report.html` are what the pipeline made of it, `exercises.md` "
            "gives the background and the exercises.",
            "- `trainer/`: keep it back. `answers.md` (and `answers.html`, with pictures) lists "
            "the planted shipments, the lane each got, its reasons and the answers; "
            "`declarations/inspections/truth.parquet` and `world.json` are the whole simulated "
            "world with its hidden truth; `casestudy.json` holds the counts.",
            "",
            "Rebuild it with `gcrisk casestudy build "
            f"{config.scenario} --out DIR --declarations {config.declarations} --seed "
            f"{config.seed}` (same options, same numbers).",
            "",
        ]
    )


def answers_markdown(study: CaseStudy) -> str:
    """The trainer's answer key: the planted shipments, their lanes and reasons, the answers."""
    name = study.config.scenario
    lines = [
        f"# Answer key: {title(name)}",
        "",
        "*For trainers: keep this page from the officers until the debrief.*",
        "",
        _world_line(study.config),
        "",
    ]
    if name is not None:
        lines += _planted_section(study)
    lines += ["## Exercise answers", ""]
    for i, item in enumerate(answer_key(study), 1):
        lines += [f"{i}. **{item.question}**", "", f"   {item.answer}", ""]
    return "\n".join(lines)


def _planted_section(study: CaseStudy) -> list[str]:
    planted = study.planted
    counts = lane_counts(planted)
    selected = selection_counts(planted)
    window = study.world.facts.get("scenario", {}).get("window", ["?", "?"])
    traders = planted["trader_id"].nunique()
    how = ", ".join(f"{n} by {reason}" for reason, n in selected.items()) or "none"
    return [
        "## The planted shipments",
        "",
        SCENARIOS[str(study.config.scenario)].description,
        "",
        f"- {len(planted)} planted shipments, {window[0]} to {window[1]}, filed by {traders} "
        "front companies.",
        f"- Lanes: {counts['red']} red, {counts['yellow']} yellow, {counts['green']} green.",
        f"- Red-lane selections: {how}.",
        "",
        markdown_table(planted_table(study)),
        "",
    ]


def summary(study: CaseStudy) -> dict[str, Any]:
    """Counts of the batch and of the planted shipments, for `casestudy.json`."""
    planted = study.planted
    return {
        "name": study.config.scenario,
        "title": title(study.config.scenario),
        "config": study.config.model_dump(mode="json"),
        "review": {"start": str(study.config.review_start), "end": str(study.config.review_end)},
        "batch_declarations": len(study.scored),
        "lanes": lane_counts(study.scored),
        "planted": len(planted),
        "planted_lanes": lane_counts(planted),
        "planted_selected_by": selection_counts(planted),
        "model_fallbacks": [k for k, m in study.model.models.items() if m.booster is None],
    }
