"""`monitor-targeting`: feature drift against the training data, score drift between windows,
the random stream's missed-violation estimate, alerts, report, MLflow run, exit statuses."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from features.catalogue import model_feature_names
from models.drift import is_history_volume
from pipelines.flows.feedback import FeedbackConfig, feedback_flow
from pipelines.flows.monitor import EditionMix, MonitorConfig, MonitorSummary, monitor_flow
from pipelines.flows.score import ScoreConfig, score_flow
from pipelines.reports.monitoring import SECTIONS
from pipelines.runtime import run_flow
from pipelines.settings import Settings
from pipelines.storage import tracking
from tests.flows.conftest import MIDMONTH, WORLD_TODAY, ScoringWorld, write_csv_text
from tests.flows.test_cli import assert_one_error_line, run_cli
from tests.flows.test_feedback import results_for
from tests.flows.test_score import parse

WINDOW_DAYS = 16


@dataclass(frozen=True)
class Monitored:
    home: Path
    out: Path
    summary: MonitorSummary
    first: pd.DataFrame
    second: pd.DataFrame
    results: pd.DataFrame


@pytest.fixture(scope="module")
def monitored(scoring_world: ScoringWorld, tmp_path_factory: pytest.TempPathFactory) -> Monitored:
    """Score both halves of the month, send the selected rows' results, monitor the second."""
    folder = tmp_path_factory.mktemp("monitored")
    home = folder / "home"
    shutil.copytree(scoring_world.template, home)
    halves = {"first": scoring_world.first_half, "second": scoring_world.second_half}
    scores = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GCRISK_HOME", str(home))
        patch.delenv("GCRISK_PSEUDONYM_KEY", raising=False)
        for name, batch in halves.items():
            file = write_csv_text(batch, folder / f"{name}.csv")
            config = ScoreConfig(file=file, out=folder / name, today=WORLD_TODAY)
            run_flow(score_flow, config)
            scores[name] = pd.read_parquet(folder / name / "scores.parquet")
        selected = pd.concat([frame[frame["selected"]] for frame in scores.values()])
        everything = pd.concat(halves.values(), ignore_index=True)
        world = ScoringWorld(
            scoring_world.template,
            everything,
            everything,
            scoring_world.inspections,
            scoring_world.truth,
        )
        results = results_for(selected, world)
        file = write_csv_text(results, folder / "results.csv")
        run_flow(feedback_flow, FeedbackConfig(file=file, out=folder / "fb", today=WORLD_TODAY))
        out = folder / "monitor"
        summary = run_flow(monitor_flow, MonitorConfig(since=MIDMONTH, days=WINDOW_DAYS, out=out))
    return Monitored(home, out, summary, scores["first"], scores["second"], results)


def test_the_window_and_the_previous_one_hold_their_scored_rows(monitored: Monitored) -> None:
    summary = monitored.summary
    assert summary.window.model_dump() == {
        "start": "2024-08-16",
        "end": "2024-08-31",
        "previous_start": "2024-07-31",
        "previous_end": "2024-08-15",
    }
    assert summary.rows == len(monitored.second)
    assert summary.previous_rows == len(monitored.first)
    assert summary.model_versions == ["1"] and summary.champion_version == "1"
    assert json.loads((monitored.out / "monitor.json").read_text()) == summary.model_dump(
        mode="json"
    )


def test_every_model_feature_is_watched_and_history_volume_never_alerts(
    monitored: Monitored,
) -> None:
    drift = pd.DataFrame([row.model_dump() for row in monitored.summary.feature_drift])
    assert set(drift["feature"]) == set(model_feature_names())
    assert drift["history_volume"].tolist() == [is_history_volume(f) for f in drift["feature"]]
    volume = drift[drift["history_volume"]]
    assert {"trader_age_days", "route_prior_declarations", "unit_value_reference_count"} <= set(
        volume["feature"]
    )
    assert (volume["psi"] >= 0.25).any()  # they do drift here, and still do not alert
    alerted = {alert.split(":")[0].removeprefix("feature ") for alert in monitored.summary.alerts}
    watched = drift[~drift["history_volume"]]
    rose = watched["missing_window"] - watched["missing_training"] >= 0.1
    expected = set(watched.loc[(watched["psi_present"] >= 0.25) | rose, "feature"])
    assert {name for name in alerted if name in set(drift["feature"])} == expected
    assert not alerted & set(volume["feature"])


def test_the_random_stream_estimate_uses_the_window_results(monitored: Monitored) -> None:
    missed = monitored.summary.missed
    second = monitored.second
    random_rows = second.loc[second["selection_reason"] == "random", "declaration_id"]
    assert missed.random_inspections == len(random_rows) > 0
    assert missed.random_result_share == 1.0
    share = missed.estimated_missed_share
    assert share is not None and 0.0 <= share <= 1.0


def test_report_and_mlflow_run(monitored: Monitored) -> None:
    page = parse(monitored.out / "monitor.html")
    assert page.headings == list(SECTIONS)
    assert "script" not in page.tags
    assert bool(page.banner) == bool(monitored.summary.alerts)
    import mlflow

    settings = Settings(home=monitored.home)
    tracking.connect(settings.tracking_uri, monitored.home / "mlartifacts")
    run = mlflow.get_run(str(monitored.summary.mlflow_run_id))
    assert run.data.metrics["rows"] == monitored.summary.rows
    assert run.data.metrics["psi.trader_age_days"] >= 0
    assert run.data.params["start"] == "2024-08-16"
    experiment = mlflow.get_experiment(run.info.experiment_id)
    assert experiment.name == "gcrisk-monitoring"


def test_alerts_are_printed_and_fail_the_command_only_when_asked(
    monitored: Monitored,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("GCRISK_HOME", str(monitored.home))
    args = ["monitor", "--since", str(MIDMONTH), "--days", str(WINDOW_DAYS)]
    strict = [*args, "--psi-threshold", "0.001", "--out", str(tmp_path / "a")]
    code, out, err = run_cli(capsys, *strict)
    assert code == 0, err
    assert "ALERT: feature " in out and "ALERT: risk score: PSI" in out
    code, out, _ = run_cli(capsys, *strict, "--fail-on-alert")
    assert code == 3 and "ALERT:" in out
    lenient = [
        *args,
        "--psi-threshold",
        "100",
        "--missed-threshold",
        "1",
        "--out",
        str(tmp_path / "b"),
    ]
    code, out, err = run_cli(capsys, *lenient, "--fail-on-alert")
    # Lenient thresholds silence drift and missed-share alerts; a profile out of its expected
    # band (counted on the 200k default world, not this small one) still alerts, and fails.
    left = json.loads((tmp_path / "b" / "monitor.json").read_text())["alerts"]
    assert all(alert.startswith("profile ") for alert in left)
    assert code == (3 if left else 0), err
    assert "ALERT: feature " not in out and "ALERT: risk score" not in out


def test_nothing_scored_is_one_error_line(
    trained_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(capsys, "monitor")
    assert code == 2
    assert_one_error_line(err, "no scored declarations yet", "gcrisk score")


def test_every_selecting_profile_is_counted_against_its_band(monitored: Monitored) -> None:
    from models.rules import packaged_profiles

    activity = {row.profile: row for row in monitored.summary.profiles}
    assert sorted(activity) == packaged_profiles().selecting(pd.Timestamp("2024-08-31").date()).ids
    fired = monitored.second["rules_fired"].fillna("").str.split("|")
    for profile, row in activity.items():
        assert row.fires == int(fired.map(lambda ids, p=profile: p in ids).sum())
        assert row.fires_per_month == pytest.approx(
            row.fires / (WINDOW_DAYS / (365.25 / 12)), abs=0.01
        )
    profile_alerts = [a for a in monitored.summary.alerts if a.startswith("profile ")]
    low = [
        row.profile
        for row in activity.values()
        if row.expected_fires is not None
        and row.expected_fires >= 10
        and not 0.5 * row.expected_volume_per_month
        <= row.fires_per_month
        <= 2 * row.expected_volume_per_month
    ]
    assert sorted(
        {a.split(":")[0].removeprefix("profile ") for a in profile_alerts if "fires per month" in a}
    ) == sorted(low)


def test_the_window_reports_its_hs_edition_mix(
    monitored: Monitored, scoring_world: ScoringWorld
) -> None:
    from data_contracts.editions import EDITIONS, edition_mix

    mix = monitored.summary.hs_editions
    scored = scoring_world.second_half["declaration_id"].isin(monitored.second["declaration_id"])
    assert mix.current == edition_mix(scoring_world.second_half.loc[scored, "hs_code"])
    assert sum(mix.current.values()) == monitored.summary.rows
    assert sum(mix.previous.values()) == monitored.summary.previous_rows
    assert list(mix.current) == list(EDITIONS)
    # A world of 2024 declares HS 2022 only: no note about HS 2017 codes.
    assert mix.current["hs2017_only"] == 0 and mix.notes() == []
    old = EditionMix(current={"hs2017_only": 3, "both": 7}, previous={})
    assert old.notes() == [
        "3 of 10 scored declarations carry HS 2017-only codes (dated before 2022): features "
        "read them as their HS 2022 subheadings"
    ]
