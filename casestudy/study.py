"""A case study: a scenario world, a model trained on its history, its last months scored.

The world is laid out the same way for every scenario: `history_months` of ordinary trade (the
model learns from what the legacy policy inspected there), then `review_months` whose
declarations form the batch an officer reviews. The scenario's shipments are planted inside the
review months, and the world's import ban takes effect on the first review day, so the plastic
scenario meets a model that never saw the ban.

Review features are computed as of each declaration's own day, which is what a daily scoring job
sees (`features.build` proves both paths agree); the whole review period shares one capacity.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from data_contracts.schemas import DECLARATION_COLUMNS
from features import build_training_features, describe
from features.catalogue import categorical_feature_names, model_feature_names
from models.evaluation import evaluate_scores, labels_from_truth
from models.risk_model import RiskModel
from models.rules import ProfileSet, ProfilesInUse, packaged_profiles
from models.scoring import score_batch
from models.selection import SelectionConfig
from models.training import TrainConfig, train_risk_model
from simulation import SCENARIOS, World, WorldConfig, simulate
from simulation.config import default_drift_events

MODEL_VERSION = "case-study"
LANES = ("red", "yellow", "green")
#: Score columns shown next to a declaration in the officer's view.
VIEW_COLUMNS = (
    "lane",
    "risk_score",
    "p_waste",
    "p_ods",
    "p_wildlife",
    "selection_reason",
    "selection_propensity",
    "rules_fired",
    "reasons",
)


class CaseStudyConfig(BaseModel):
    """The world of one case study and the inspection budget of its review."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    scenario: str | None = Field(default=None, description="Planted scenario (None: the tour)")
    declarations: int = Field(default=100_000, ge=2_000, le=2_000_000)
    start: datetime.date = datetime.date(2024, 1, 1)
    history_months: int = Field(default=12, ge=6, le=60)
    review_months: int = Field(default=3, ge=1, le=12)
    seed: int = 7
    budget: float = Field(default=0.05, gt=0, le=1, description="Red-lane share of the batch")
    exploration: float = Field(default=0.10, ge=0, le=1, description="Random share of capacity")

    @field_validator("scenario")
    @classmethod
    def _known(cls, name: str | None) -> str | None:
        if name is not None and name not in SCENARIOS:
            raise ValueError(f"unknown scenario {name!r}; choose from {', '.join(SCENARIOS)}")
        return name

    @property
    def months(self) -> int:
        return self.history_months + self.review_months

    @property
    def review_start(self) -> datetime.date:
        """First day of the review batch (and of the world's import ban)."""
        return (pd.Timestamp(self.start) + pd.DateOffset(months=self.history_months)).date()

    @property
    def review_end(self) -> datetime.date:
        """Last day of the review batch (the world's last day)."""
        end = pd.Timestamp(self.start) + pd.DateOffset(months=self.months)
        return (end - pd.Timedelta(days=1)).date()

    def world_config(self) -> WorldConfig:
        """The simulator's configuration: the ban on the first review day, the scheme inside."""
        events = tuple(
            event.model_copy(update={"date": self.review_start})
            if event.kind == "import_ban"
            else event
            for event in default_drift_events(self.start, self.months)
        )
        return WorldConfig.model_validate(
            {
                "declarations": self.declarations,
                "start": self.start,
                "months": self.months,
                "seed": self.seed,
                "scenario": self.scenario,
                "scenario_window": self._window(),
                "drift_events": events,
            }
        )

    def _window(self) -> tuple[float, float] | None:
        """The review period as fractions of the world (of the days after the ban if after it)."""
        if self.scenario is None:
            return None
        days = (self.review_end - self.start).days + 1
        history = (self.review_start - self.start).days
        offset = 0 if SCENARIOS[self.scenario].after_ban else history
        # A few days' margin on each side keeps every planted row inside the batch.
        return (offset + 3) / days, (offset + days - history - 5) / days


def in_review(dates: pd.Series, config: CaseStudyConfig) -> pd.Series:
    """Rows dated inside the review period."""
    start, end = pd.Timestamp(config.review_start), pd.Timestamp(config.review_end)
    return (dates >= start) & (dates <= end)


def train_on_history(
    features: pd.DataFrame, inspections: pd.DataFrame, *, config: CaseStudyConfig
) -> RiskModel:
    """The risk model trained on what was inspected, and known, before the review starts."""
    return train_risk_model(
        features,
        inspections,
        feature_names=model_feature_names(),
        categorical=categorical_feature_names(),
        config=TrainConfig(until=config.review_start, seed=config.seed),
    )


def score_review(
    features: pd.DataFrame,
    declarations: pd.DataFrame,
    model: RiskModel | None,
    *,
    config: CaseStudyConfig,
    profiles: ProfilesInUse | None = None,
) -> pd.DataFrame:
    """The review batch's score table: probabilities, profiles, lanes within budget, reasons
    (drafts and unapproved `profiles` fire in shadow only, as in `gcrisk score`; default: the
    shipped set on the review's first day)."""
    if profiles is None:
        profiles = packaged_profiles().in_use(config.review_start)
    batch = features[in_review(features["declaration_date"], config)].reset_index(drop=True)
    offices = declarations.set_index("declaration_id")["customs_office"]
    batch = batch.assign(customs_office=offices.reindex(batch["declaration_id"]).to_numpy())
    return score_batch(
        batch,
        model=model,
        profiles=profiles.selecting,
        shadow=profiles.shadow,
        describe=describe,
        selection=SelectionConfig(
            budget=config.budget, exploration=config.exploration, seed=config.seed
        ),
        model_version=MODEL_VERSION,
        scored_at=pd.Timestamp(config.review_end) + pd.Timedelta(days=1),
    )


@dataclass(frozen=True)
class CaseStudy:
    """A scenario world, its features, the model trained on its history and the scored review."""

    config: CaseStudyConfig
    world: World
    features: pd.DataFrame
    model: RiskModel
    scores: pd.DataFrame
    #: The whole profile set the study ran with (the unit's, or the shipped one).
    profiles: ProfileSet = field(default_factory=packaged_profiles)

    @cached_property
    def batch(self) -> pd.DataFrame:
        """The review batch as it arrives: canonical declarations, no truth."""
        declarations = self.world.declarations
        rows = declarations[in_review(declarations["declaration_date"], self.config)]
        return rows[[column.name for column in DECLARATION_COLUMNS]].reset_index(drop=True)

    @cached_property
    def history(self) -> pd.DataFrame:
        """The declarations before the review (what the unit knew)."""
        declarations = self.world.declarations
        before = declarations["declaration_date"] < pd.Timestamp(self.config.review_start)
        return declarations[before].reset_index(drop=True)

    @cached_property
    def scored(self) -> pd.DataFrame:
        """The batch with its lane, scores, profiles and reasons (the officer's view)."""
        view = self.scores[["declaration_id", *VIEW_COLUMNS]]
        return self.batch.merge(view, on="declaration_id", how="left", validate="one_to_one")

    @cached_property
    def truth(self) -> pd.DataFrame:
        """The hidden truth of the batch's declarations, in batch order."""
        truth = self.world.truth.set_index("declaration_id")
        return truth.reindex(self.batch["declaration_id"]).reset_index()

    @property
    def planted_mask(self) -> pd.Series:
        """Batch rows that are the scenario's planted shipments (none for the tour)."""
        name = self.config.scenario or "-"
        return self.truth["modus_operandi"].astype("str").eq(name)

    @property
    def planted(self) -> pd.DataFrame:
        """The planted shipments with their lanes and reasons."""
        return self.scored[self.planted_mask.to_numpy()].reset_index(drop=True)


def run_case_study(config: CaseStudyConfig, profiles: ProfileSet | None = None) -> CaseStudy:
    """Simulate, build features, train on the history and score the review batch with
    `profiles` as they stand on the review's first day (default: the shipped set)."""
    profiles = packaged_profiles() if profiles is None else profiles
    world = simulate(config.world_config())
    features = build_training_features(world.declarations, world.inspections)
    model = train_on_history(features, world.inspections, config=config)
    in_use = profiles.in_use(config.review_start)
    scores = score_review(features, world.declarations, model, config=config, profiles=in_use)
    return CaseStudy(config, world, features, model, scores, profiles)


def lane_counts(frame: pd.DataFrame) -> dict[str, int]:
    """Rows per lane, red first."""
    return {lane: int((frame["lane"] == lane).sum()) for lane in LANES}


def selection_counts(frame: pd.DataFrame) -> dict[str, int]:
    """Selected rows per selection reason (rule, model, random)."""
    reasons = frame.loc[frame["lane"] == "red", "selection_reason"].value_counts()
    return {str(reason): int(count) for reason, count in reasons.sort_index().items()}


def truth_metrics(study: CaseStudy) -> dict[str, object]:
    """Precision, recall and lift at budgets of the review's scores against the hidden truth."""
    return evaluate_scores(study.scores, labels_from_truth(study.truth))
