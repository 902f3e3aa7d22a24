"""Scoring a simulated batch: every red and yellow row has a risk reason, constant models pick
nothing as 'model', per-day quotas hold, and the officers' view hides random checks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import pytest

from models.officer import officer_view
from models.risk_model import CategoryModel, RiskModel
from models.scoring import score_batch
from models.selection import SelectionConfig

SCORED_AT = pd.Timestamp("2025-12-31")
#: Facts that are no risk reason: counts of earlier activity, gaps in the history.
FACTS = re.compile(
    r"rests on|not known|has \d+ earlier (declarations|inspection)|characters long$|"
    r"^declared value is [\d,.]+ USD|[Rr]andom|exploration"
)


@dataclass(frozen=True)
class Batch:
    features: pd.DataFrame
    model: RiskModel


@cache
def batch(declarations: int) -> Batch:
    """The last quarter of a simulated world, and a model trained on what came before."""
    from features import build_scoring_features, build_snapshots, build_training_features
    from features.catalogue import categorical_feature_names, model_feature_names
    from models.training import TrainConfig, train_risk_model
    from simulation import WorldConfig, simulate

    world = simulate(WorldConfig(declarations=declarations, months=12, seed=7))
    cutoff = pd.Timestamp("2024-10-01")
    d, i = world.declarations, world.inspections
    history, known = d[d["declaration_date"] < cutoff], i[i["inspection_date"] < cutoff]
    model = train_risk_model(
        build_training_features(history, known),
        known,
        feature_names=model_feature_names(),
        categorical=categorical_feature_names(),
        config=TrainConfig(
            num_boost_round=60, learning_rate=0.1, early_stopping_rounds=20, min_positives=4
        ),
    )
    scored = d[d["declaration_date"] >= cutoff].reset_index(drop=True)
    features = build_scoring_features(scored, build_snapshots(history, known, cutoff))
    offices = scored.set_index("declaration_id")["customs_office"]
    features = features.assign(customs_office=offices.reindex(features["declaration_id"]).values)
    return Batch(features, model)


def score(features: pd.DataFrame, model: RiskModel | None, **options: object) -> pd.DataFrame:
    from features import describe
    from models.rules import packaged_profiles

    return score_batch(
        features,
        model=model,
        profiles=packaged_profiles(),
        describe=describe,
        selection=SelectionConfig(budget=0.05, seed=7),
        scored_at=SCORED_AT,
        **options,  # type: ignore[arg-type]
    )


def constant(model: RiskModel) -> RiskModel:
    """The same model with every category reduced to its base rate."""
    rates = {name: CategoryModel(None, m.base_rate) for name, m in model.models.items()}
    return RiskModel(matrix=model.matrix, models=rates)


def assert_every_flagged_row_has_a_risk_reason(scores: pd.DataFrame) -> None:
    flagged = scores[scores["lane"].isin(["red", "yellow"])]
    assert len(flagged) > 0
    empty = flagged[flagged["reasons"] == ""]
    assert empty.empty, empty["selection_reason"].value_counts().to_dict()
    sentences = flagged["reasons"].str.split("; ").explode()
    facts = sentences[sentences.str.contains(FACTS)]
    assert facts.empty, facts.head().tolist()
    assert (scores.loc[scores["lane"] == "green", "reasons"] == "").all()


@pytest.mark.parametrize("declarations", [20_000, 60_000])
def test_every_red_and_yellow_row_has_a_risk_reason(declarations: int) -> None:
    scored = batch(declarations)
    with_model = score(scored.features, scored.model)
    assert {"model", "random"} <= set(with_model["selection_reason"])
    assert_every_flagged_row_has_a_risk_reason(with_model)
    assert_every_flagged_row_has_a_risk_reason(score(scored.features, None))


def test_a_model_of_base_rates_selects_like_profiles_alone_and_still_explains() -> None:
    scored = batch(20_000)
    rates = score(scored.features, constant(scored.model))
    alone = score(scored.features, None)
    lanes = ["lane", "selected", "selection_reason", "selection_propensity"]
    pd.testing.assert_frame_equal(rates[lanes], alone[lanes])
    assert "model" not in set(rates["selection_reason"])
    assert rates["risk_score"].nunique() == 1  # the probabilities are still the model's
    assert_every_flagged_row_has_a_risk_reason(rates)


def test_each_office_gets_its_daily_quota_on_each_declaration_date() -> None:
    features = batch(20_000).features
    offices = sorted(features["customs_office"].unique())
    quota = pd.Series(np.arange(len(offices)) % 4, index=offices)
    scores = score(features, batch(20_000).model, capacity_per_office=quota)
    keys = [features["customs_office"], features["declaration_date"]]
    picked = scores["selected"].groupby(keys).sum()
    rows = scores["selected"].groupby(keys).size()
    allowed = np.minimum(quota.reindex(picked.index.get_level_values(0)).to_numpy(), rows)
    assert picked.tolist() == allowed.tolist() and picked.max() == 3
    assert_every_flagged_row_has_a_risk_reason(scores)


def test_the_officers_view_does_not_tell_random_checks_from_targeted_ones() -> None:
    scores = score(batch(20_000).features, batch(20_000).model)
    view = officer_view(scores)
    hidden = {"selection_reason", "selection_propensity", "risk_score", "p_waste"}
    assert not hidden & set(view.columns)
    assert view["declaration_id"].tolist() == scores["declaration_id"].tolist()
    red = scores["lane"] == "red"
    assert view.loc[red, "action"].eq("selected for inspection").all()
    assert view.loc[~red, "action"].isin(["documentary check", ""]).all()
    pd.testing.assert_series_equal(view["reasons"], scores["reasons"])
    text = view.select_dtypes(exclude="number").astype("str")
    assert not text.apply(lambda column: column.str.contains("random", case=False)).any().any()
    assert "selection_reason" in scores  # the analyst's table is untouched
