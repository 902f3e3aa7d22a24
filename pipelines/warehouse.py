"""The DuckDB warehouse: declarations, inspections, scores, quarantine and runs in one file.

Table names inside SQL text come only from the constants below (checked by `_table`); every
value is a bound parameter or a registered Arrow table, never text pasted into SQL.

Tables are typed from `data_contracts.schemas` plus two lineage columns (`source_file`,
`loaded_at`). Upserts are keyed by `declaration_id` and done set-wise in one transaction
(delete the incoming keys, insert the incoming rows), so loading the same file twice leaves the
same rows. Use it as a context manager: `with Warehouse(path) as warehouse: ...`.
"""

from __future__ import annotations

import datetime
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import duckdb
import pandas as pd
import pyarrow as pa

from data_contracts.schemas import PANDAS_DTYPES, SCHEMAS, Column, Kind, LogicalType

KEYED_TABLES: tuple[Kind, ...] = ("declarations", "inspections", "scores")
TableName = Literal["declarations", "inspections", "scores", "quarantine", "runs"]
TABLES: tuple[TableName, ...] = ("declarations", "inspections", "scores", "quarantine", "runs")
SQL_TYPES: dict[LogicalType, str] = {
    "string": "VARCHAR",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "float": "DOUBLE",
    "integer": "BIGINT",
    "boolean": "BOOLEAN",
}
QUARANTINE_DDL = """CREATE TABLE IF NOT EXISTS quarantine (
    kind VARCHAR NOT NULL, source_file VARCHAR NOT NULL, quarantined_at TIMESTAMP NOT NULL,
    row_number BIGINT NOT NULL, declaration_id VARCHAR, quarantine_reason VARCHAR NOT NULL,
    record VARCHAR NOT NULL)"""
RUNS_DDL = """CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY, flow VARCHAR NOT NULL, status VARCHAR NOT NULL,
    started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP NOT NULL, rows_in BIGINT,
    rows_valid BIGINT, rows_quarantined BIGINT, details VARCHAR)"""


class WarehouseError(RuntimeError):
    """The warehouse cannot be opened or written (for instance another process holds it)."""


@dataclass(frozen=True)
class UpsertCounts:
    """What one upsert did: new keys, replaced keys, and the table's size afterwards."""

    inserted: int
    replaced: int
    table_rows: int


def _table(name: str, allowed: tuple[str, ...] = TABLES) -> str:
    """`name` if it is one of our tables (the only text ever put into SQL)."""
    if name not in allowed:
        raise ValueError(f"unknown table {name!r}; expected one of {', '.join(allowed)}")
    return name


def _table_ddl(kind: Kind) -> str:
    columns = [_column_ddl(column) for column in SCHEMAS[kind]]
    columns += ["source_file VARCHAR", "loaded_at TIMESTAMP"]
    return f"CREATE TABLE IF NOT EXISTS {kind} ({', '.join(columns)})"


def _column_ddl(column: Column) -> str:
    required = "" if column.nullable else " NOT NULL"
    return f"{column.name} {SQL_TYPES[column.type]}{required}"


def _select_canonical(kind: Kind) -> str:
    """SELECT list reading a table back with pandas-friendly types (dates as timestamps)."""
    parts = [
        f"CAST({c.name} AS TIMESTAMP) AS {c.name}" if c.type == "date" else c.name
        for c in SCHEMAS[kind]
    ]
    return ", ".join(parts)


def canonical_frame(frame: pd.DataFrame, kind: Kind) -> pd.DataFrame:
    """The canonical columns of `kind` in canonical order and dtypes; optional text '' not NA."""
    dtypes = {column.name: PANDAS_DTYPES[column.type] for column in SCHEMAS[kind]}
    typed = frame[list(dtypes)].astype(dtypes)
    optional = [c.name for c in SCHEMAS[kind] if c.nullable and c.type == "string"]
    return typed.fillna(dict.fromkeys(optional, "")) if optional else typed


def quarantine_records(frame: pd.DataFrame, *, reason_column: str) -> pd.DataFrame:
    """One row per quarantined row: its position, id (as text), reason and the row as JSON."""
    original = frame.drop(columns=[reason_column])
    lines = original.to_json(orient="records", lines=True, date_format="iso", force_ascii=False)
    # JSON escapes newlines inside values, so one line is exactly one record.
    records = lines.rstrip("\n").split("\n") if len(original) else []
    ids = frame["declaration_id"] if "declaration_id" in frame.columns else pd.Series(pd.NA)
    return pd.DataFrame(
        {
            "row_number": range(len(frame)),
            "declaration_id": ids.astype("str").to_numpy() if len(frame) else [],
            "quarantine_reason": frame[reason_column].astype("str").to_numpy(),
            "record": records,
        }
    )


class Warehouse:
    """One connection to the warehouse file; creates the tables it needs on open."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self._connection: duckdb.DuckDBPyConnection | None = None

    def __enter__(self) -> Warehouse:
        if not self.read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._connection = duckdb.connect(str(self.path), read_only=self.read_only)
        except duckdb.Error as error:
            raise WarehouseError(f"{self.path}: cannot open the warehouse ({error})") from None
        if not self.read_only:
            self._create_tables()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The open DuckDB connection (for ad-hoc SQL)."""
        if self._connection is None:
            raise WarehouseError("the warehouse is not open; use `with Warehouse(path) as w:`")
        return self._connection

    def _create_tables(self) -> None:
        for kind in KEYED_TABLES:
            self.connection.execute(_table_ddl(kind))
        self.connection.execute(QUARANTINE_DDL)
        self.connection.execute(RUNS_DDL)

    def upsert(
        self,
        kind: Kind,
        frame: pd.DataFrame,
        *,
        source_file: str = "",
        at: datetime.datetime | None = None,
    ) -> UpsertCounts:
        """Insert or replace rows of `kind` by `declaration_id`, in one transaction."""
        with self._transaction():
            return self._upsert(kind, frame, source_file=source_file, at=at or utc_now())

    def add_quarantine(
        self,
        frame: pd.DataFrame,
        kind: Kind,
        source_file: str,
        at: datetime.datetime | None = None,
    ) -> int:
        """Keep quarantined rows (as JSON text) with reason, file and time; returns rows stored.

        The rows from an earlier load of the same file and kind are replaced, so reloading a
        file does not duplicate its quarantine.
        """
        with self._transaction():
            return self._add_quarantine(frame, kind, source_file, at or utc_now())

    def load(
        self,
        kind: Kind,
        valid: pd.DataFrame,
        quarantine: pd.DataFrame,
        *,
        source_file: str,
        at: datetime.datetime,
    ) -> UpsertCounts:
        """Upsert the valid rows and keep the quarantined ones, all in one transaction."""
        with self._transaction():
            self._add_quarantine(quarantine, kind, source_file, at)
            return self._upsert(kind, valid, source_file=source_file, at=at)

    def _transaction(self) -> _Transaction:
        return _Transaction(self.connection)

    def _upsert(
        self, kind: Kind, frame: pd.DataFrame, *, source_file: str, at: datetime.datetime
    ) -> UpsertCounts:
        table = _table(kind, KEYED_TABLES)
        rows = canonical_frame(frame, kind)
        if rows["declaration_id"].duplicated().any():
            raise ValueError(f"{kind}: declaration_id must be unique within one upsert")
        db = self.connection
        db.register("incoming", pa.Table.from_pandas(rows, preserve_index=False))
        try:
            keys = "SELECT declaration_id FROM incoming"
            matching = f"FROM {table} WHERE declaration_id IN ({keys})"
            replaced = _scalar(db, f"SELECT count(*) {matching}")
            db.execute(f"DELETE {matching}")
            columns = ", ".join(rows.columns)
            db.execute(
                f"INSERT INTO {table} ({columns}, source_file, loaded_at) "  # noqa: S608
                f"SELECT {columns}, ?, ? FROM incoming",
                [source_file, at],
            )
        finally:
            db.unregister("incoming")
        total = self.count(kind)
        return UpsertCounts(inserted=len(rows) - replaced, replaced=replaced, table_rows=total)

    def _add_quarantine(
        self, frame: pd.DataFrame, kind: Kind, source_file: str, at: datetime.datetime
    ) -> int:
        db = self.connection
        db.execute("DELETE FROM quarantine WHERE kind = ? AND source_file = ?", [kind, source_file])
        if len(frame) == 0:
            return 0
        records = quarantine_records(frame, reason_column="quarantine_reason")
        db.register("quarantined", pa.Table.from_pandas(records, preserve_index=False))
        try:
            db.execute(
                "INSERT INTO quarantine SELECT ?, ?, ?, row_number, declaration_id, "
                "quarantine_reason, record FROM quarantined",
                [kind, source_file, at],
            )
        finally:
            db.unregister("quarantined")
        return len(records)

    def record_run(
        self,
        *,
        flow: str,
        status: str,
        started_at: datetime.datetime,
        finished_at: datetime.datetime,
        rows_in: int | None = None,
        rows_valid: int | None = None,
        rows_quarantined: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> str:
        """Append one run to the `runs` table; returns its id. Never pass secrets in details."""
        run_id = uuid.uuid4().hex
        self.connection.execute(
            "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                flow,
                status,
                started_at,
                finished_at,
                rows_in,
                rows_valid,
                rows_quarantined,
                json.dumps(details or {}, sort_keys=True, default=str),
            ],
        )
        return run_id

    def read(self, kind: Kind, *, where: str = "", params: list[Any] | None = None) -> pd.DataFrame:
        """Rows of a keyed table as a canonical frame, ordered by `declaration_id`."""
        table = _table(kind, KEYED_TABLES)
        sql = f"SELECT {_select_canonical(kind)} FROM {table} {where} ORDER BY declaration_id"  # noqa: S608
        return canonical_frame(self.connection.execute(sql, params or []).df(), kind)

    def read_declarations(self, until: datetime.date | None = None) -> pd.DataFrame:
        """Declarations dated strictly before `until` (all when None)."""
        if until is None:
            return self.read("declarations")
        return self.read("declarations", where="WHERE declaration_date < ?", params=[until])

    def read_inspections(self, until: datetime.date | None = None) -> pd.DataFrame:
        """Inspection results recorded strictly before `until` (all when None)."""
        if until is None:
            return self.read("inspections")
        return self.read("inspections", where="WHERE inspection_date < ?", params=[until])

    def read_scores(self) -> pd.DataFrame:
        """Every stored score."""
        return self.read("scores")

    def read_quarantine(self, kind: Kind | None = None) -> pd.DataFrame:
        """Quarantined rows with their reason, file and time (and the row as JSON in `record`)."""
        sql = (
            "SELECT * FROM quarantine WHERE ? IS NULL OR kind = ? "
            "ORDER BY quarantined_at, source_file, row_number"
        )
        return self.connection.execute(sql, [kind, kind]).df()

    def read_runs(self) -> pd.DataFrame:
        """The run log, oldest first."""
        return self.connection.execute("SELECT * FROM runs ORDER BY started_at").df()

    def count(self, table: TableName) -> int:
        """Rows in one table."""
        return _scalar(self.connection, f"SELECT count(*) FROM {_table(table)}")  # noqa: S608

    def counts(self) -> dict[str, int]:
        """Rows in every table."""
        return {table: self.count(table) for table in TABLES}


class _Transaction:
    """BEGIN on enter, COMMIT on success, ROLLBACK on any error."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection = connection

    def __enter__(self) -> None:
        self.connection.execute("BEGIN TRANSACTION")

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.connection.execute("ROLLBACK" if kind else "COMMIT")


def utc_now() -> datetime.datetime:
    """The current UTC time, naive (DuckDB TIMESTAMP has no zone), to the microsecond."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def _scalar(connection: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = connection.execute(sql).fetchone()
    return int(row[0]) if row else 0
