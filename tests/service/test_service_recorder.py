"""The buffered decision record: runs under stable ids, spooled while another process holds the
warehouse, appended once it is free, and flushed on stop."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from pipelines.service.recorder import ClosedRun, DecisionRecorder
from pipelines.storage.decisions import DecisionRun
from pipelines.storage.warehouse import utc_now
from tests.service.conftest import ServiceWorld, copy_home

TEMPLATE = DecisionRun(
    run_id="",
    batch_file="gcrisk serve",
    batch_sha256="",
    model_fingerprint="abc",
    profile_set_hash="def",
    budget=0.05,
    exploration=0.1,
    seed=0,
)


def _scores(ids: list[str]) -> pd.DataFrame:
    n = len(ids)
    return pd.DataFrame(
        {
            "declaration_id": ids,
            "risk_score": [0.5] * n,
            "p_waste": [0.1] * n,
            "p_ods": [0.2] * n,
            "p_wildlife": [0.3] * n,
            "lane": ["red"] * n,
            "selected": [True] * n,
            "selection_reason": ["model"] * n,
            "selection_propensity": [1.0] * n,
            "rules_fired": [""] * n,
            "shadow_fired": [""] * n,
            "reasons": ["a reason"] * n,
            "model_version": ["1"] * n,
            "scored_at": [pd.Timestamp("2024-08-01 10:00")] * n,
            "draw": [0.25] * n,
        }
    )


@pytest.fixture
def warehouse(service_world: ServiceWorld, tmp_path: Path) -> Path:
    return copy_home(service_world, tmp_path / "home") / "warehouse.duckdb"


def _decided(warehouse: Path, ids: list[str]) -> dict[str, list[str]]:
    from pipelines.storage.warehouse import Warehouse

    with Warehouse(warehouse, read_only=True) as store:
        return {i: store.decision_history(i)["run_id"].tolist() for i in ids}


def test_a_repeated_declaration_opens_a_new_run(tmp_path: Path) -> None:
    recorder = DecisionRecorder(tmp_path / "none.duckdb", tmp_path / "spool")
    first = recorder.record(_scores(["D1", "D2"]), TEMPLATE)
    assert recorder.record(_scores(["D3"]), TEMPLATE) == first
    assert recorder.record(_scores(["D2"]), TEMPLATE) != first
    assert recorder.record(_scores(["D4"]), replace(TEMPLATE, model_fingerprint="xyz")) != first


def test_busy_warehouse_spools_then_appends(warehouse: Path, tmp_path: Path) -> None:
    recorder = DecisionRecorder(warehouse, tmp_path / "spool")
    run_id = recorder.record(_scores(["S1", "S2"]), TEMPLATE)
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, sys; c = duckdb.connect({str(warehouse)!r}); "
         "print('holding', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        assert recorder.flush() == 0
        assert [path.stem for path in recorder.spooled()] == [run_id]
    finally:
        holder.communicate("")  # closes its stdin: it exits and lets the warehouse go
    later = recorder.record(_scores(["S3"]), TEMPLATE)
    assert recorder.flush() == 3
    assert recorder.spooled() == []
    assert _decided(warehouse, ["S1", "S2", "S3"]) == {
        "S1": [run_id],
        "S2": [run_id],
        "S3": [later],
    }


def test_a_spooled_run_already_recorded_is_dropped(warehouse: Path, tmp_path: Path) -> None:
    recorder = DecisionRecorder(warehouse, tmp_path / "spool")
    run_id = recorder.record(_scores(["R1"]), TEMPLATE)
    recorder.flush()
    # The same run spooled again, as after a crash between appending and removing the file.
    closed = ClosedRun(replace(TEMPLATE, run_id=run_id), utc_now(), _scores(["R1"]))
    recorder._spool(closed)
    assert recorder.flush() == 0
    assert recorder.spooled() == []
    assert _decided(warehouse, ["R1"]) == {"R1": [run_id]}


def test_stop_flushes_what_is_buffered(warehouse: Path, tmp_path: Path) -> None:
    recorder = DecisionRecorder(warehouse, tmp_path / "spool", flush_seconds=3600)
    recorder.start()
    run_id = recorder.record(_scores(["Q1"]), TEMPLATE)
    recorder.stop()
    assert _decided(warehouse, ["Q1"]) == {"Q1": [run_id]}


def test_two_workers_on_one_spool_record_each_run_once(warehouse: Path, tmp_path: Path) -> None:
    import threading

    spool = tmp_path / "spool"
    first, second = DecisionRecorder(warehouse, spool), DecisionRecorder(warehouse, spool)
    runs = {}
    for i in range(6):
        ids = [f"W{i}-{j}" for j in range(3)]
        closed = ClosedRun(replace(TEMPLATE, run_id=f"run{i}"), utc_now(), _scores(ids))
        first._spool(closed)
        runs[f"run{i}"] = ids
    orphan = spool / "run0.json"
    orphan.rename(spool / "run0.json.999999999")  # claimed by a process that is gone
    first.release_orphans()
    threads = [threading.Thread(target=r.flush) for r in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first.flush()  # a run given back while the other writer held the record goes now
    assert first.spooled() == [] and list(spool.iterdir()) == []
    decided = _decided(warehouse, [i for ids in runs.values() for i in ids])
    assert decided == {i: [run] for run, ids in runs.items() for i in ids}
