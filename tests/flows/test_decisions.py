"""The decision record: append-only decisions, the decision in force, history, migration."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.storage.decisions import DECISIONS_DDL, DecisionRun
from pipelines.storage.tables import canonical_frame
from pipelines.storage.warehouse import Warehouse
from tests.conftest import NewWarehouse
from tests.factories import valid_declarations, valid_inspections, valid_scores

AT = datetime.datetime(2025, 1, 15, 2, 0)


def _run(run_id: str, **changes: object) -> DecisionRun:
    fields: dict[str, object] = {
        "run_id": run_id,
        "batch_file": "/data/batch.csv",
        "batch_sha256": "ab" * 32,
        "model_fingerprint": "f" * 16,
        "profile_set_hash": "p" * 16,
        "budget": 0.05,
        "exploration": 0.1,
        "seed": 0,
        "capacity_sha256": None,
    }
    return DecisionRun(**{**fields, **changes})  # type: ignore[arg-type]


def _scores(
    declarations: pd.DataFrame, at: datetime.datetime, lane: str, selected: bool
) -> pd.DataFrame:
    frame = valid_scores(declarations).assign(
        lane=lane,
        selected=selected,
        selection_reason="model" if selected else "",
        selection_propensity=1.0 if selected else 0.01,
        scored_at=pd.Timestamp(at),
    )
    return canonical_frame(frame, "scores")


def _decide(store: Warehouse, scores: pd.DataFrame, run_id: str) -> None:
    store.append_decisions(scores, _run(run_id), started_at=scores["scored_at"].iloc[0])


def test_rescoring_appends_and_a_selected_decision_stays_in_force(
    new_warehouse: NewWarehouse,
) -> None:
    location = new_warehouse()
    declarations = valid_declarations(6)
    with Warehouse(location) as store:
        store.upsert("declarations", declarations)
        _decide(store, _scores(declarations, AT, "red", True), "run-1")
        later = AT + datetime.timedelta(days=1)
        _decide(store, _scores(declarations, later, "yellow", False), "run-2")
        in_force = store.read_scores()
        assert store.count("decisions") == 12
        history = store.decision_history(declarations["declaration_id"].iloc[0])
    assert set(in_force["lane"]) == {"red"}
    assert in_force["selected"].all()
    assert history["run_id"].tolist() == ["run-1", "run-2"]
    assert history["in_force"].tolist() == [True, False]


def test_an_unselected_declaration_takes_the_newest_advice(new_warehouse: NewWarehouse) -> None:
    location = new_warehouse()
    other = new_warehouse()
    declarations = valid_declarations(4)
    with Warehouse(location) as store:
        _decide(store, _scores(declarations, AT, "green", False), "run-1")
        _decide(
            store, _scores(declarations, AT + datetime.timedelta(hours=1), "red", True), "run-2"
        )
        _decide(
            store, _scores(declarations, AT + datetime.timedelta(hours=2), "green", False), "run-3"
        )
        in_force = store.read_scores()
    # run-2 selected them: the first selection is acted on, later advice cannot undo it.
    assert set(in_force["lane"]) == {"red"}
    with Warehouse(other) as store:
        _decide(store, _scores(declarations, AT, "red", False), "run-1")
        _decide(
            store, _scores(declarations, AT + datetime.timedelta(hours=1), "yellow", False), "run-2"
        )
        assert set(store.read_scores()["lane"]) == {"yellow"}


def test_an_inspected_declaration_keeps_the_decision_made_before_its_result(
    new_warehouse: NewWarehouse,
) -> None:
    location = new_warehouse()
    declarations = valid_declarations(30, seed=3)
    inspections = valid_inspections(declarations, share=0.5, seed=3)
    with Warehouse(location) as store:
        _decide(store, _scores(declarations, AT, "yellow", False), "run-1")
        store.upsert("inspections", inspections, at=AT + datetime.timedelta(days=2))
        _decide(
            store, _scores(declarations, AT + datetime.timedelta(days=3), "green", False), "run-2"
        )
        in_force = store.read_scores().set_index("declaration_id")["lane"]
    inspected = in_force.index.isin(inspections["declaration_id"])
    assert set(in_force[inspected]) == {"yellow"}
    assert set(in_force[~inspected]) == {"green"}


def test_decisions_have_no_update_or_delete_path() -> None:
    storage = Path(__file__).parents[2] / "pipelines" / "storage"
    text = " ".join(path.read_text() for path in storage.glob("*.py"))
    writes = re.findall(r"(UPDATE|DELETE FROM|DROP TABLE|INSERT OR REPLACE INTO)\s+decisions", text)
    assert writes == []


def test_scores_cannot_be_upserted(new_warehouse: NewWarehouse) -> None:
    location = new_warehouse()
    declarations = valid_declarations(3)
    with (
        Warehouse(location) as store,
        pytest.raises(ValueError, match="unknown table"),
    ):
        store.upsert("scores", valid_scores(declarations))


def test_a_run_repeated_in_one_run_id_is_refused(new_warehouse: NewWarehouse) -> None:
    location = new_warehouse()
    declarations = valid_declarations(3)
    scores = _scores(declarations, AT, "red", True)
    with Warehouse(location) as store:
        _decide(store, scores, "run-1")
        with pytest.raises(ValueError, match="already recorded"):
            _decide(store, scores, "run-1")
        assert store.count("decisions") == 3
        assert store.decision_run("run-1") == _run("run-1")
        assert store.decision_run("nope") is None
        assert store.read_runs()["run_id"].tolist() == ["run-1"]


def test_a_warehouse_with_a_scores_table_moves_it_into_the_record(tmp_path: Path) -> None:
    declarations = valid_declarations(5)
    scores = _scores(declarations, AT, "red", True)
    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as db:
        columns = ", ".join(f"{name} {kind}" for name, kind in _OLD_SCORES.items())
        db.execute(f"CREATE TABLE scores ({columns}, source_file VARCHAR, loaded_at TIMESTAMP)")
        old = scores.drop(columns="shadow_fired").assign(source_file="old.csv", loaded_at=AT)
        db.register("old", old)
        db.execute("INSERT INTO scores SELECT * FROM old")
    with Warehouse(path) as store:
        assert store.count("decisions") == 5
        # A score from before shadow profiles fired none.
        expected = scores.assign(shadow_fired=None).sort_values("declaration_id")
        pd.testing.assert_frame_equal(
            store.read_scores(), canonical_frame(expected.reset_index(drop=True), "scores")
        )
        assert set(store.decision_history(scores["declaration_id"].iloc[0])["run_id"]) == {
            "before-decision-record"
        }


def test_a_decision_record_from_before_shadow_profiles_gains_their_columns(
    tmp_path: Path,
) -> None:
    declarations = valid_declarations(4)
    path = tmp_path / "warehouse.duckdb"
    with Warehouse(path) as store:
        _decide(store, _scores(declarations.head(2), AT, "red", True), "run-1")
    with duckdb.connect(str(path)) as db:  # the record as gcrisk wrote it before shadow mode
        db.execute("DROP VIEW scores")
        db.execute(
            "CREATE TABLE older AS SELECT * EXCLUDE (shadow_fired, shadow_profiles) FROM decisions"
        )
        db.execute("DROP TABLE decisions")
        old_ddl = re.sub(r", shadow_(fired|profiles) VARCHAR", "", DECISIONS_DDL)
        db.execute(old_ddl)
        db.execute("INSERT INTO decisions SELECT * FROM older")
        db.execute("DROP TABLE older")
    later = _scores(declarations.tail(2), AT, "green", False).assign(shadow_fired="ODS-09")
    with Warehouse(path) as store:
        store.append_decisions(later, _run("run-2", shadow_profiles="ODS-09@1"), started_at=AT)
        kept = store.read_scores().set_index("declaration_id")["shadow_fired"]
        assert store.decision_run("run-1") == _run("run-1")
        assert store.decision_run("run-2") == _run("run-2", shadow_profiles="ODS-09@1")
    assert kept.sort_index().tolist() == ["", "", "ODS-09", "ODS-09"]


_OLD_SCORES = {
    "declaration_id": "VARCHAR",
    "risk_score": "DOUBLE",
    "p_waste": "DOUBLE",
    "p_ods": "DOUBLE",
    "p_wildlife": "DOUBLE",
    "lane": "VARCHAR",
    "selected": "BOOLEAN",
    "selection_reason": "VARCHAR",
    "selection_propensity": "DOUBLE",
    "rules_fired": "VARCHAR",
    "reasons": "VARCHAR",
    "model_version": "VARCHAR",
    "scored_at": "TIMESTAMP",
}


def test_training_reads_the_propensity_of_the_decision_that_selected(
    new_warehouse: NewWarehouse,
) -> None:
    location = new_warehouse()
    declarations = valid_declarations(40, seed=5)
    inspections = valid_inspections(declarations, share=0.5, seed=5)
    picked = declarations["declaration_id"].isin(inspections["declaration_id"].iloc[:5])
    decided = _scores(declarations, AT, "green", False)
    decided.loc[picked.to_numpy(), ["lane", "selected", "selection_reason"]] = [
        "red",
        True,
        "random",
    ]
    decided.loc[picked.to_numpy(), "selection_propensity"] = 0.02
    with Warehouse(location) as store:
        _decide(store, decided, "run-1")
        store.upsert("inspections", inspections, at=AT + datetime.timedelta(days=1))
        as_decided = store.read_inspections_as_decided().set_index("declaration_id")
        until = store.read_inspections_as_decided(until=datetime.date(2024, 6, 1))
    own = inspections.set_index("declaration_id")
    ids = declarations.loc[picked, "declaration_id"]
    assert (as_decided.loc[ids, "selection_reason"] == "random").all()
    assert (as_decided.loc[ids, "selection_propensity"] == 0.02).all()
    others = own.index.difference(ids)
    pd.testing.assert_frame_equal(as_decided.loc[others], own.loc[others])
    assert len(until) == (inspections["inspection_date"] < "2024-06-01").sum() > 0
