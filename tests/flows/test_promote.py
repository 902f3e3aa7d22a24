"""Promotion with a reason, rollback, and evaluation of a scores file, as flows and commands."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.cli import main
from pipelines.flows.evaluate import EvaluateConfig, EvaluateSummary, evaluate_flow
from pipelines.flows.promote import (
    PromoteConfig,
    PromotionSummary,
    RollbackConfig,
    promote_flow,
    rollback_flow,
)
from pipelines.runtime import run_flow
from pipelines.settings import Settings
from pipelines.storage import tracking
from pipelines.storage.tracking import RegistryError


def registry() -> tracking.MlflowClient:
    settings = Settings()
    return tracking.connect(settings.tracking_uri, settings.home / "mlartifacts")


def add_version() -> str:
    """Another registered version (the champion's artifact again: cheap, and loadable)."""
    client = registry()
    first = client.get_model_version(tracking.MODEL_NAME, "1")
    return str(client.create_model_version(tracking.MODEL_NAME, first.source, first.run_id).version)


def version_tags(version: str) -> dict[str, str]:
    return dict(registry().get_model_version(tracking.MODEL_NAME, version).tags)


def test_a_promotion_records_who_when_why_and_the_previous_champion(trained_home: Path) -> None:
    version = add_version()
    before = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    summary = run_flow(
        promote_flow, PromoteConfig(version=version, reason="  better ODS recall ", by="alice")
    )
    assert isinstance(summary, PromotionSummary)
    assert (summary.version, summary.previous, summary.by) == (version, "1", "alice")
    assert summary.reason == "better ODS recall" and not summary.unchanged
    at = datetime.datetime.fromisoformat(summary.at)
    assert at.utcoffset() == datetime.timedelta(0) and at >= before
    assert tracking.version_for_alias(registry(), tracking.CHAMPION) == version
    assert version_tags(version) == {
        "promoted_by": "alice",
        "promoted_at": summary.at,
        "promotion_reason": "better ODS recall",
        "previous_champion": "1",
    }
    model_tags = registry().get_registered_model(tracking.MODEL_NAME).tags
    assert model_tags["last_promotion.version"] == version
    assert model_tags["last_promotion.previous_champion"] == "1"
    assert tracking.last_promotion(registry()) == tracking.Promotion(
        version=version, by="alice", at=summary.at, reason="better ODS recall", previous="1"
    )


def test_a_rollback_restores_the_previous_champion_and_a_second_one_undoes_it(
    trained_home: Path,
) -> None:
    version = add_version()
    run_flow(promote_flow, PromoteConfig(version=version, reason="try it", by="alice"))
    back = run_flow(rollback_flow, RollbackConfig(reason="false alarms doubled", by="bob"))
    assert (back.version, back.previous, back.by) == ("1", version, "bob")
    assert tracking.version_for_alias(registry(), tracking.CHAMPION) == "1"
    assert version_tags("1")["promotion_reason"] == "false alarms doubled"
    assert version_tags("1")["previous_champion"] == version
    again = run_flow(rollback_flow, RollbackConfig())
    assert (again.version, again.previous, again.reason) == (version, "1", "rollback")


def test_rollback_needs_a_recorded_promotion_with_a_previous_champion(trained_home: Path) -> None:
    # The fixture's champion was set without a recorded promotion.
    with pytest.raises(RegistryError, match="no promotion is recorded"):
        run_flow(rollback_flow, RollbackConfig())
    registry().delete_registered_model_alias(tracking.MODEL_NAME, tracking.CHAMPION)
    first = run_flow(promote_flow, PromoteConfig(version="1", reason="the first", by="alice"))
    assert first.previous is None and version_tags("1")["previous_champion"] == "none"
    with pytest.raises(RegistryError, match="version 1 was the first champion"):
        run_flow(rollback_flow, RollbackConfig())


def test_promoting_the_champion_again_keeps_what_a_rollback_restores(trained_home: Path) -> None:
    version = add_version()
    run_flow(promote_flow, PromoteConfig(version=version, reason="try it", by="alice"))
    again = run_flow(promote_flow, PromoteConfig(version=version, reason="confirmed", by="bob"))
    assert again.unchanged and again.previous == "1"
    assert run_flow(rollback_flow, RollbackConfig()).version == "1"


def test_promote_refuses_an_unknown_version_and_an_empty_reason(trained_home: Path) -> None:
    with pytest.raises(RegistryError, match="shipment-risk has no version 9"):
        run_flow(promote_flow, PromoteConfig(version="9", reason="why not"))
    with pytest.raises(ValueError, match="give a reason"):
        PromoteConfig(version="1", reason="   ")
    assert tracking.last_promotion(registry()) is None


def test_promote_and_rollback_from_the_command_line(
    trained_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import getpass

    version = add_version()
    with pytest.raises(SystemExit) as exit_:
        main(["promote", version, "--reason", "monthly review"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert f"champion: version {version} (was 1)" in out
    assert f"recorded: by {getpass.getuser()} at " in out and out.endswith(": monthly review\n")
    with pytest.raises(SystemExit) as exit_:
        main(["rollback", "--reason", "too many red lanes", "--by", "carol"])
    assert exit_.value.code == 0
    assert f"champion: version 1 (was {version})" in capsys.readouterr().out
    assert version_tags("1")["promoted_by"] == "carol"
    for args, fragment in (
        (["promote", version], "--reason"),  # the reason is required
        (["promote", "9", "--reason", "r"], "error: shipment-risk has no version 9"),
        (["promote", version, "--reason", " "], "error: reason: give a reason"),
    ):
        with pytest.raises(SystemExit) as exit_:
            main(args)
        assert exit_.value.code == 2
        assert fragment in capsys.readouterr().err


def test_rollback_with_nothing_to_restore_is_one_error_line(
    trained_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["rollback"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err == "error: no promotion is recorded: nothing to roll back to\n"


def write_scores_and_truth(folder: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    n = 400
    illicit = rng.random(n) < 0.1
    ids = [f"D{i:04d}" for i in range(n)]
    scores = pd.DataFrame(
        {
            "declaration_id": ids,
            "risk_score": np.where(illicit, 0.9, 0.1) + rng.random(n) * 0.05,
            "p_waste": np.where(illicit, 0.8, 0.1),
            "p_ods": rng.random(n),
            "p_wildlife": rng.random(n),
        }
    )
    truth = pd.DataFrame(
        {
            "declaration_id": ids,
            "is_illicit": illicit,
            "category": np.where(illicit, "waste", "none"),
        }
    )
    scores.to_parquet(folder / "scores.parquet")
    truth.to_csv(folder / "truth.csv", index=False)
    return folder / "scores.parquet", folder / "truth.csv"


def test_evaluate_measures_a_scores_file_against_the_truth(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scores, truth = write_scores_and_truth(tmp_path)
    summary = run_flow(evaluate_flow, EvaluateConfig(scores=scores, truth=truth))
    assert isinstance(summary, EvaluateSummary)
    positives = summary.metrics["overall"].positives
    at = summary.metrics["overall"].at_budget["10%"]
    assert at.k == 40 and at.hits == min(positives, 40)  # a perfect ranking
    assert summary.metrics["waste"].pr_auc == 1.0
    with pytest.raises(SystemExit) as exit_:
        main(["evaluate", "--scores", str(scores), "--truth", str(truth)])
    assert exit_.value.code == 0
    printed = json.loads(capsys.readouterr().out)
    assert list(printed) == ["overall", "waste", "ods", "wildlife"]
    assert printed["overall"]["at_budget"]["10%"]["hits"] == at.hits
    assert list(printed["overall"]) == ["n", "positives", "base_rate", "pr_auc", "at_budget"]


def test_evaluate_refuses_files_without_the_columns_it_needs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scores, truth = write_scores_and_truth(tmp_path)
    pd.read_parquet(scores).drop(columns="p_ods").to_parquet(tmp_path / "thin.parquet")
    pd.DataFrame({"declaration_id": ["D0001"], "x": [1]}).to_csv(tmp_path / "odd.csv")
    for args, message in (
        (["--scores", str(tmp_path / "thin.parquet"), "--truth", str(truth)], "p_ods"),
        (["--scores", str(scores), "--truth", str(tmp_path / "odd.csv")], "expected truth"),
    ):
        with pytest.raises(SystemExit) as exit_:
            main(["evaluate", *args])
        assert exit_.value.code == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err and err.count("\n") == 1
