"""The simulated permit register and the tactics that abuse it, with their truth."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pytest

from data_contracts import validate
from features import build_training_features
from simulation import World
from tests.unit.simulation_worlds import default_world, small_world

ABUSES = ("forged", "reused", "expired", "over_quantity")


@pytest.fixture(scope="module")
def world() -> World:
    return default_world()


@pytest.fixture(scope="module")
def quoted(world: World) -> pd.DataFrame:
    """Declarations quoting a permit, with their truth and their permit's register row."""
    frame = world.declarations.merge(world.truth, on="declaration_id")
    frame = frame[frame["permit_reference"] != ""]
    register = world.permits.rename(columns=lambda c: f"reg_{c}")
    return frame.merge(
        register, left_on="permit_reference", right_on="reg_permit_reference", how="left"
    )


def test_the_register_meets_its_contract(world: World) -> None:
    result = validate(world.permits, "permits", today=datetime.date(2100, 1, 1))
    assert result.quarantine.empty
    assert len(world.permits) > 1_000
    assert set(world.permits["kind"]) >= {
        "montreal_import_licence", "basel_notification", "cites_export", "montreal_import_quota"
    }  # fmt: skip


def test_the_register_is_reproducible() -> None:
    pd.testing.assert_frame_equal(small_world(seed=3).permits, small_world(seed=3).permits)


def test_abuses_are_illicit_and_each_tactic_occurs(world: World) -> None:
    truth = world.truth
    abused = truth["permit_abuse"] != ""
    assert truth.loc[abused, "is_illicit"].all()
    counts = truth["permit_abuse"].value_counts()
    assert all(counts.get(abuse, 0) >= 20 for abuse in (*ABUSES, "missing")), counts
    assert truth["is_illicit"].mean() == pytest.approx(0.01, abs=0.002)


def test_honest_permits_are_in_order_when_quoted(quoted: pd.DataFrame) -> None:
    honest = quoted[~quoted["is_illicit"] & quoted["reg_permit_reference"].notna()]
    assert len(honest) > 1_000
    date = honest["declaration_date"]
    in_window = (date >= honest["reg_valid_from"]) & (date <= honest["reg_valid_to"])
    assert in_window.all()
    # Serial numbers drawn at random collide now and then (about 1 in 1,000 quotes).
    assert (honest["trader_id"] == honest["reg_holder_id"]).mean() > 0.995
    covered = [
        code[:6] in codes.split(";")
        for code, codes in zip(honest["hs_code"], honest["reg_hs_codes"], strict=True)
    ]
    assert all(covered)


def test_each_abuse_breaks_the_register_the_way_it_says(quoted: pd.DataFrame) -> None:
    by = {abuse: quoted[quoted["permit_abuse"] == abuse] for abuse in ABUSES}
    assert by["forged"]["reg_permit_reference"].isna().mean() > 0.9
    expired = by["expired"]
    assert (expired["declaration_date"] > expired["reg_valid_to"]).all()
    assert (expired["trader_id"] == expired["reg_holder_id"]).all()
    reused = by["reused"].dropna(subset=["reg_holder_id"])
    assert (reused["trader_id"] != reused["reg_holder_id"]).mean() > 0.9
    over = by["over_quantity"]
    used = over.groupby("permit_reference")["net_weight_kg"].sum()
    allowed = over.groupby("permit_reference")["reg_quantity_allowed"].first()
    assert (used > allowed).mean() > 0.9  # a random serial may collide with an honest one


def test_legitimate_permits_outnumber_abused_ones_and_rarely_raise_a_flag(world: World) -> None:
    truth = world.truth.set_index("declaration_id")
    quoting = world.declarations["permit_reference"] != ""
    legit = ~truth.loc[world.declarations["declaration_id"], "is_illicit"].to_numpy()
    assert (quoting & legit).sum() >= 10 * (truth["permit_abuse"].isin(ABUSES)).sum()
    features = build_training_features(world.declarations, world.inspections, permits=world.permits)
    flags = ["permit_unknown", "permit_not_valid_on_date", "permit_holder_mismatch",
             "permit_quantity_exceeded"]  # fmt: skip
    rates = features.loc[legit, flags].mean()
    assert (rates < 0.01).all(), rates
    abused = truth.loc[features["declaration_id"], "permit_abuse"].isin(ABUSES).to_numpy()
    assert features.loc[abused, flags].any(axis=1).mean() > 0.7
    assert not np.isnan(features["permit_quantity_used_share"]).any()
