"""PostgreSQL warehouse under concurrency: readers never wait for a writer and never see part of
an upsert, writers of one table take turns, the decision record stays append-only, and processes
opening a fresh database at once create its schema once.

Writers pause at their most exposed point (old keys deleted, new rows copied, not committed) by
wrapping their connection's `insert`, and the test waits on events and on `pg_locks`, never on
the clock. `PGOPTIONS` gives every connection a statement timeout, so a reader that did block
fails the test instead of hanging it.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg
import pytest

from pipelines.settings import WarehouseLocation
from pipelines.storage.decisions import DecisionRun
from pipelines.storage.warehouse import Warehouse, WarehouseError
from tests.factories import valid_declarations, valid_scores

AT = datetime.datetime(2025, 3, 1, 8, 0)
WAIT = 30  # seconds an event may take before the test fails (never reached when it passes)


@pytest.fixture
def location(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> WarehouseLocation:
    monkeypatch.setenv("PGOPTIONS", "-c statement_timeout=20s")
    return WarehouseLocation.parse(postgres_url, home=tmp_path)


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=4) as executor:
        yield executor


class Paused:
    """Makes a warehouse's next insert stop after copying its rows, before the commit."""

    def __init__(self, store: Warehouse) -> None:
        self.reached = threading.Event()
        self.go_on = threading.Event()
        backend = store.backend
        insert = backend.insert

        def paused_insert(*args: Any, **kwargs: Any) -> None:
            insert(*args, **kwargs)
            self.reached.set()
            assert self.go_on.wait(WAIT)

        backend.insert = paused_insert  # type: ignore[method-assign]


def _run(run_id: str) -> DecisionRun:
    return DecisionRun(run_id, "/b.csv", "ab" * 32, "f" * 16, "p" * 16, 0.05, 0.1, 0)


def _decisions(declarations: pd.DataFrame) -> pd.DataFrame:
    return valid_scores(declarations).assign(scored_at=pd.Timestamp(AT))


def _lock_waiters(location: WarehouseLocation) -> int:
    with psycopg.connect(location.dsn()) as connection:
        rows = connection.execute("SELECT count(*) FROM pg_locks WHERE NOT granted").fetchall()
    return int(rows[0][0])


def _until(condition: Callable[[], bool]) -> None:
    """Poll a database condition (each check is a round trip, no sleep) for up to WAIT s."""
    deadline = datetime.datetime.now() + datetime.timedelta(seconds=WAIT)
    while not condition():
        assert datetime.datetime.now() < deadline, "condition not reached"


def test_a_reader_sees_the_table_before_or_after_an_upsert_never_between(
    location: WarehouseLocation, pool: ThreadPoolExecutor
) -> None:
    before = valid_declarations(300, seed=1)
    changed = before.iloc[:100].assign(customs_value_usd=1.0)
    added = valid_declarations(400, seed=1).iloc[300:]
    with Warehouse(location) as store:
        store.upsert("declarations", before, at=AT)
    with Warehouse(location) as writer, Warehouse(location, read_only=True) as reader:
        paused = Paused(writer)
        upsert: Future[Any] = pool.submit(
            writer.upsert, "declarations", pd.concat([changed, added]), at=AT
        )
        assert paused.reached.wait(WAIT)
        during = reader.read_declarations()  # the writer's transaction is open here
        paused.go_on.set()
        counts = upsert.result(WAIT)
        after = reader.read_declarations()
    pd.testing.assert_frame_equal(during, before)
    assert (counts.inserted, counts.replaced, counts.table_rows) == (100, 100, 400)
    assert len(after) == 400 and after["declaration_id"].is_unique
    replaced = after.set_index("declaration_id").loc[changed["declaration_id"]]
    assert (replaced["customs_value_usd"] == 1.0).all()


def test_two_writers_of_one_table_take_turns_and_duplicate_nothing(
    location: WarehouseLocation, pool: ThreadPoolExecutor
) -> None:
    rows = valid_declarations(200, seed=2)
    first, second = rows.iloc[:150], rows.iloc[50:]  # 100 keys in both
    with Warehouse(location) as one, Warehouse(location) as two:
        paused = Paused(one)
        upsert_one = pool.submit(one.upsert, "declarations", first, at=AT)
        assert paused.reached.wait(WAIT)
        upsert_two = pool.submit(two.upsert, "declarations", second, at=AT)
        _until(lambda: _lock_waiters(location) > 0)  # the second waits for the first's lock
        assert not upsert_two.done()
        paused.go_on.set()
        counts_one, counts_two = upsert_one.result(WAIT), upsert_two.result(WAIT)
        stored = one.read_declarations()
    assert (counts_one.inserted, counts_one.replaced) == (150, 0)
    assert (counts_two.inserted, counts_two.replaced, counts_two.table_rows) == (50, 100, 200)
    pd.testing.assert_frame_equal(stored, rows)


def test_concurrent_decision_runs_all_land_and_a_repeated_run_never_does(
    location: WarehouseLocation, pool: ThreadPoolExecutor
) -> None:
    declarations = valid_declarations(50, seed=3)
    decided = _decisions(declarations)
    with Warehouse(location) as one, Warehouse(location) as two, Warehouse(location) as three:
        paused = Paused(one)
        first = pool.submit(one.append_decisions, decided, _run("run-1"), started_at=AT)
        assert paused.reached.wait(WAIT)
        # Same run id while the first is uncommitted: it passes the "already recorded" check,
        # then waits on the primary key and fails once the first commits.
        repeat = pool.submit(two.append_decisions, decided, _run("run-1"), started_at=AT)
        other = pool.submit(three.append_decisions, decided, _run("run-2"), started_at=AT)
        assert other.result(WAIT) == 50  # another run is never held up
        _until(lambda: _lock_waiters(location) > 0)
        paused.go_on.set()
        assert first.result(WAIT) == 50
        with pytest.raises(ValueError, match="run-1 is already recorded"):
            repeat.result(WAIT)
        assert one.count("decisions") == 100
        assert sorted(one.read_runs()["run_id"]) == ["run-1", "run-2"]


def test_processes_opening_a_fresh_database_at_once_create_one_schema(
    location: WarehouseLocation, pool: ThreadPoolExecutor
) -> None:
    def open_and_count() -> dict[str, int]:
        with Warehouse(location) as store:
            return store.counts()

    opened = [pool.submit(open_and_count) for _ in range(4)]
    counts = [future.result(WAIT) for future in opened]
    assert all(count == counts[0] for count in counts) and counts[0]["declarations"] == 0


def test_a_read_only_warehouse_refuses_writes(location: WarehouseLocation) -> None:
    with Warehouse(location, read_only=True) as reader, pytest.raises(psycopg.Error):
        reader.set_meta("declared_source", "{}", at=AT)
    with Warehouse(location) as store:  # and the failed attempt left nothing behind
        assert store.meta("declared_source") is None


def test_the_reader_is_never_blocked_by_an_open_write(
    location: WarehouseLocation, pool: ThreadPoolExecutor
) -> None:
    with Warehouse(location) as store:
        store.upsert("declarations", valid_declarations(20, seed=4), at=AT)
    with Warehouse(location) as writer:
        paused = Paused(writer)
        upsert = pool.submit(writer.upsert, "declarations", valid_declarations(30, seed=4), at=AT)
        assert paused.reached.wait(WAIT)
        # A new process opening the warehouse (schema check included) and reading every table.
        with Warehouse(location, read_only=True) as reader:
            assert reader.counts()["declarations"] == 20
        paused.go_on.set()
        assert upsert.result(WAIT).table_rows == 30


def test_an_unknown_database_is_a_warehouse_error(
    location: WarehouseLocation, tmp_path: Path
) -> None:
    missing = WarehouseLocation.parse(location.dsn().replace("/t_", "/missing_", 1), home=tmp_path)
    with pytest.raises(WarehouseError, match="cannot open the warehouse"), Warehouse(missing):
        pass


def test_an_analyst_with_a_read_only_role_reads_an_existing_warehouse(
    location: WarehouseLocation, tmp_path: Path
) -> None:
    with Warehouse(location) as store:
        store.upsert("declarations", valid_declarations(10, seed=5), at=AT)
    with psycopg.connect(location.dsn(), autocommit=True) as admin:
        admin.execute("DROP ROLE IF EXISTS analyst_ro")
        admin.execute("CREATE ROLE analyst_ro LOGIN")
        admin.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO analyst_ro")
    analyst = WarehouseLocation.parse(
        location.dsn().replace("postgres@", "analyst_ro@", 1), home=tmp_path
    )
    try:
        with Warehouse(analyst, read_only=True) as reader:
            assert len(reader.read_declarations()) == 10
            assert reader.read_scores().empty
    finally:
        with psycopg.connect(location.dsn(), autocommit=True) as admin:
            admin.execute("DROP OWNED BY analyst_ro")
            admin.execute("DROP ROLE analyst_ro")
