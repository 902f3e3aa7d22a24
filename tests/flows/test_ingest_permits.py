"""`gcrisk ingest permits FILE`: the register is validated, quarantined, pseudonymised like the
traders and upserted by permit_reference, with counts that reconcile."""

from __future__ import annotations

import datetime
from pathlib import Path

import pandas as pd
import pytest

from pipelines.flows.ingest import IngestConfig, IngestSummary, ingest_flow
from pipelines.runtime import run_flow
from pipelines.steps.intake import TableKind
from pipelines.storage.warehouse import Warehouse
from tests.factories import valid_declarations, valid_permits
from tests.flows.conftest import write_csv_text
from tests.flows.test_cli import assert_one_error_line, run_cli

TODAY = datetime.date(2025, 12, 31)


def _ingest(file: Path, kind: TableKind) -> IngestSummary:
    return run_flow(ingest_flow, IngestConfig(file=file, kind=kind, today=TODAY))


@pytest.fixture
def declarations() -> pd.DataFrame:
    return valid_declarations(80, seed=31)


@pytest.fixture
def register_file(declarations: pd.DataFrame, tmp_path: Path) -> Path:
    register = valid_permits(declarations, seed=31).astype({"unit": object, "valid_to": object})
    register.loc[1, "unit"] = "tonnes"
    register.loc[4, "valid_to"] = "2020-01-01"  # before valid_from
    return write_csv_text(register, tmp_path / "permits.csv")


def test_the_register_is_upserted_by_reference_and_counts_reconcile(
    home: Path, register_file: Path
) -> None:
    first = _ingest(register_file, "permits")
    rows = len(pd.read_csv(register_file))
    assert (first.rows_in, first.rows_valid, first.rows_quarantined) == (rows, rows - 2, 2)
    assert (first.inserted, first.replaced, first.table_rows) == (rows - 2, 0, rows - 2)
    second = _ingest(register_file, "permits")
    assert (second.inserted, second.replaced, second.table_rows) == (0, rows - 2, rows - 2)
    with Warehouse(home / "warehouse.duckdb", read_only=True) as warehouse:
        stored = warehouse.read_permits()
        quarantine = warehouse.read_quarantine("permits")
    assert stored["permit_reference"].is_unique and len(stored) == rows - 2
    assert stored["valid_from"].dtype == "datetime64[us]"
    received = pd.read_csv(register_file, dtype="str")
    assert (
        quarantine["declaration_id"].tolist() == received.loc[[1, 4], "permit_reference"].tolist()
    )
    assert quarantine["quarantine_reason"].tolist() == [
        "unit not one of kg, l, m3, u, pair, m2",
        "valid_from after valid_to",
    ]


def test_holders_get_the_pseudonyms_of_the_same_traders(
    home: Path,
    declarations: pd.DataFrame,
    register_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GCRISK_PSEUDONYM_KEY", "permit-test-key-5b2e")
    _ingest(write_csv_text(declarations, tmp_path / "declarations.csv"), "declarations")
    _ingest(register_file, "permits")
    with Warehouse(home / "warehouse.duckdb", read_only=True) as warehouse:
        stored = warehouse.read_declarations()
        register = warehouse.read_permits()
        quarantine = warehouse.read_quarantine("permits")
    assert register["holder_id"].str.fullmatch(r"T-[0-9a-f]{16}").all()
    first_user = (
        stored[stored["permit_reference"] != ""]
        .sort_values(["declaration_date", "declaration_id"])
        .groupby("permit_reference")["trader_id"]
        .first()
    )
    holders = register.set_index("permit_reference")["holder_id"]
    assert (first_user.reindex(holders.index) == holders).all()
    raw = set(pd.read_csv(register_file, dtype="str")["holder_id"])
    assert not any(holder in record for record in quarantine["record"] for holder in raw)


def test_a_register_without_its_columns_is_one_error_line(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "permits.csv"
    broken.write_text("permit_reference,kind\nP1,cites_import\n")
    code, _, err = run_cli(capsys, "ingest", "permits", str(broken), "--today", "2025-12-31")
    assert code == 2
    assert_one_error_line(err, "permits.csv", "missing required column")
    assert not (home / "warehouse.duckdb").exists()
