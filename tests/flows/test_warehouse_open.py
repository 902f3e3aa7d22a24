"""Opening the warehouse from the CLI: a bad GCRISK_WAREHOUSE_URL, and a DuckDB file another
process holds (a short wait, then one line naming the holder).

The holder is a real second process with the file open for writing (DuckDB's lock is per
process); it exits when its stdin closes, so nothing here sleeps to wait for it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.settings import Settings, WarehouseLocation
from pipelines.storage.backends import POLL, DuckDBBackend
from pipelines.storage.warehouse import Warehouse, WarehouseError
from tests.factories import valid_declarations
from tests.flows.conftest import write_csv_text
from tests.flows.test_cli import TODAY, assert_one_error_line, run_cli

_HOLD = (
    "import duckdb, sys; connection = duckdb.connect(sys.argv[1]); "
    "print('holding', flush=True); sys.stdin.read()"
)


@pytest.fixture
def holder(home: Path) -> Iterator[subprocess.Popen[str]]:
    """A process holding `<home>/warehouse.duckdb` open for writing until the test ends."""
    home.mkdir(parents=True)
    with Warehouse(home / "warehouse.duckdb"):
        pass  # a warehouse with its tables, as after an ingest
    process = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(home / "warehouse.duckdb")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline() == "holding\n"
    try:
        yield process
    finally:
        _release(process)


def _release(process: subprocess.Popen[str]) -> None:
    if process.stdin is not None and not process.stdin.closed:
        process.stdin.close()
    process.wait(timeout=30)


def test_a_held_file_waits_then_names_the_holder(home: Path, holder: subprocess.Popen[str]) -> None:
    location = WarehouseLocation("duckdb", path=home / "warehouse.duckdb", lock_wait=0.5)
    started = time.monotonic()
    with pytest.raises(WarehouseError) as raised, Warehouse(location, read_only=True):
        pass
    waited = time.monotonic() - started
    message = str(raised.value)
    assert f"in use by process {holder.pid} (" in message
    assert "duckdb.connect" in message  # its command line, read with psutil
    assert "waited 0.5 s" in message and "GCRISK_WAREHOUSE_URL" in message
    assert "\n" not in message
    assert 0.5 <= waited < 10


def test_the_open_succeeds_once_the_holder_lets_go(
    home: Path, holder: subprocess.Popen[str]
) -> None:
    pauses: list[float] = []

    def pause(seconds: float) -> None:  # the injected wait: the holder exits on the 2nd poll
        pauses.append(seconds)
        if len(pauses) == 2:
            _release(holder)

    location = WarehouseLocation("duckdb", path=home / "warehouse.duckdb", lock_wait=60)
    backend = DuckDBBackend.connect(location, read_only=True, sleep=pause)
    try:
        assert backend.rows("SELECT count(*) FROM declarations") == [(0,)]
    finally:
        backend.close()
    assert pauses == [POLL, POLL]


def test_no_wait_fails_at_once(home: Path, holder: subprocess.Popen[str]) -> None:
    location = WarehouseLocation("duckdb", path=home / "warehouse.duckdb", lock_wait=0)
    pauses: list[float] = []
    with pytest.raises(Exception, match=f"process {holder.pid}"):
        DuckDBBackend.connect(location, read_only=False, sleep=pauses.append)
    assert pauses == []


def test_the_cli_says_error_and_exits_2(
    home: Path,
    holder: subprocess.Popen[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GCRISK_WAREHOUSE_LOCK_WAIT", "0.5")
    code, _, err = run_cli(capsys, "decisions", "show", "D-1")
    assert code == 2
    assert_one_error_line(err, f"in use by process {holder.pid}", "waited 0.5 s")


@pytest.mark.parametrize(
    "url",
    ["mysql://analyst:pa55word@db.internal/gcrisk", "postgresql://analyst:pa55word@db/x?bad=1"],
)
def test_a_bad_warehouse_url_is_one_error_line_without_its_password(
    home: Path, url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GCRISK_WAREHOUSE_URL", url)
    code, _, err = run_cli(capsys, "decisions", "show", "D-1")
    assert code == 2
    assert_one_error_line(err, "GCRISK_WAREHOUSE_URL", "analyst:***@")
    assert "pa55word" not in err


def test_an_unreachable_server_is_one_error_line_without_its_password(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    socket = tmp_path / "no-server"
    socket.mkdir()
    monkeypatch.setenv("GCRISK_WAREHOUSE_URL", f"postgresql://u:pa55word@/db?host={socket}")
    code, _, err = run_cli(capsys, "decisions", "show", "D-1")
    assert code == 2
    assert_one_error_line(err, "cannot open the warehouse", "u:***@")
    assert "pa55word" not in err


def test_the_demo_keeps_its_own_duckdb_warehouse_whatever_the_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.steps.demo import demo_home

    unit = "postgresql://unit:pa55word@db.internal/risk"
    monkeypatch.setenv("GCRISK_WAREHOUSE_URL", unit)
    with demo_home(tmp_path / "demo") as settings:
        assert settings.warehouse.path == tmp_path / "demo" / "warehouse.duckdb"
    assert os.environ["GCRISK_WAREHOUSE_URL"] == unit


def test_ingest_into_postgresql_never_shows_the_password(
    home: Path,
    tmp_path: Path,
    postgres_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The test server trusts local connections, so any password is accepted (and must not show).
    url = postgres_url.replace("postgresql://postgres@", "postgresql://postgres:pa55word@", 1)
    monkeypatch.setenv("GCRISK_WAREHOUSE_URL", url)
    file = write_csv_text(valid_declarations(30, seed=9), tmp_path / "declarations.csv")
    code, out, err = run_cli(capsys, "-v", "ingest", "declarations", str(file), "--today", TODAY)
    assert code == 0, err
    assert "warehouse postgresql://postgres:***@/" in out and "30 inserted" in out
    with Warehouse(Settings().warehouse, read_only=True) as store:
        runs = store.read_runs()
    assert "postgres:***@" in runs["details"].iloc[0]
    assert "pa55word" not in out + err + runs.to_json()
    assert not (home / "warehouse.duckdb").exists()
