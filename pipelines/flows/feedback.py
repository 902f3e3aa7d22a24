"""`inspection-feedback`: take in inspection results and say how targeting did.

Validate the results (bad rows to quarantine), keep each declaration's first result (a different
second result is a conflict, quarantined for a person to settle; an identical one is a harmless
repeat), quarantine results for declarations the warehouse does not hold, upsert the new ones,
and report hit rates by lane, selection reason, profile and model version.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pandas as pd
from prefect import flow
from pydantic import BaseModel, Field

from data_contracts.privacy import key_fingerprint
from models.feedback import as_text
from pipelines.settings import Settings
from pipelines.steps.feedback import (
    FEEDBACK_FILES,
    compute_hit_rates,
    load_results,
    sort_results,
    write_feedback,
)
from pipelines.steps.intake import (
    ValidationSummary,
    check_pseudonym_key,
    read_received,
    validate_table,
)
from pipelines.storage.warehouse import utc_now


class FeedbackConfig(BaseModel):
    """A file of inspection results and where to write the feedback report."""

    file: Path = Field(description="Inspection results, CSV (UTF-8) or Parquet")
    out: Path | None = Field(
        default=None,
        description="Folder for feedback.json/.html (default $GCRISK_HOME/feedback/DAY)",
    )
    today: datetime.date | None = Field(default=None, description="Reference day for dates")

    def out_dir(self, settings: Settings) -> Path:
        """`out`, or $GCRISK_HOME/feedback/<today>."""
        day = self.today or datetime.date.today()
        return self.out or settings.home / "feedback" / day.isoformat()


class HitRate(BaseModel):
    """Results, violations and environmental violations (waste, ODS, wildlife) of one group."""

    results: int
    violations: int
    environmental: int
    hit_rate: float
    environmental_rate: float


class LaneHitRate(HitRate):
    lane: str


class ReasonHitRate(HitRate):
    selection_reason: str


class ProfileHitRate(HitRate):
    profile: str


class IndicatorHitRate(HitRate):
    indicator: str


class ShadowHitRate(HitRate):
    """Results where a draft or unapproved profile fired (it selected nothing)."""

    shadow_profile: str


class VersionHitRate(HitRate):
    model_version: str


class HitRates(BaseModel):
    """Hit rates by lane, selection reason, profile, indicator, shadow profile and model
    version."""

    lane: list[LaneHitRate]
    selection_reason: list[ReasonHitRate]
    profile: list[ProfileHitRate]
    indicator: list[IndicatorHitRate]
    shadow_profile: list[ShadowHitRate]
    model_version: list[VersionHitRate]

    @classmethod
    def of(cls, tables: dict[str, pd.DataFrame]) -> HitRates:
        """From the tables of `models.feedback.hit_rates`."""
        return cls.model_validate(
            {name: table.to_dict(orient="records") for name, table in tables.items()}
        )


class FeedbackSummary(BaseModel):
    """Counts of one feedback file (rows_in = invalid + new + repeated + conflicts + unknown)."""

    file: str
    rows_in: int
    rows_quarantined: int
    invalid: int
    new: int
    repeated: int
    conflicts: int
    unknown_declarations: int
    reasons: dict[str, int]
    hit_rates: HitRates
    hit_rates_to_date: HitRates
    outputs: dict[str, str]


@flow(name="inspection-feedback", validate_parameters=True)
def feedback_flow(config: FeedbackConfig) -> FeedbackSummary:
    """Validate and take in inspection results; report conflicts and hit rates."""
    settings = Settings()
    started = utc_now()
    fingerprint = key_fingerprint(settings.key_bytes())
    check_pseudonym_key(settings.warehouse, fingerprint)
    out = config.out_dir(settings)
    frame = read_received(config.file)
    result = validate_table(frame, "inspections", config.today, source=config.file)
    validation = ValidationSummary.of(result, file=config.file, kind="inspections")
    sorted_ = sort_results(settings.warehouse, result.valid)
    quarantine = pd.concat([as_text(result.quarantine), sorted_.quarantine()], ignore_index=True)
    load_results(
        settings.warehouse,
        sorted_.new,
        quarantine,
        source=str(config.file.resolve()),
        at=started,
        fingerprint=fingerprint,
    )
    accepted = pd.concat([sorted_.new["declaration_id"], sorted_.repeated["declaration_id"]])
    this_file, to_date = compute_hit_rates(settings.warehouse, accepted, settings)
    summary = FeedbackSummary(
        file=str(config.file),
        rows_in=validation.rows_in,
        rows_quarantined=len(quarantine),
        invalid=validation.rows_quarantined,
        new=len(sorted_.new),
        repeated=len(sorted_.repeated),
        conflicts=len(sorted_.conflicts),
        unknown_declarations=len(sorted_.unknown),
        reasons=validation.reasons,
        hit_rates=HitRates.of(this_file),
        hit_rates_to_date=HitRates.of(to_date),
        outputs={name: str(out / name) for name in FEEDBACK_FILES},
    )
    write_feedback(summary.model_dump(mode="json"), sorted_, quarantine, this_file, to_date, out)
    return summary
