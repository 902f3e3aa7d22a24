"""`gcrisk casestudy list` and `build`, in-process through `main()`: the pack and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from casestudy import case_study_names
from pipelines.cli import main
from simulation import SCENARIOS
from tests.flows.test_cli import assert_one_error_line, run_cli

NAME = "ods-label-swap"
DECLARATIONS = 20_000


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One pack, built once for the module, with its own GCRISK_HOME."""
    folder = tmp_path_factory.mktemp("pack")
    args = ["--out", str(folder / "out"), "--declarations", str(DECLARATIONS)]
    with pytest.MonkeyPatch.context() as patch, pytest.raises(SystemExit) as exited:
        patch.setenv("GCRISK_HOME", str(folder / "home"))
        main(["casestudy", "build", NAME, *args])
    assert exited.value.code == 0
    return folder / "out"


def test_list_names_every_scenario(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    code, out, err = run_cli(capsys, "casestudy", "list")
    assert code == 0, err
    assert [line.split()[0] for line in out.strip().splitlines()] == case_study_names()


def test_pack_holds_officer_and_trainer_material(pack: Path) -> None:
    out = pack
    officers = sorted(p.name for p in (out / "officers").iterdir())
    assert officers == ["batch.csv", "exercises.md", "report.html", "scores.csv"]
    trainer = {p.name for p in (out / "trainer").iterdir()}
    assert {
        "answers.md",
        "answers.html",
        "truth.parquet",
        "world.json",
        "casestudy.json",
    } <= trainer
    assert (out / "README.md").is_file()


def test_officers_get_the_batch_without_truth_and_its_scores(pack: Path) -> None:
    out = pack
    batch = pd.read_csv(out / "officers" / "batch.csv", dtype=str)
    scores = pd.read_csv(out / "officers" / "scores.csv", dtype=str)
    truth = pd.read_parquet(out / "trainer" / "truth.parquet")
    assert not {"is_illicit", "category", "modus_operandi"} & set(batch.columns)
    assert sorted(scores["declaration_id"]) == sorted(batch["declaration_id"])
    planted = truth.loc[truth["modus_operandi"] == NAME, "declaration_id"]
    assert set(planted) <= set(batch["declaration_id"])
    handout = (out / "officers" / "exercises.md").read_text(encoding="utf-8")
    assert not any(declaration in handout for declaration in planted)
    assert "Red lane" in (out / "officers" / "report.html").read_text(encoding="utf-8")


def test_answer_key_lists_every_planted_shipment_with_its_lane(pack: Path) -> None:
    out = pack
    counts = json.loads((out / "trainer" / "casestudy.json").read_text(encoding="utf-8"))
    scores = pd.read_csv(out / "officers" / "scores.csv", dtype=str).set_index("declaration_id")
    truth = pd.read_parquet(out / "trainer" / "truth.parquet")
    planted = truth.loc[truth["modus_operandi"] == NAME, "declaration_id"].tolist()
    assert counts["planted"] == len(planted) == SCENARIOS[NAME].count(DECLARATIONS)
    lanes = scores.loc[planted, "lane"].value_counts().to_dict()
    assert {k: v for k, v in counts["planted_lanes"].items() if v} == lanes
    answers = (out / "trainer" / "answers.md").read_text(encoding="utf-8")
    rows = [line for line in answers.splitlines() if line.startswith("| D")]
    assert sorted(row.split(" | ")[0].removeprefix("| ") for row in rows) == sorted(planted)
    for row in rows:  # each row shows the lane the shipment got
        declaration = row.split(" | ")[0].removeprefix("| ")
        assert f" | {scores.loc[declaration, 'lane']} | " in row


def test_unknown_case_study_is_one_error_line(
    capsys: pytest.CaptureFixture[str], home: Path, tmp_path: Path
) -> None:
    out = tmp_path / "pack"
    code, _, err = run_cli(capsys, "casestudy", "build", "ivory-in-sesame", "--out", str(out))
    assert code == 2
    assert_one_error_line(err, "ivory-in-sesame", "ods-label-swap")
    assert not out.exists()


def test_world_too_small_is_one_error_line(
    capsys: pytest.CaptureFixture[str], home: Path, tmp_path: Path
) -> None:
    args = ["casestudy", "build", NAME, "--out", str(tmp_path / "o"), "--declarations", "50"]
    code, _, err = run_cli(capsys, *args)
    assert code == 2
    assert_one_error_line(err, "declarations")
    assert not (tmp_path / "o").exists()
