"""Behavioural tests of the trained risk model (Made With ML style): direction, invariance and
minimum functionality, on a small simulated world trained once per session.

The world is small but label-rich (3% illicit, 10% inspected) so every category gets a booster;
the model is trained with the default `TrainConfig` on everything before the last month, which
is then scored as one batch through the scoring path (`build_snapshots` + features).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from features import (
    Snapshots,
    build_scoring_features,
    build_snapshots,
    build_training_features,
    categorical_feature_names,
    describe,
    model_feature_names,
)
from models.evaluation import top_k
from models.risk_model import RiskModel
from models.rules import packaged_profiles
from models.scoring import score_batch
from models.selection import SelectionConfig
from models.training import TrainConfig, train_risk_model
from simulation import WorldConfig, simulate

WORLD = WorldConfig(
    declarations=30_000,
    months=13,
    seed=3,
    illicit_share=0.03,
    inspection_rate=0.1,
    random_inspection_rate=0.02,
)
BUDGET = 0.05


@dataclass(frozen=True)
class Trained:
    """The model, the history it was trained on, and the last month as a batch to score."""

    model: RiskModel
    history: pd.DataFrame
    snapshots: Snapshots
    batch: pd.DataFrame

    def score(self, batch: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Scoring-path features of `batch` and the model's probabilities."""
        features = build_scoring_features(batch, self.snapshots)
        return features, self.model.predict(features)


@cache
def trained() -> Trained:
    world = simulate(WORLD)
    declarations, inspections = world.declarations, world.inspections
    as_of = declarations["declaration_date"].max().to_period("M").start_time
    model = train_risk_model(
        build_training_features(declarations, inspections),
        inspections,
        feature_names=model_feature_names(),
        categorical=categorical_feature_names(),
        config=TrainConfig(until=as_of.date()),
    )
    history = declarations[declarations["declaration_date"] < as_of]
    batch = declarations[declarations["declaration_date"] >= as_of].reset_index(drop=True)
    return Trained(model, history, build_snapshots(declarations, inspections, as_of), batch)


def test_every_category_has_a_booster() -> None:
    # Otherwise the tests below would only exercise a constant base rate.
    assert all(m.booster is not None for m in trained().model.models.values())


def test_a_much_lower_price_does_not_lower_ods_risk_of_refrigerants() -> None:
    state = trained()
    features, before = state.score(state.batch)
    refrigerant = features["is_ods_code"].to_numpy(dtype=bool)
    assert refrigerant.sum() >= 50
    cheaper = state.batch.copy()
    cheaper.loc[refrigerant, "customs_value_usd"] /= 10
    changed, after = state.score(cheaper)
    assert (changed["unit_value_usd_per_kg"] < features["unit_value_usd_per_kg"])[refrigerant].all()
    old, new = before["p_ods"][refrigerant], after["p_ods"][refrigerant]
    assert new.mean() >= old.mean()
    assert (new >= old).mean() >= 0.8


def test_the_pseudonym_of_a_trader_without_history_does_not_change_the_score() -> None:
    state = trained()
    features, scores = state.score(state.batch)
    newcomers = state.batch["trader_id"][features["trader_is_new"].to_numpy(dtype=bool)].unique()
    assert len(newcomers) >= 5
    assert not np.isin(newcomers, state.history["trader_id"].unique()).any()
    renamed = state.batch.copy()
    pseudonyms = {trader: f"TNEW{i:05d}" for i, trader in enumerate(newcomers)}
    renamed["trader_id"] = renamed["trader_id"].replace(pseudonyms)
    renamed_features, renamed_scores = state.score(renamed)
    names = model_feature_names()
    pd.testing.assert_frame_equal(renamed_features[names], features[names])
    pd.testing.assert_frame_equal(renamed_scores, scores)


def _usual_unit_value(history: pd.DataFrame, hs6: str) -> float:
    rows = history[history["hs_code"].str.startswith(hs6)]
    return float((rows["customs_value_usd"] / rows["net_weight_kg"]).median())


def _planted(state: Trained, **changes: object) -> pd.DataFrame:
    """One declaration on the batch's first day, copied from an ordinary import and changed."""
    template = state.batch[state.batch["flow"] == "import"].iloc[[0]].reset_index(drop=True)
    row = template.assign(
        declaration_id="PLANTED",
        declaration_date=state.batch["declaration_date"].min(),
        trader_id="TPLANTED",
        container_count=pd.array([1], dtype="Int64"),
        gross_weight_kg=11_000.0,
        net_weight_kg=10_000.0,
        quantity=10_000.0,
        quantity_unit="kg",
        **changes,
    )
    return pd.concat([state.batch, row[state.batch.columns]], ignore_index=True)


@dataclass(frozen=True)
class Verdict:
    """What happened to the planted row: top 5% by the model, its lane, the batch's scores."""

    in_top: bool
    lane: str
    scores: pd.DataFrame
    planted: np.ndarray


def _verdict(state: Trained, batch: pd.DataFrame) -> Verdict:
    features, scores = state.score(batch)
    planted = (batch["declaration_id"] == "PLANTED").to_numpy()
    lanes = score_batch(
        features,
        model=state.model,
        profiles=packaged_profiles(),
        describe=describe,
        selection=SelectionConfig(budget=BUDGET),
        scored_at=pd.Timestamp("2026-01-01"),
    )
    return Verdict(
        in_top=bool(top_k(scores["risk_score"].to_numpy(), BUDGET)[planted][0]),
        lane=str(lanes["lane"][planted].iloc[0]),
        scores=scores,
        planted=planted,
    )


def test_hcfc_22_sold_as_r134a_at_a_tenth_of_the_price_via_a_hub_is_caught() -> None:
    state = trained()
    price = 0.1 * _usual_unit_value(state.history, "290345")
    batch = _planted(
        state,
        hs_code="290345",
        goods_description="REFRIGERANT GAS R134A",
        origin_country="CN",
        consignment_country="AE",
        transit_countries="AE",
        customs_value_usd=round(price * 10_000.0, 2),
        permit_reference="LIC-134A-0001",
    )
    verdict = _verdict(state, batch)
    assert verdict.in_top, verdict.scores[verdict.planted].to_dict("records")
    assert verdict.lane == "red"


def test_cites_skins_without_permit_from_a_range_state_via_a_hub_are_caught() -> None:
    state = trained()
    batch = _planted(
        state,
        hs_code="410320",
        goods_description="REPTILE SKINS, RAW",
        origin_country="CM",
        consignment_country="AE",
        transit_countries="NG|AE",
        customs_value_usd=round(_usual_unit_value(state.history, "410320") * 10_000.0, 2),
        permit_reference="",
    )
    verdict = _verdict(state, batch)
    assert verdict.lane == "red"
    # Wildlife labels are scarce (a few dozen before the batch), so on other seeds the overall
    # risk does not reliably put this case in the top 5% (the red-lane profile does); the
    # wildlife model must still rank it among the batch's top 10% for its own category.
    wildlife = verdict.scores["p_wildlife"]
    assert (wildlife < wildlife[verdict.planted].iloc[0]).mean() >= 0.9
