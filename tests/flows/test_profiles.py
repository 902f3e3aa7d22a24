"""`gcrisk profiles`: the unit's folder, check's errors, and a backtest equal to a hand count."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from data_contracts.schemas import RISK_CATEGORIES
from models.rules import fire, packaged_documents, packaged_profiles
from pipelines.flows.profiles import BacktestConfig, profile_backtest_flow
from pipelines.flows.score import ScoreConfig, score_flow
from pipelines.reports.profiles import SECTIONS
from pipelines.runtime import run_flow
from tests.flows.conftest import WORLD_TODAY, ScoringWorld, write_csv_text
from tests.flows.test_cli import assert_one_error_line, run_cli
from tests.flows.test_score import parse

SINCE, UNTIL = dt.date(2024, 6, 1), dt.date(2024, 8, 16)


def unit_folder(tmp_path: Path, edits: dict[str, tuple[str, str]]) -> Path:
    """A copy of the shipped set with `edits` (file name -> text replacement) applied."""
    folder = tmp_path / "unit-profiles"
    folder.mkdir()
    for source, text in packaged_documents().items():
        name = Path(source).name
        if name in edits:
            text = text.replace(*edits[name])
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_check_reports_every_problem_and_exits_2(
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    approval = "approval:\n  approved_by: gcrisk maintainers\n  approved_on: '2020-01-01'\n"
    folder = unit_folder(
        tmp_path,
        {
            "ods-01-refrigerant-without-licence.yaml": ("[O01]", "[O01, Q77]"),
            "ods-02-refrigerant-priced-below-market.yaml": ("is_ods_code", "is_odd_code"),
            "ods-03-recycled-claim-for-phased-out-substance.yaml": (approval, ""),
            "ods-04-refrigerant-via-smuggling-corridor.yaml": (
                "valid_to: null",
                "valid_to: 2024-06-20",
            ),
            "wld-01-cites-goods-without-permit.yaml": ("valid_to: null", "valid_to: 2024-05-01"),
        },
    )
    monkeypatch.setenv("GCRISK_PROFILES", str(folder))
    code, out, err = run_cli(capsys, "profiles", "check", "--today", "2024-06-01")
    assert code == 2
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    warnings = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert len(errors) == 3 and len(warnings) == 2, err
    assert "ods-01-refrigerant-without-licence.yaml: indicators" in errors[0]
    assert "unknown indicator Q77" in errors[0]
    assert "unknown field 'is_odd_code'" in errors[1]
    assert errors[2] == "error: ODS-03: active without an approval: it can never select"
    assert warnings == [
        "warning: ODS-04: expires on 2024-06-20, within 30 days",
        "warning: WLD-01: expired on 2024-05-01: retire or extend it",
    ]
    assert "Traceback" not in err and "3 error(s), 2 warning(s)" in out
    # Scoring and training load the same folder: a broken file stops them in one line.
    code, _, err = run_cli(capsys, "profiles", "list")
    assert code == 2
    assert_one_error_line(err, "ods-01-refrigerant-without-licence.yaml", "Q77")


def test_list_flags_expiring_profiles_and_shows_the_set_version(
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = unit_folder(
        tmp_path,
        {
            "wst-01-waste-to-destination-with-import-ban.yaml": (
                "valid_to: null",
                "valid_to: 2024-06-30",
            ),
            "wst-02-waste-without-pic-consent.yaml": ("status: active", "status: draft"),
        },
    )
    monkeypatch.setenv("GCRISK_PROFILES", str(folder))
    code, out, _ = run_cli(capsys, "profiles", "list", "--today", "2024-06-01")
    assert code == 0
    lines = {line.split()[0]: line for line in out.splitlines()[2:]}
    assert lines["WST-01"].endswith("EXPIRING SOON")
    assert "[draft: shadow only]" in lines["WST-02"]
    assert "EXPIRING" not in lines["WST-03"] and "[active and approved]" in lines["WST-03"]
    assert "WST-02@1" in out.splitlines()[1]
    monkeypatch.setenv("GCRISK_PROFILES", str(tmp_path / "missing"))
    code, _, err = run_cli(capsys, "profiles", "list")
    assert code == 2
    assert_one_error_line(err, "GCRISK_PROFILES=", "no such folder")


@pytest.fixture
def scored_home(trained_home: Path, scoring_world: ScoringWorld, tmp_path: Path) -> Path:
    """The trained home with the first half of August scored (decisions in force)."""
    file = write_csv_text(scoring_world.first_half, tmp_path / "first.csv")
    run_flow(score_flow, ScoreConfig(file=file, out=tmp_path / "scored", today=WORLD_TODAY))
    return trained_home


def test_backtest_numbers_equal_a_hand_count(
    scored_home: Path, scoring_world: ScoringWorld, tmp_path: Path
) -> None:
    from features import build_training_features

    folder = scoring_world.template.parent
    history = pd.read_parquet(folder / "history.parquet")
    known = pd.read_parquet(folder / "known.parquet")
    declarations = pd.concat([history, scoring_world.first_half], ignore_index=True)
    features = build_training_features(declarations, known)
    dates = features["declaration_date"]
    rows = features[(dates >= pd.Timestamp(SINCE)) & (dates < pd.Timestamp(UNTIL))]
    fired = fire(rows, packaged_profiles(), windowed=False)
    random = known[known["selection_reason"] == "random"]
    profile = str(
        fired[rows["declaration_id"].isin(random["declaration_id"]).to_numpy()].sum().idxmax()
    )
    mine = rows.loc[fired[profile].to_numpy(), "declaration_id"]

    out = tmp_path / "backtest"
    config = BacktestConfig(profile=profile, since=SINCE, until=UNTIL, out=out)
    summary = run_flow(profile_backtest_flow, config)
    result = summary.backtest

    assert result.declarations == len(rows) and result.fires == len(mine) > 0
    months = rows.loc[fired[profile].to_numpy(), "declaration_date"].dt.strftime("%Y-%m")
    assert {m.month: m.fires for m in result.months} == months.value_counts().to_dict()
    assert result.fires_per_month == pytest.approx(len(mine) / (76 / (365.25 / 12)))
    results = known[known["declaration_id"].isin(mine)]
    hit = results["outcome"].eq("violation") & results["violation_category"].isin(RISK_CATEGORIES)
    assert (result.results, result.hits) == (len(results), int(hit.sum()))
    assert result.inspected_hit_rate == pytest.approx(hit.mean())
    drawn = results["selection_reason"].eq("random")
    weights = 1 / results.loc[drawn, "selection_propensity"]
    stream = result.random_stream
    assert stream.random_results == int(drawn.sum()) > 0
    assert stream.hit_rate == pytest.approx((weights * hit[drawn]).sum() / weights.sum())
    scores = pd.read_parquet(tmp_path / "scored" / "scores.parquet")
    red = scores.loc[
        (scores["lane"] == "red") & (scores["selection_reason"] == "model"), "declaration_id"
    ]
    assert result.model_red.both == int(mine.isin(red).sum())
    assert result.scored_fires == int(mine.isin(scores["declaration_id"]).sum()) > 0

    assert json.loads((out / "backtest.json").read_text()) == summary.model_dump(mode="json")
    page = parse(out / "backtest.html")
    assert page.headings == list(SECTIONS) and "script" not in page.tags
    assert len(page.images) >= 2


def test_backtest_of_an_unknown_profile_is_one_error_line(
    trained_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(capsys, "profiles", "backtest", "ODS-99")
    assert code == 2
    assert_one_error_line(err, "no profile 'ODS-99'")
