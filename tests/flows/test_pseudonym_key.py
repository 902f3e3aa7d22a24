"""The warehouse remembers the pseudonym key state it was loaded under and refuses any other."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from data_contracts.privacy import KEY_OFF, key_fingerprint
from pipelines.flows.feedback import FeedbackConfig, feedback_flow
from pipelines.flows.ingest import IngestConfig, ingest_flow
from pipelines.flows.score import ScoreConfig, score_flow
from pipelines.runtime import run_flow
from pipelines.storage.warehouse import PseudonymKeyError, Warehouse
from tests.factories import valid_declarations, valid_inspections
from tests.flows.conftest import write_csv_text
from tests.flows.test_cli import assert_one_error_line, run_cli

TODAY = datetime.date(2025, 12, 31)
KEY, OTHER_KEY = "first-key-5b7e", "second-key-90aa"


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    first = write_csv_text(valid_declarations(30, seed=31), tmp_path / "first.csv")
    later = valid_declarations(30, seed=32).assign(
        declaration_id=lambda frame: "L" + frame["declaration_id"]
    )
    return first, write_csv_text(later, tmp_path / "later.csv")


def ingest(file: Path) -> None:
    run_flow(ingest_flow, IngestConfig(file=file, kind="declarations", today=TODAY))


def state(home: Path) -> tuple[str | None, int]:
    with Warehouse(home / "warehouse.duckdb", read_only=True) as warehouse:
        return warehouse.key_state(), warehouse.count("declarations")


def test_the_first_load_records_a_fingerprint_never_the_key(
    home: Path, files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GCRISK_PSEUDONYM_KEY", KEY)
    ingest(files[0])
    ingest(files[1])  # same key: accepted
    recorded, rows = state(home)
    assert recorded == key_fingerprint(KEY.encode()) != key_fingerprint(OTHER_KEY.encode())
    assert len(recorded) == 16 and recorded != KEY_OFF
    assert rows == 60
    assert KEY.encode() not in (home / "warehouse.duckdb").read_bytes()


@pytest.mark.parametrize(
    ("first", "then", "message"),
    [
        (KEY, None, "GCRISK_PSEUDONYM_KEY is not set"),
        (None, KEY, "were not pseudonymised, but GCRISK_PSEUDONYM_KEY is set"),
        (KEY, OTHER_KEY, "another key"),
    ],
)
def test_a_load_under_another_key_state_is_refused_and_changes_nothing(
    home: Path,
    files: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    first: str | None,
    then: str | None,
    message: str,
) -> None:
    if first is not None:
        monkeypatch.setenv("GCRISK_PSEUDONYM_KEY", first)
    ingest(files[0])
    before = state(home)
    if then is None:
        monkeypatch.delenv("GCRISK_PSEUDONYM_KEY")
    else:
        monkeypatch.setenv("GCRISK_PSEUDONYM_KEY", then)
    with pytest.raises(PseudonymKeyError, match=message):
        ingest(files[1])
    assert state(home) == before


def test_the_cli_refuses_with_one_line_and_status_2(
    home: Path,
    files: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ingest(files[0])
    monkeypatch.setenv("GCRISK_PSEUDONYM_KEY", KEY)
    code, _, err = run_cli(capsys, "ingest", "declarations", str(files[1]), "--today", str(TODAY))
    assert code == 2
    assert_one_error_line(err, "warehouse.duckdb", "not pseudonymised", "nothing was loaded")
    assert KEY not in err


def test_scoring_under_another_key_stops_before_any_work(
    home: Path, files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GCRISK_PSEUDONYM_KEY", KEY)
    ingest(files[0])
    monkeypatch.setenv("GCRISK_PSEUDONYM_KEY", OTHER_KEY)
    with pytest.raises(PseudonymKeyError):
        run_flow(score_flow, ScoreConfig(file=files[1], out=tmp_path / "out", today=TODAY))
    assert not (tmp_path / "out").exists()
    assert state(home)[1] == 30


def test_feedback_under_another_key_state_is_refused(
    home: Path, files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GCRISK_PSEUDONYM_KEY", KEY)
    ingest(files[0])
    monkeypatch.delenv("GCRISK_PSEUDONYM_KEY")
    results = valid_inspections(valid_declarations(30, seed=31), share=0.5, seed=3)
    file = write_csv_text(results, tmp_path / "results.csv")
    with pytest.raises(PseudonymKeyError, match="not set"):
        run_flow(feedback_flow, FeedbackConfig(file=file, out=tmp_path / "out", today=TODAY))
    assert not (tmp_path / "out").exists()
    with Warehouse(home / "warehouse.duckdb", read_only=True) as warehouse:
        assert warehouse.count("inspections") == 0
