"""`monitor-targeting`: feature drift against the training data, score drift between windows,
the random stream's missed-violation estimate, alerts, report, MLflow run, exit statuses."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.catalogue import model_feature_names
from pipelines.flows.feedback import FeedbackConfig, feedback_flow
from pipelines.flows.monitor import MonitorConfig, MonitorSummary, monitor_flow
from pipelines.flows.score import ScoreConfig, score_flow
from pipelines.reports.monitoring import SECTIONS
from pipelines.runtime import run_flow
from pipelines.settings import Settings
from pipelines.steps.monitoring import (
    Thresholds,
    alerts,
    is_history_volume,
    missed_estimate,
    score_drift,
)
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
    assert summary.window == {
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
    drift = pd.DataFrame(monitored.summary.feature_drift)
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
    assert missed["random_inspections"] == len(random_rows) > 0
    assert missed["random_result_share"] == 1.0
    share = missed["estimated_missed_share"]
    assert share is not None and 0.0 <= share <= 1.0


def test_missed_estimate_scales_for_results_still_outstanding() -> None:
    # Ten random rows at propensity 0.1, five with a result (one hit): each result stands for
    # 1 / (0.1 * 0.5) = 20 untargeted declarations, so about 20 violations, 19 of them missed.
    # Four targeted rows, two with a result (one hit): about two targeted hits.
    rows = pd.DataFrame(
        {
            "selection_reason": ["random"] * 10 + ["model"] * 4 + [""] * 6,
            "selection_propensity": [0.1] * 10 + [1.0] * 4 + [0.1] * 6,
            "outcome": ["violation"]
            + ["clean"] * 4
            + [None] * 5
            + ["violation", "clean"]
            + [None] * 8,
            "violation_category": ["waste"]
            + ["none"] * 4
            + [None] * 5
            + ["ods", "none"]
            + [None] * 8,
        }
    )
    estimate = missed_estimate(rows)
    assert estimate["random_inspections"] == 5
    assert estimate["estimated_missed"] == pytest.approx(19.0)
    assert estimate["estimated_missed_share"] == pytest.approx(19 / 22, abs=1e-4)


def test_score_drift_is_small_for_the_same_scores_and_large_for_shifted_ones() -> None:
    rng = np.random.default_rng(5)
    before = pd.DataFrame({"risk_score": rng.beta(1, 30, 5_000)})
    same = pd.DataFrame({"risk_score": rng.beta(1, 30, 5_000)})
    shifted = pd.DataFrame({"risk_score": rng.beta(3, 30, 5_000)})
    assert score_drift(same, before) < 0.05
    assert score_drift(shifted, before) > 0.25
    assert np.isnan(score_drift(same, before.head(0)))


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
    assert code == 0, err
    assert "ALERT" not in out
    assert json.loads((tmp_path / "b" / "monitor.json").read_text())["alerts"] == []


def test_warm_up_missingness_and_each_threshold_decide_alerts() -> None:
    drift = pd.DataFrame(
        {
            "feature": ["warm_up", "went_missing", "shifted", "trader_age_days"],
            "psi": [0.9, 0.9, 0.4, 3.0],
            "psi_present": [0.01, 0.01, 0.4, 3.0],
            "missing_training": [0.12, 0.0, 0.0, 0.0],
            "missing_window": [0.0, 0.3, 0.0, 0.0],
            "level": ["major"] * 4,
            "history_volume": [False, False, False, True],
        }
    )
    missed = {"estimated_missed_share": 0.6}
    found = alerts(drift, 0.3, missed, Thresholds(feature_psi=0.25, score_psi=0.25))
    assert [alert.split(":")[0] for alert in found] == [
        "feature shifted",
        "feature went_missing",
        "risk score",
        "targeting misses an estimated 60% of environmental violations (alert above 50%)",
    ]
    assert alerts(drift, 0.3, missed, Thresholds(1.0, 1.0, 0.7)) == [
        "feature went_missing: missing in 30% of the window against 0% in the training data"
    ]


def test_nothing_scored_is_one_error_line(
    trained_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(capsys, "monitor")
    assert code == 2
    assert_one_error_line(err, "no scored declarations yet", "gcrisk score")
