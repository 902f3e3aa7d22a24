"""The warehouse: declarations, inspections, permits, decisions, quarantine and runs.

One interface, two backends (`backends`): an embedded DuckDB file, the default
(`<home>/warehouse.duckdb`), and PostgreSQL (`GCRISK_WAREHOUSE_URL=postgresql://…`), where
analysts read while jobs write. The same tables, upserts and decision record on both.

Tables are typed from `data_contracts.schemas` plus two lineage columns (`source_file`,
`loaded_at`); their definitions live in `tables`. Declarations and inspections are upserted by
`declaration_id` and the permit register by `permit_reference`, set-wise in one transaction (delete
the incoming keys, insert the incoming rows), so loading the same file twice leaves the same rows.
Scoring decisions are only ever appended (`decisions`); `scores` is the view of the decision in
force for each declaration. The `meta` table keeps the fingerprint of the pseudonym key the ids were
loaded under, and a load under another key state is refused. Use it as a context manager: `with
Warehouse(Settings().warehouse) as warehouse: ...`.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import pandas as pd
import pyarrow as pa

from data_contracts.privacy import KEY_OFF
from data_contracts.schemas import PRIMARY_KEYS, Kind, column_names
from pipelines.settings import WarehouseLocation
from pipelines.storage import decisions
from pipelines.storage.backends import Backend, BackendError, open_backend
from pipelines.storage.decisions import DecisionRun
from pipelines.storage.tables import (
    KEYED_TABLES,
    META_DDL,
    QUARANTINE_DDL,
    READABLE_TABLES,
    RUNS_DDL,
    TABLES,
    UPSERTED_TABLES,
    TableName,
    canonical_frame,
    quarantine_records,
    select_canonical,
    table_ddl,
    table_name,
)

#: `meta` row holding the pseudonym key's fingerprint (or `KEY_OFF`).
KEY_STATE = "pseudonym_key_fingerprint"
#: `meta` row holding what the last imported data ingested declares about itself (JSON: the
#: mapping, its training target and disabled features), for `gcrisk train`'s defaults.
DECLARED_SOURCE = "declared_source"


class WarehouseError(RuntimeError):
    """The warehouse cannot be opened or written (for instance another process holds it)."""


class PseudonymKeyError(WarehouseError):
    """The pseudonym key in force is not the one the warehouse's ids were loaded under."""


@dataclass(frozen=True)
class UpsertCounts:
    """What one upsert did: new keys, replaced keys, and the table's size afterwards."""

    inserted: int
    replaced: int
    table_rows: int


class Warehouse:
    """One connection to the warehouse (DuckDB file or PostgreSQL); creates its tables on open.

    `location` is a `WarehouseLocation` (`Settings().warehouse`, what every command uses), or a
    DuckDB file path.
    """

    def __init__(
        self, location: WarehouseLocation | Path | str, *, read_only: bool = False
    ) -> None:
        self.location = WarehouseLocation.of(location)
        self.read_only = read_only
        self._backend: Backend | None = None

    def __enter__(self) -> Warehouse:
        try:
            self._backend = open_backend(self.location, read_only=self.read_only)
        except BackendError as error:
            raise WarehouseError(str(error)) from None
        try:
            # A reader of a shared server creates the schema only in a database that lacks it:
            # an analyst's read-only role may not create anything.
            if not self.read_only or (self._backend.shared and not self._has_every_table()):
                self._create_tables()
            if self.read_only:
                self._backend.set_read_only()
        except BaseException:
            self._close()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._close()

    def _close(self) -> None:
        if self._backend is not None:
            self._backend.close()
            self._backend = None

    @property
    def backend(self) -> Backend:
        """The open backend connection."""
        if self._backend is None:
            raise WarehouseError("the warehouse is not open; use `with Warehouse(location) as w:`")
        return self._backend

    def query(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """The rows of one SELECT (`?` placeholders, SQL both DuckDB and PostgreSQL accept)."""
        return self.backend.arrow(sql, params).to_pandas()

    def first_row(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """The first row of one SELECT (None when it returns nothing)."""
        return next(iter(self.backend.rows(sql, params)), None)

    def month_of(self, column: str) -> str:
        """SQL for the 'YYYY-MM' month of a date column, in this backend's dialect."""
        return self.backend.month_of(column)

    def write_parquet(self, sql: str, target: Path) -> None:
        """Write the rows of one SELECT (no parameters) to a Parquet file."""
        self.backend.write_parquet(sql, target)

    def _create_tables(self) -> None:
        db = self.backend
        with db.schema_lock():
            for kind in UPSERTED_TABLES:
                db.execute(db.ddl(table_ddl(kind)))
            decisions.create(db)
            for statement in (QUARANTINE_DDL, RUNS_DDL, META_DDL):
                db.execute(db.ddl(statement))

    def upsert(
        self,
        kind: Kind,
        frame: pd.DataFrame,
        *,
        source_file: str = "",
        at: datetime.datetime | None = None,
    ) -> UpsertCounts:
        """Insert or replace rows of `kind` by its primary key, in one transaction."""
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
        key_fingerprint: str | None = None,
    ) -> UpsertCounts:
        """Upsert the valid rows and keep the quarantined ones, all in one transaction.

        With `key_fingerprint`, the first load records it and later loads must match it.

        Raises:
            PseudonymKeyError: the key state differs from the recorded one (nothing is written).
        """
        with self._transaction():
            if key_fingerprint is not None:
                self._claim_key(key_fingerprint, at)
            self._add_quarantine(quarantine, kind, source_file, at)
            return self._upsert(kind, valid, source_file=source_file, at=at)

    def key_state(self) -> str | None:
        """The recorded pseudonym key fingerprint, `KEY_OFF`, or None before the first load."""
        found = self.first_row("SELECT value FROM meta WHERE name = ?", [KEY_STATE])
        return None if found is None else str(found[0])

    def set_meta(self, name: str, value: str, *, at: datetime.datetime) -> None:
        """Set (or replace) one `meta` row; never pass secrets."""
        if name == KEY_STATE:
            raise WarehouseError("the pseudonym key state is set by the first load only")
        self.backend.execute(
            "INSERT INTO meta VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE "
            "SET value = excluded.value, set_at = excluded.set_at",
            [name, value, at],
        )

    def meta(self, name: str) -> str | None:
        """One `meta` value, or None when not set (or before the first load)."""
        if not self._has_table("meta"):
            return None
        found = self.first_row("SELECT value FROM meta WHERE name = ?", [name])
        return None if found is None else str(found[0])

    def check_key(self, fingerprint: str) -> None:
        """Refuse a key state other than the recorded one (a fresh warehouse accepts any).

        Raises:
            PseudonymKeyError: one line saying which way the states differ (never the key).
        """
        recorded = self.key_state()
        if recorded is None or recorded == fingerprint:
            return
        if fingerprint == KEY_OFF:
            why = "holds ids pseudonymised with a key, but GCRISK_PSEUDONYM_KEY is not set"
        elif recorded == KEY_OFF:
            why = "holds ids that were not pseudonymised, but GCRISK_PSEUDONYM_KEY is set"
        else:
            why = "holds ids pseudonymised with another key than GCRISK_PSEUDONYM_KEY"
        raise PseudonymKeyError(
            f"{self.location.display}: the warehouse {why}; nothing was loaded (use the same key, "
            "or another GCRISK_HOME)"
        )

    def _claim_key(self, fingerprint: str, at: datetime.datetime) -> None:
        self.check_key(fingerprint)
        self.backend.execute(
            "INSERT INTO meta VALUES (?, ?, ?) ON CONFLICT DO NOTHING", [KEY_STATE, fingerprint, at]
        )

    def _has_table(self, name: str) -> bool:
        return self._tables_present([name]) == 1

    def _has_every_table(self) -> bool:
        return self._tables_present(TABLES) == len(TABLES)

    def _tables_present(self, names: Sequence[str]) -> int:
        """How many of `names` are tables (or views) of the warehouse's schema."""
        marks = ", ".join("?" * len(names))
        sql = (
            "SELECT count(*) FROM information_schema.tables "  # noqa: S608 (placeholders only)
            f"WHERE table_schema = current_schema() AND table_name IN ({marks})"
        )
        return int(self.backend.rows(sql, names)[0][0])

    def _transaction(self) -> _Transaction:
        return _Transaction(self.backend)

    def _upsert(
        self, kind: Kind, frame: pd.DataFrame, *, source_file: str, at: datetime.datetime
    ) -> UpsertCounts:
        table = table_name(kind, UPSERTED_TABLES)
        key = PRIMARY_KEYS[kind]
        rows = canonical_frame(frame, kind)
        if rows[key].duplicated().any():
            raise ValueError(f"{kind}: {key} must be unique within one upsert")
        db = self.backend
        incoming = pa.Table.from_pandas(rows, preserve_index=False)
        db.lock_for_write(table)
        with db.staged("incoming", incoming.select([key])):
            keys = f"SELECT {key} FROM incoming"  # noqa: S608
            # Keys are unique in the table, so the rows deleted are the keys replaced.
            replaced = db.delete(f"DELETE FROM {table} WHERE {key} IN ({keys})")  # noqa: S608
        db.insert(table, incoming, {"source_file": source_file, "loaded_at": at})
        total = self.count(kind)
        return UpsertCounts(inserted=len(rows) - replaced, replaced=replaced, table_rows=total)

    def _add_quarantine(
        self, frame: pd.DataFrame, kind: Kind, source_file: str, at: datetime.datetime
    ) -> int:
        db = self.backend
        db.execute("DELETE FROM quarantine WHERE kind = ? AND source_file = ?", [kind, source_file])
        if len(frame) == 0:
            return 0
        records = quarantine_records(
            frame, reason_column="quarantine_reason", key=PRIMARY_KEYS[kind]
        )
        db.insert(
            "quarantine",
            pa.Table.from_pandas(records, preserve_index=False),
            {"kind": kind, "source_file": source_file, "quarantined_at": at},
        )
        return len(records)

    def append_decisions(
        self,
        scores: pd.DataFrame,
        run: DecisionRun,
        *,
        started_at: datetime.datetime,
        details: dict[str, Any] | None = None,
    ) -> int:
        """Append one scoring run's decisions and log the run (same id), in one transaction."""
        with self._transaction():
            added = decisions.append(self.backend, scores, run)
            self.record_run(
                run_id=run.run_id,
                flow="score-batch",
                status="completed",
                started_at=started_at,
                finished_at=utc_now(),
                rows_in=len(scores),
                rows_valid=len(scores),
                details=details,
            )
        return added

    def decision_history(self, declaration_id: str) -> pd.DataFrame:
        """Every decision about one declaration, oldest first; `in_force` marks the one used."""
        return decisions.history(self.backend, declaration_id)

    def decision_run(self, run_id: str) -> DecisionRun | None:
        """The settings one scoring run decided with (None for an unknown run id)."""
        return decisions.run_settings(self.backend, run_id)

    def run_lanes(self, run_id: str) -> pd.DataFrame:
        """The lanes one scoring run decided, by declaration id."""
        return decisions.run_lanes(self.backend, run_id)

    def record_run(
        self,
        *,
        run_id: str | None = None,
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
        run_id = run_id or uuid.uuid4().hex
        self.backend.execute(
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
        """Rows of a keyed table (or the permit register) as a canonical frame, by primary key."""
        table = table_name(kind, READABLE_TABLES)
        order = PRIMARY_KEYS[kind]
        sql = f"SELECT {select_canonical(kind)} FROM {table} {where} ORDER BY {order}"  # noqa: S608
        return self._frame(sql, params, kind)

    def _frame(self, sql: str, params: list[Any] | None, kind: Kind) -> pd.DataFrame:
        return canonical_frame(self.backend.arrow(sql, params or []).to_pandas(), kind)

    def read_ids(self, kind: Kind, ids: pd.Series) -> pd.DataFrame:
        """Rows of a keyed table whose `declaration_id` is one of `ids`."""
        table = table_name(kind, KEYED_TABLES)
        wanted = pa.table({"declaration_id": pa.array(ids.astype("str").unique(), pa.string())})
        sql = (
            f"SELECT {select_canonical(kind)} FROM {table} "  # noqa: S608
            "WHERE declaration_id IN (SELECT declaration_id FROM wanted) "
            "ORDER BY declaration_id"
        )
        with self.backend.staged("wanted", wanted):
            return self._frame(sql, None, kind)

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

    def read_inspections_as_decided(self, until: datetime.date | None = None) -> pd.DataFrame:
        """Inspection results as `read_inspections`, with the selection reason and propensity of
        the decision in force wherever that decision selected the declaration (the record is
        the authority on why gcrisk picked it; results of other picks keep their own)."""
        columns = ", ".join(
            f"CASE WHEN s.selected THEN s.{name} ELSE i.{name} END AS {name}"
            if name in ("selection_reason", "selection_propensity")
            else f"i.{name}"
            for name in column_names("inspections")
        )
        where = "" if until is None else "WHERE i.inspection_date < ?"
        sql = (
            f"SELECT {columns} FROM inspections i LEFT JOIN scores s USING (declaration_id) "  # noqa: S608
            f"{where} ORDER BY declaration_id"
        )
        return self._frame(
            f"SELECT {select_canonical('inspections')} FROM ({sql}) AS decided",  # noqa: S608
            [] if until is None else [until],
            "inspections",
        )

    def read_permits(self) -> pd.DataFrame:
        """The permit register (empty, with its columns, in a warehouse made before it existed)."""
        if not self._has_table("permits"):
            return canonical_frame(pd.DataFrame(columns=column_names("permits")), "permits")
        return self.read("permits")

    def read_scores(self) -> pd.DataFrame:
        """The decision in force for every scored declaration."""
        return self.read("scores")

    def read_quarantine(self, kind: Kind | None = None) -> pd.DataFrame:
        """Quarantined rows with their reason, file and time (and the row as JSON in `record`)."""
        where = "" if kind is None else "WHERE kind = ?"
        sql = f"SELECT * FROM quarantine {where} ORDER BY quarantined_at, source_file, row_number"  # noqa: S608
        return self.query(sql, [] if kind is None else [kind])

    def read_runs(self) -> pd.DataFrame:
        """The run log, oldest first."""
        return self.query("SELECT * FROM runs ORDER BY started_at")

    def count(self, table: TableName) -> int:
        """Rows in one table."""
        return _scalar(self.backend, f"SELECT count(*) FROM {table_name(table)}")  # noqa: S608

    def counts(self) -> dict[str, int]:
        """Rows in every table."""
        return {table: self.count(table) for table in TABLES}


class _Transaction:
    """BEGIN on enter, COMMIT on success, ROLLBACK on any error."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def __enter__(self) -> None:
        self.backend.begin()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind:
            self.backend.rollback()
        else:
            self.backend.commit()


def utc_now() -> datetime.datetime:
    """The current UTC time, naive (TIMESTAMP has no zone in either backend), to the µs."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def _scalar(backend: Backend, sql: str) -> int:
    rows = backend.rows(sql)  # fetchone would leave a DuckDB result open
    return int(rows[0][0]) if rows else 0
