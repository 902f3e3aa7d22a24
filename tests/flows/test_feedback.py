"""`inspection-feedback`: first results kept, conflicts and unknown declarations quarantined,
hit rates by lane, selection reason, profile and model version."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data_contracts.schemas import RISK_CATEGORIES
from pipelines.flows.feedback import FeedbackConfig, FeedbackSummary, feedback_flow
from pipelines.flows.score import ScoreConfig, score_flow
from pipelines.runtime import run_flow
from pipelines.storage.warehouse import Warehouse
from tests.flows.conftest import WORLD_TODAY, ScoringWorld, write_csv_text
from tests.flows.test_cli import assert_one_error_line, run_cli
from tests.flows.test_score import parse

UNKNOWN_ID = "NOT-DECLARED-1"


def results_for(selected: pd.DataFrame, world: ScoringWorld) -> pd.DataFrame:
    """What the inspections of `selected` scores would find, from the simulated truth."""
    truth = world.truth.set_index("declaration_id").reindex(selected["declaration_id"])
    found = (truth["is_illicit"] & truth["category"].isin(RISK_CATEGORIES)).to_numpy()
    dates = world.first_half.set_index("declaration_id")["declaration_date"]
    return pd.DataFrame(
        {
            "declaration_id": selected["declaration_id"].to_numpy(),
            "inspection_date": dates.reindex(selected["declaration_id"]).to_numpy()
            + np.timedelta64(3, "D"),
            "selection_reason": selected["selection_reason"].to_numpy(),
            "selection_propensity": selected["selection_propensity"].to_numpy(),
            "outcome": np.where(found, "violation", "clean"),
            "violation_category": np.where(found, truth["category"].to_numpy(), "none"),
            "notes": "",
        }
    )


def recorded_results(home: Path) -> pd.DataFrame:
    with Warehouse(home / "warehouse.duckdb", read_only=True) as warehouse:
        return warehouse.read_inspections()


@dataclass(frozen=True)
class Fed:
    home: Path
    file: Path
    sent: pd.DataFrame
    scores: pd.DataFrame
    before: pd.DataFrame
    first: FeedbackSummary
    again: FeedbackSummary
    out: Path
    repeat_id: str
    conflict_id: str


@pytest.fixture(scope="module")
def fed(scoring_world: ScoringWorld, tmp_path_factory: pytest.TempPathFactory) -> Fed:
    """Score the first half-month, then send its inspection results (with traps) twice."""
    folder = tmp_path_factory.mktemp("fed")
    home = folder / "home"
    shutil.copytree(scoring_world.template, home)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GCRISK_HOME", str(home))
        patch.delenv("GCRISK_PSEUDONYM_KEY", raising=False)
        batch = write_csv_text(scoring_world.first_half, folder / "batch.csv")
        run_flow(score_flow, ScoreConfig(file=batch, out=folder / "scored", today=WORLD_TODAY))
        scores = pd.read_parquet(folder / "scored" / "scores.parquet")
        before = recorded_results(home)
        repeat, conflict = before.iloc[0], before.iloc[1]
        flipped = conflict.copy()
        flipped["outcome"] = "clean" if conflict["outcome"] == "violation" else "violation"
        flipped["violation_category"] = "none" if flipped["outcome"] == "clean" else "waste"
        unknown = repeat.copy()
        unknown["declaration_id"] = UNKNOWN_ID
        invalid = repeat.copy()
        invalid["declaration_id"], invalid["outcome"] = "INVALID-1", "maybe"
        extra = pd.DataFrame([repeat, flipped, unknown, invalid])
        sent = pd.concat([results_for(scores[scores["selected"]], scoring_world), extra])
        file = write_csv_text(sent, folder / "results.csv")
        out = folder / "feedback"
        first = run_flow(feedback_flow, FeedbackConfig(file=file, out=out, today=WORLD_TODAY))
        again = run_flow(feedback_flow, FeedbackConfig(file=file, out=out, today=WORLD_TODAY))
    return Fed(
        home,
        file,
        sent.reset_index(drop=True),
        scores,
        before,
        first,
        again,
        out,
        str(repeat["declaration_id"]),
        str(conflict["declaration_id"]),
    )


def test_counts_sort_every_row(fed: Fed) -> None:
    selected = int(fed.scores["selected"].sum())
    first = fed.first
    assert first.rows_in == len(fed.sent) == selected + 4
    assert (first.new, first.repeated, first.conflicts) == (selected, 1, 1)
    assert (first.unknown_declarations, first.invalid, first.rows_quarantined) == (1, 1, 3)
    assert first.rows_in == (
        first.new + first.repeated + first.conflicts + first.unknown_declarations + first.invalid
    )


def test_the_first_result_is_kept_and_conflicts_are_quarantined(fed: Fed) -> None:
    after = recorded_results(fed.home).set_index("declaration_id")
    original = fed.before.set_index("declaration_id").loc[fed.conflict_id]
    assert after.loc[fed.conflict_id, "outcome"] == original["outcome"]
    assert len(after) == len(fed.before) + fed.first.new
    assert UNKNOWN_ID not in after.index
    with Warehouse(fed.home / "warehouse.duckdb", read_only=True) as warehouse:
        quarantine = warehouse.read_quarantine("inspections")
    mine = quarantine[quarantine["source_file"] == str(fed.file.resolve())]
    reasons = mine.set_index("declaration_id")["quarantine_reason"]
    assert len(mine) == 3
    day = original["inspection_date"].strftime("%Y-%m-%d")
    expected = f"{original['outcome']}/{original['violation_category']}"
    assert reasons[fed.conflict_id] == f"conflicts with the result recorded on {day}: {expected}"
    assert reasons[UNKNOWN_ID].startswith("declaration not in the warehouse")
    assert "outcome" in reasons["INVALID-1"]
    assert len(pd.read_parquet(fed.out / "quarantine.parquet")) == 3


def test_sending_the_same_file_again_changes_nothing(fed: Fed) -> None:
    again = fed.again
    assert (again.new, again.repeated, again.conflicts) == (0, fed.first.new + 1, 1)
    assert again.rows_quarantined == 3
    assert len(recorded_results(fed.home)) == len(fed.before) + fed.first.new
    with Warehouse(fed.home / "warehouse.duckdb", read_only=True) as warehouse:
        quarantine = warehouse.read_quarantine("inspections")
    assert (quarantine["source_file"] == str(fed.file.resolve())).sum() == 3
    assert again.hit_rates == fed.first.hit_rates


def _rows(summary: FeedbackSummary, name: str) -> pd.DataFrame:
    rows = getattr(summary.hit_rates, name)
    return pd.DataFrame([row.model_dump() for row in rows]).set_index(name)


def test_hit_rates_by_lane_reason_profile_and_model(fed: Fed) -> None:
    selected = fed.scores[fed.scores["selected"]]
    sent = fed.sent.set_index("declaration_id").reindex(selected["declaration_id"])
    hits = sent["outcome"].eq("violation").to_numpy()
    lanes = _rows(fed.first, "lane")
    assert lanes.loc["red", "results"] == len(selected)
    assert lanes.loc["red", "violations"] == hits.sum()
    assert lanes.loc["(not scored)", "results"] == 1  # the repeated history result
    reasons = _rows(fed.first, "selection_reason")
    repeated = fed.before.set_index("declaration_id").loc[fed.repeat_id, "selection_reason"]
    expected = (
        selected["selection_reason"].value_counts().add(pd.Series({repeated: 1}), fill_value=0)
    )
    assert reasons["results"].to_dict() == expected.astype(int).to_dict()
    profiles = _rows(fed.first, "profile")
    fired = selected["rules_fired"].str.split("|").explode()
    for profile, count in fired[fired != ""].value_counts().items():
        assert profiles.loc[profile, "results"] == count
    from models.rules import packaged_profiles

    cites = {p.id: p.indicators for p in packaged_profiles().profiles}
    cited = (
        selected["rules_fired"]
        .str.split("|")
        .map(lambda ids: sorted({i for p in ids if p for i in cites[p]}))
    )
    indicators = _rows(fed.first, "indicator")
    counts = cited.explode().dropna().value_counts()
    assert len(counts) > 0
    for indicator, count in counts.items():
        assert indicators.loc[indicator, "results"] == count
    versions = _rows(fed.first, "model_version")
    assert versions.loc[str(selected["model_version"].iloc[0]), "results"] == len(selected)
    rate = lanes.loc["red", "violations"] / lanes.loc["red", "results"]
    assert lanes.loc["red", "hit_rate"] == pytest.approx(rate, abs=1e-4)
    to_date = pd.DataFrame([row.model_dump() for row in fed.first.hit_rates_to_date.lane])
    to_date = to_date.set_index("lane")
    assert to_date["results"].sum() == len(fed.before) + fed.first.new


def test_outputs_and_report(fed: Fed) -> None:
    written = json.loads((fed.out / "feedback.json").read_text())
    assert written == fed.again.model_dump(mode="json")
    page = parse(fed.out / "feedback.html")
    assert page.headings == [
        "Counts",
        "Conflicts",
        "Hit rate by lane",
        "Hit rate by selection reason",
        "Hit rate by profile",
        "Hit rate by indicator",
        "Hit rate by shadow profile",
        "Hit rate by model version",
    ]
    assert page.rows["Conflicts"] == 2
    assert "script" not in page.tags


def test_the_command_prints_the_tables_and_warns_of_conflicts(
    scoring_world: ScoringWorld,
    trained_home: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    recorded = recorded_results(trained_home)
    conflict = recorded.head(1).assign(
        outcome=lambda frame: np.where(frame["outcome"] == "clean", "violation", "clean"),
        violation_category=lambda frame: np.where(frame["outcome"] == "clean", "none", "ods"),
    )
    file = write_csv_text(conflict, tmp_path / "results.csv")
    code, out, err = run_cli(capsys, "feedback", str(file), "--today", str(WORLD_TODAY))
    assert code == 0, err
    assert "1 conflicting" in out and "hit rate by lane (this file)" in out
    assert err.startswith("warning: 1 results conflict")
    day_folder = trained_home / "feedback" / WORLD_TODAY.isoformat()
    assert json.loads((day_folder / "feedback.json").read_text())["conflicts"] == 1


def test_a_rescore_after_feedback_keeps_the_decision_acted_on(
    fed: Fed,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    home = tmp_path / "home"
    shutil.copytree(fed.home, home)
    monkeypatch.setenv("GCRISK_HOME", str(home))
    batch = fed.file.parent / "batch.csv"
    config = ScoreConfig(file=batch, out=tmp_path / "again", today=WORLD_TODAY, budget=0.01, seed=7)
    again = run_flow(score_flow, config)
    rescored = pd.read_parquet(tmp_path / "again" / "scores.parquet").set_index("declaration_id")
    first = fed.scores.set_index("declaration_id")
    selected = first.index[first["selected"]]
    assert not rescored.loc[selected, "selected"].all()  # the new run would pick fewer
    with Warehouse(home / "warehouse.duckdb", read_only=True) as warehouse:
        in_force = warehouse.read_scores().set_index("declaration_id")
        assert warehouse.count("decisions") == 2 * len(first)
        history = warehouse.decision_history(str(selected[0]))
    columns = ["lane", "selected", "selection_reason", "selection_propensity"]
    pd.testing.assert_frame_equal(
        in_force.loc[selected, columns], first.loc[selected, columns], check_dtype=False
    )
    assert history["in_force"].tolist() == [True, False]
    assert history["run_id"].iloc[1] == again.decision_run_id
    out = tmp_path / "feedback"
    refed = run_flow(feedback_flow, FeedbackConfig(file=fed.file, out=out, today=WORLD_TODAY))
    assert refed.hit_rates == fed.again.hit_rates
    code, shown, _ = run_cli(capsys, "decisions", "show", str(selected[0]))
    lines = shown.splitlines()
    assert code == 0
    assert lines[0] == f"declaration {selected[0]}: 2 decision(s)"
    assert lines[1].startswith("* ") and history["run_id"].iloc[0] in lines[1]
    assert "in force: the first decision that selected it" in shown
    assert "inspection result: " in shown
    code, shown, _ = run_cli(capsys, "decisions", "run", again.decision_run_id)
    assert code == 0
    assert "budget 0.01, exploration 0.1, seed 7" in shown
    assert str(batch.resolve()) in shown
    code, _, err = run_cli(capsys, "decisions", "show", "NO-SUCH-ID")
    assert code == 2
    assert_one_error_line(err, "no decision about declaration 'NO-SUCH-ID'")
