"""The flows run in-process (as the CLI runs them) and as tracked Prefect runs."""

from __future__ import annotations

import datetime
import json
import logging
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from data_contracts.coercion import TableError
from pipelines.flows.ingest import IngestConfig, IngestSummary, ingest_flow
from pipelines.flows.validate import ValidateConfig, validate_flow
from pipelines.runtime import PERMANENT_ERRORS, _retry_unless_permanent, run_flow
from pipelines.steps.intake import TableKind
from pipelines.storage.warehouse import Warehouse
from tests.factories import valid_declarations, valid_inspections
from tests.flows.conftest import write_csv_text

TODAY = datetime.date(2025, 12, 31)
KEY = "flow-test-key-7d1c"


@pytest.fixture
def received(tmp_path: Path) -> Path:
    """A declarations CSV of 40 rows, two of them bad."""
    frame = valid_declarations(40, seed=11)
    frame.loc[3, "net_weight_kg"] = -5.0
    frame.loc[7, "origin_country"] = "XX"
    return write_csv_text(frame, tmp_path / "declarations.csv")


def _ingest(file: Path, kind: TableKind = "declarations") -> IngestSummary:
    return run_flow(ingest_flow, IngestConfig(file=file, kind=kind, today=TODAY))


def test_validate_flow_writes_reconciling_outputs(received: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    summary = run_flow(
        validate_flow,
        ValidateConfig(file=received, kind="declarations", out=out, today=TODAY),
    )
    written = json.loads((out / "validation.json").read_text())
    valid = pd.read_parquet(out / "valid.parquet")
    quarantine = pd.read_parquet(out / "quarantine.parquet")
    assert written == summary.model_dump(mode="json")
    assert (written["rows_in"], written["rows_valid"], written["rows_quarantined"]) == (40, 38, 2)
    assert len(valid) == 38
    assert quarantine["declaration_id"].tolist() == ["D0000004", "D0000008"]
    assert sum(written["reasons"].values()) >= 2
    assert valid["declaration_date"].dtype == "datetime64[us]"


def test_ingest_twice_leaves_the_same_rows(home: Path, received: Path) -> None:
    first = _ingest(received)
    second = _ingest(received)
    assert (first.inserted, first.replaced, first.table_rows) == (38, 0, 38)
    assert (second.inserted, second.replaced, second.table_rows) == (0, 38, 38)
    with Warehouse(home / "warehouse.duckdb", read_only=True) as warehouse:
        counts = warehouse.counts()
        quarantine = warehouse.read_quarantine()
    assert counts["declarations"] == 38
    assert counts["quarantine"] == 2
    assert counts["runs"] == 2
    assert quarantine["source_file"].unique().tolist() == [str(received.resolve())]


def test_inspections_are_ingested_by_declaration_id(home: Path, tmp_path: Path) -> None:
    declarations = valid_declarations(50, seed=12)
    inspections = valid_inspections(declarations, share=0.4, seed=12)
    summary = _ingest(write_csv_text(inspections, tmp_path / "inspections.csv"), "inspections")
    assert summary.table_rows == len(inspections)
    with Warehouse(home / "warehouse.duckdb", read_only=True) as warehouse:
        pd.testing.assert_frame_equal(warehouse.read_inspections(), inspections)


def test_a_broken_file_stops_before_touching_the_warehouse(home: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.csv"
    broken.write_text("declaration_id,flow\nD1,import\n")
    with pytest.raises(TableError, match="missing required column"):
        _ingest(broken)
    assert not (home / "warehouse.duckdb").exists()


def test_ids_are_pseudonymised_with_the_key_and_the_key_is_never_kept(
    home: Path, received: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("GCRISK_PSEUDONYM_KEY", KEY)
    logger = logging.getLogger("gcrisk")
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.DEBUG, logger="gcrisk"):
            summary = _ingest(received)
    finally:
        logger.removeHandler(caplog.handler)
    raw = pd.read_csv(received, dtype="str")
    with Warehouse(home / "warehouse.duckdb", read_only=True) as warehouse:
        stored = warehouse.read_declarations()
        quarantine = warehouse.read_quarantine()
        runs = warehouse.read_runs()
    assert summary.pseudonymised
    assert stored["trader_id"].str.fullmatch(r"T-[0-9a-f]{16}").all()
    assert stored["declarant_id"].str.fullmatch(r"B-[0-9a-f]{16}").all()
    assert not set(stored["trader_id"]) & set(raw["trader_id"])
    assert not any(
        trader in record for record in quarantine["record"] for trader in raw["trader_id"]
    )
    assert caplog.records  # the flow did log its steps
    assert KEY not in caplog.text
    assert KEY not in runs.to_json(date_format="iso")
    assert KEY.encode() not in (home / "warehouse.duckdb").read_bytes()
    # Deterministic: a second ingest with the same key maps to the same pseudonyms.
    _ingest(received)
    with Warehouse(home / "warehouse.duckdb", read_only=True) as warehouse:
        assert warehouse.read_declarations()["trader_id"].tolist() == stored["trader_id"].tolist()


def test_ids_are_kept_when_no_key_is_set(home: Path, received: Path) -> None:
    summary = _ingest(received)
    assert not summary.pseudonymised
    raw = pd.read_csv(received, dtype="str")
    connection = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    stored = {row[0] for row in connection.execute("SELECT trader_id FROM declarations").fetchall()}
    connection.close()
    assert stored <= set(raw["trader_id"])


class _State:
    def __init__(self, data: object) -> None:
        self.data = data


def test_io_steps_retry_only_errors_a_retry_can_fix() -> None:
    assert TableError in PERMANENT_ERRORS
    assert not _retry_unless_permanent(None, None, _State(TableError("bad file")))  # type: ignore[arg-type]
    assert _retry_unless_permanent(None, None, _State(OSError("disk busy")))  # type: ignore[arg-type]


def test_the_same_flow_runs_as_a_tracked_prefect_run(
    prefect_server: None, received: Path, tmp_path: Path
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    config = ValidateConfig(file=received, kind="declarations", out=tmp_path / "out", today=TODAY)
    state = validate_flow(config, return_state=True)
    assert state.is_completed()
    assert state.result().rows_quarantined == 2
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(
                id=FlowRunFilterId(any_=[state.state_details.flow_run_id])
            )
        )
    names = sorted(run.name.rsplit("-", 1)[0] for run in runs)
    assert names == ["read-table", "validate-table", "write-validation-outputs"]
    assert all(run.state is not None and run.state.is_completed() for run in runs)
