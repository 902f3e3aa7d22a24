"""The warehouse on both backends (DuckDB, PostgreSQL): typed tables, idempotent upserts,
quarantine with lineage, runs."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pandas as pd
import pytest

from pipelines.storage.warehouse import PseudonymKeyError, Warehouse
from tests.conftest import NewWarehouse
from tests.factories import valid_declarations, valid_inspections

AT = datetime.datetime(2025, 6, 1, 12, 0)


def _quarantined(frame: pd.DataFrame, reason: str) -> pd.DataFrame:
    return frame.astype("str").assign(quarantine_reason=reason)


def test_tables_round_trip_in_canonical_types(new_warehouse: NewWarehouse) -> None:
    location = new_warehouse()
    declarations = valid_declarations(60, seed=1)
    inspections = valid_inspections(declarations, seed=1)
    with Warehouse(location) as warehouse:
        warehouse.upsert("declarations", declarations, at=AT)
        warehouse.upsert("inspections", inspections, at=AT)
    with Warehouse(location, read_only=True) as warehouse:
        pd.testing.assert_frame_equal(warehouse.read_declarations(), declarations)
        pd.testing.assert_frame_equal(warehouse.read_inspections(), inspections)


def test_upserting_the_same_rows_twice_leaves_the_same_rows(new_warehouse: NewWarehouse) -> None:
    location = new_warehouse()
    declarations = valid_declarations(80, seed=2)
    with Warehouse(location) as warehouse:
        first = warehouse.upsert("declarations", declarations, source_file="a.csv", at=AT)
        second = warehouse.upsert("declarations", declarations, source_file="a.csv", at=AT)
        assert (first.inserted, first.replaced, first.table_rows) == (80, 0, 80)
        assert (second.inserted, second.replaced, second.table_rows) == (0, 80, 80)
        pd.testing.assert_frame_equal(warehouse.read_declarations(), declarations)


def test_upsert_replaces_changed_rows_and_adds_new_ones(new_warehouse: NewWarehouse) -> None:
    location = new_warehouse()
    declarations = valid_declarations(50, seed=3)
    corrected = declarations.iloc[:10].assign(customs_value_usd=1.0)
    more = valid_declarations(60, seed=3).iloc[50:]
    with Warehouse(location) as warehouse:
        warehouse.upsert("declarations", declarations, at=AT)
        counts = warehouse.upsert("declarations", pd.concat([corrected, more]), at=AT)
        stored = warehouse.read_declarations()
    assert (counts.inserted, counts.replaced, counts.table_rows) == (10, 10, 60)
    assert (
        stored.set_index("declaration_id").loc[corrected["declaration_id"]].customs_value_usd == 1.0
    ).all()


def test_a_failed_load_changes_nothing(new_warehouse: NewWarehouse) -> None:
    location = new_warehouse()
    declarations = valid_declarations(20, seed=4)
    duplicated = pd.concat([declarations, declarations.iloc[:1]])
    with Warehouse(location) as warehouse:
        warehouse.upsert("declarations", declarations.iloc[:5], at=AT)
        with pytest.raises(ValueError, match="unique"):
            warehouse.load(
                "declarations",
                duplicated,
                _quarantined(declarations.iloc[:2], "bad"),
                source_file="b.csv",
                at=AT,
            )
        assert warehouse.counts()["declarations"] == 5
        assert warehouse.counts()["quarantine"] == 0


def test_quarantine_keeps_rows_reason_file_and_time(new_warehouse: NewWarehouse) -> None:
    location = new_warehouse()
    bad = _quarantined(valid_declarations(3, seed=5), "net_weight_kg <= 0")
    bad.loc[1, "goods_description"] = 'drums "R-22"\n=HYPERLINK("x")'
    with Warehouse(location) as warehouse:
        stored = warehouse.add_quarantine(bad, "declarations", "/in/day1.csv", AT)
        table = warehouse.read_quarantine("declarations")
    assert stored == 3
    assert table["source_file"].unique().tolist() == ["/in/day1.csv"]
    assert table["quarantined_at"].unique().tolist() == [pd.Timestamp(AT)]
    assert table["quarantine_reason"].unique().tolist() == ["net_weight_kg <= 0"]
    assert table["declaration_id"].tolist() == bad["declaration_id"].tolist()
    record = json.loads(table["record"].iloc[1])
    assert record == bad.drop(columns="quarantine_reason").iloc[1].to_dict()


def test_reloading_a_file_replaces_its_quarantine_only(new_warehouse: NewWarehouse) -> None:
    location = new_warehouse()
    bad = _quarantined(valid_declarations(4, seed=6), "hs_code not 6 to 10 digits")
    with Warehouse(location) as warehouse:
        warehouse.add_quarantine(bad, "declarations", "/in/day1.csv", AT)
        warehouse.add_quarantine(bad, "declarations", "/in/day1.csv", AT)
        warehouse.add_quarantine(bad.iloc[:1], "declarations", "/in/day2.csv", AT)
        warehouse.add_quarantine(bad.iloc[:2], "inspections", "/in/day1.csv", AT)
        per_file = warehouse.read_quarantine().groupby(["kind", "source_file"]).size()
    assert per_file.to_dict() == {
        ("declarations", "/in/day1.csv"): 4,
        ("declarations", "/in/day2.csv"): 1,
        ("inspections", "/in/day1.csv"): 2,
    }


def test_reads_until_a_day_are_strictly_before_it(new_warehouse: NewWarehouse) -> None:
    location = new_warehouse()
    declarations = valid_declarations(200, seed=7)
    inspections = valid_inspections(declarations, share=0.5, seed=7)
    day = datetime.date(2024, 7, 1)
    with Warehouse(location) as warehouse:
        warehouse.upsert("declarations", declarations, at=AT)
        warehouse.upsert("inspections", inspections, at=AT)
        before = warehouse.read_declarations(until=day)
        known = warehouse.read_inspections(until=day)
    assert len(before) == (declarations["declaration_date"] < pd.Timestamp(day)).sum() > 0
    assert len(known) == (inspections["inspection_date"] < pd.Timestamp(day)).sum() > 0


def test_runs_are_recorded_and_counted(new_warehouse: NewWarehouse) -> None:
    location = new_warehouse()
    with Warehouse(location) as warehouse:
        run_id = warehouse.record_run(
            flow="ingest-table",
            status="completed",
            started_at=AT,
            finished_at=AT + datetime.timedelta(seconds=3),
            rows_in=10,
            rows_valid=9,
            rows_quarantined=1,
            details={"file": "a.csv"},
        )
        runs = warehouse.read_runs()
        counts = warehouse.counts()
    assert runs["run_id"].tolist() == [run_id]
    assert json.loads(runs["details"].iloc[0]) == {"file": "a.csv"}
    assert counts == {
        "declarations": 0,
        "inspections": 0,
        "permits": 0,
        "scores": 0,
        "decisions": 0,
        "quarantine": 0,
        "runs": 1,
        "meta": 0,
    }


def test_unknown_tables_are_refused(new_warehouse: NewWarehouse) -> None:
    location = new_warehouse()
    with Warehouse(location) as warehouse, pytest.raises(ValueError, match="unknown"):
        warehouse.count("declarations; DROP TABLE runs")  # type: ignore[arg-type]


def test_export_writes_whole_months_that_read_back_canonical(
    new_warehouse: NewWarehouse, tmp_path: Path
) -> None:
    from pipelines.storage.partitions import available_months, export_declarations, read_partitions

    location, root = new_warehouse(), tmp_path / "parts"
    declarations = valid_declarations(400, seed=8)
    with Warehouse(location) as warehouse:
        warehouse.upsert("declarations", declarations, at=AT)
    month = declarations["declaration_date"].dt.strftime("%Y-%m")
    written = export_declarations(location, root, since="2024-05", until="2024-06")
    assert written == {m: int((month == m).sum()) for m in ("2024-05", "2024-06")}
    assert available_months(root) == ["2024-05", "2024-06"]
    expected = declarations[month.isin(["2024-05", "2024-06"])].sort_values(
        ["declaration_date", "declaration_id"]
    )
    read = read_partitions(root, ["2024-05", "2024-06"])
    pd.testing.assert_frame_equal(read, expected.reset_index(drop=True))
    assert sum(export_declarations(location, root).values()) == len(declarations)
    assert available_months(root) == sorted(month.unique())


def test_a_load_under_another_pseudonym_key_is_refused_and_writes_nothing(
    new_warehouse: NewWarehouse,
) -> None:
    location = new_warehouse()
    declarations = valid_declarations(10, seed=9)
    bad = _quarantined(valid_declarations(2, seed=10), "bad")
    with Warehouse(location) as warehouse:
        assert warehouse.key_state() is None
        warehouse.load(
            "declarations",
            declarations,
            bad.iloc[:0],
            source_file="a",
            at=AT,
            key_fingerprint="fp-one",
        )
        with pytest.raises(PseudonymKeyError, match="another key"):
            warehouse.load(
                "declarations",
                valid_declarations(12, seed=9),
                bad,
                source_file="b",
                at=AT,
                key_fingerprint="fp-two",
            )
        assert warehouse.key_state() == "fp-one"
        assert warehouse.counts()["declarations"] == 10
        assert warehouse.counts()["quarantine"] == 0
        warehouse.set_meta("declared_source", '{"mapping": "x"}', at=AT)
        warehouse.set_meta("declared_source", '{"mapping": "y"}', at=AT)
    with Warehouse(location, read_only=True) as warehouse:
        assert warehouse.meta("declared_source") == '{"mapping": "y"}'
