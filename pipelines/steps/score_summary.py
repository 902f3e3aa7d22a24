"""The typed summary of one scored batch: what summary.json, the report and MLflow show."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from pydantic import BaseModel

from data_contracts.schemas import RISK_CATEGORIES
from models.rules import fired_counts
from pipelines.steps.intake import ValidationSummary
from pipelines.storage import io
from pipelines.storage.tracking import Champion

#: The files a scoring run writes to its `out` folder, as listed in the summary.
OUTPUT_FILES = ("scores.parquet", "scores.csv", "quarantine.parquet", "report.html", "summary.json")


class ScoreSummary(BaseModel):
    """The counts and versions written to summary.json."""

    file: str
    rows_in: int
    rows_scored: int
    rows_quarantined: int
    lanes: dict[str, int]
    selection_reasons: dict[str, int]
    categories: dict[str, int]
    rules_fired: dict[str, int]
    shadow_fired: dict[str, int]
    model_version: str
    model_fingerprint: str
    data_fingerprint: str
    as_of: str
    banner: str | None
    drift: dict[str, float]
    outputs: dict[str, str]
    decision_run_id: str
    warnings: list[str] = []
    mlflow_run_id: str | None = None

    @classmethod
    def of(
        cls,
        scores: pd.DataFrame,
        validation: ValidationSummary,
        champion: Champion,
        batch: pd.DataFrame,
        drift: pd.Series,
        *,
        out: Path,
        notes: tuple[str, ...] = (),
        warnings: tuple[str, ...] = (),
        decision_run_id: str,
    ) -> ScoreSummary:
        """The summary of `scores`; its banner joins the champion's fallback notice and `notes`;
        `warnings` are what the analyst should act on (e.g. profiles about to expire)."""
        red = scores[scores["lane"] == "red"]
        columns = [f"p_{c}" for c in RISK_CATEGORIES]
        categories = red[columns].idxmax(axis=1).str.removeprefix("p_")
        lanes = ("red", "yellow", "green")
        return cls(
            file=validation.file,
            rows_in=validation.rows_in,
            rows_scored=len(scores),
            rows_quarantined=validation.rows_quarantined,
            lanes={lane: int((scores["lane"] == lane).sum()) for lane in lanes},
            selection_reasons=_counts(scores.loc[scores["selected"], "selection_reason"]),
            categories=_counts(categories),
            rules_fired=fired_counts(scores["rules_fired"]),
            shadow_fired=fired_counts(scores["shadow_fired"]),
            model_version=champion.version,
            model_fingerprint=champion.fingerprint,
            data_fingerprint=io.frame_fingerprint(batch),
            as_of=str(batch["declaration_date"].min().date()) if len(batch) else "",
            banner=" ".join(text for text in (champion.banner, *notes) if text) or None,
            drift={name: float(value) for name, value in drift.items()},
            outputs={name: str(out / name) for name in OUTPUT_FILES},
            decision_run_id=decision_run_id,
            warnings=list(warnings),
        )


def _counts(values: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in values.value_counts().sort_index().items()}
