"""The two warehouse backends behind `Warehouse`: an embedded DuckDB file and a PostgreSQL server.

`Warehouse` writes its SQL once, in the dialect both accept (`?` placeholders, `USING` joins,
`ON CONFLICT`, `information_schema`); a backend supplies the few things that differ:

* bulk data in and out as Arrow: DuckDB reads a registered Arrow table in place and returns
  query results as Arrow; PostgreSQL moves rows with `COPY` in CSV form (written and parsed by
  pyarrow, in C), never row by row through Python;
* the DDL type names (`DOUBLE` is `DOUBLE PRECISION` in PostgreSQL) and two expressions (the
  month of a date, a timestamp in microseconds);
* opening: DuckDB waits a short while for a file another process holds, then names the holder;
  PostgreSQL takes an advisory lock while it creates the schema, so two processes opening a
  fresh database at once do not race, and serialises writers of one table with a table lock
  that readers never wait for (MVCC: a reader sees the table before or after a write, never
  part of one).
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from pipelines.settings import WarehouseLocation


class BackendError(RuntimeError):
    """The backend cannot open the warehouse (the message is safe to show: no password)."""


class DuplicateRowsError(ValueError):
    """An insert would repeat a primary key (e.g. a decision already recorded)."""


class Backend(Protocol):
    """What `Warehouse` needs from a database."""

    name: str
    #: A server several processes share: readers create the schema too (a DuckDB reader cannot).
    shared: bool

    def set_read_only(self) -> None:
        """Refuse writes from now on (after the schema check)."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def delete(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one DELETE; the number of rows it deleted."""

    def arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """The rows of one SELECT as Arrow, in bulk."""

    def staged(self, name: str, data: pa.Table) -> AbstractContextManager[None]:
        """`data` readable in SQL as table `name` while the block runs."""

    def insert(self, table: str, data: pa.Table, constants: dict[str, Any]) -> None:
        """Bulk-insert `data` plus constant columns into `table`."""

    def lock_for_write(self, table: str) -> None:
        """Make other writers of `table` wait until this transaction ends."""

    def schema_lock(self) -> AbstractContextManager[None]:
        """Schema changes of one process at a time while the block runs."""

    def ddl(self, statement: str) -> str:
        """A CREATE/ALTER statement with this dialect's type names."""

    def month_of(self, column: str) -> str: ...

    def epoch_us(self, column: str) -> str: ...

    def write_parquet(self, sql: str, target: Path) -> None: ...

    def begin(self) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def close(self) -> None: ...


def open_backend(location: WarehouseLocation, *, read_only: bool) -> Backend:
    """A connection to the warehouse at `location`.

    Raises:
        BackendError: it cannot be opened (for DuckDB, after waiting `location.lock_wait`
            seconds for another process to let go of the file).
    """
    if location.backend == "postgresql":
        return PostgresBackend.connect(location)
    return DuckDBBackend.connect(location, read_only=read_only)


class DuckDBBackend:
    """One DuckDB connection to the warehouse file."""

    name = "duckdb"
    shared = False

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection = connection

    @classmethod
    def connect(
        cls,
        location: WarehouseLocation,
        *,
        read_only: bool,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> DuckDBBackend:
        """Open the file, retrying every `POLL` seconds for `location.lock_wait` seconds while
        another process holds it; then fail naming that process."""
        path = location.path
        if path is None:
            raise BackendError("a DuckDB warehouse needs a file path")
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        deadline = clock() + location.lock_wait
        while True:
            try:
                return cls(duckdb.connect(str(path), read_only=read_only))
            except duckdb.Error as error:
                holder = lock_holder(str(error))
                if holder is None:
                    raise BackendError(f"{path}: cannot open the warehouse ({error})") from None
                if clock() >= deadline:
                    raise BackendError(held_message(path, holder, location.lock_wait)) from None
                sleep(POLL)

    def set_read_only(self) -> None:
        """Nothing to do: a read-only DuckDB file is opened so."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.connection.execute(sql, list(params))

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.connection.execute(sql, list(params)).fetchall()

    def delete(self, sql: str, params: Sequence[Any] = ()) -> int:
        found = self.connection.execute(sql, list(params)).fetchall()  # DuckDB returns the count
        return int(found[0][0]) if found else 0

    def arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        # Through Arrow: three times faster than `.df()` on millions of rows, same frame.
        return self.connection.sql(sql, params=list(params) or None).to_arrow_table()

    @contextmanager
    def staged(self, name: str, data: pa.Table) -> Iterator[None]:
        """`data` readable as table `name` for the duration (a view on the Arrow memory)."""
        self.connection.register(name, data)
        try:
            yield
        finally:
            self.connection.unregister(name)

    def insert(self, table: str, data: pa.Table, constants: dict[str, Any]) -> None:
        """Insert `data`'s rows into `table`, with `constants` as extra columns of every row.

        Raises:
            DuplicateRowsError: a row repeats a primary key already in `table`.
        """
        with self.staged("incoming_rows", data):
            fixed = list(constants)
            columns = ", ".join([*fixed, *data.column_names])
            values = ", ".join(["?"] * len(fixed) + list(data.column_names))
            try:
                self.connection.execute(
                    f"INSERT INTO {table} ({columns}) SELECT {values} FROM incoming_rows",  # noqa: S608
                    list(constants.values()),
                )
            except duckdb.ConstraintException as error:
                raise DuplicateRowsError(f"{table}: {error}") from None

    def lock_for_write(self, table: str) -> None:
        """Nothing to do: a DuckDB file has a single writing process."""

    @contextmanager
    def schema_lock(self) -> Iterator[None]:
        yield

    def ddl(self, statement: str) -> str:
        return statement

    def month_of(self, column: str) -> str:
        return f"strftime({column}, '%Y-%m')"

    def epoch_us(self, column: str) -> str:
        return f"epoch_us({column})"

    def write_parquet(self, sql: str, target: Path) -> None:
        """DuckDB writes the file itself, so the rows never pass through Python."""
        quoted = str(target).replace("'", "''")
        # DuckDB takes no parameters in COPY: `sql` is built from constants by the caller.
        self.connection.execute(f"COPY ({sql}) TO '{quoted}' (FORMAT PARQUET)")

    def begin(self) -> None:
        self.connection.execute("BEGIN TRANSACTION")

    def commit(self) -> None:
        self.connection.execute("COMMIT")

    def rollback(self) -> None:
        self.connection.execute("ROLLBACK")

    def close(self) -> None:
        self.connection.close()


#: Seconds between two attempts to open a DuckDB file another process holds.
POLL = 0.2
_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")


def lock_holder(message: str) -> int | None:
    """The PID in DuckDB's 'Conflicting lock is held in … (PID n)' error, or None."""
    found = _HOLDER.search(message)
    return int(found["pid"]) if found else None


def held_message(path: Path, pid: int, waited: float) -> str:
    """One line naming the process holding the file and what to do about it."""
    return (
        f"the warehouse {path} is in use by process {pid}{_command_of(pid)}; waited {waited:g} s "
        "(GCRISK_WAREHOUSE_LOCK_WAIT); a DuckDB file has one writer at a time: with several "
        "analysts and jobs use PostgreSQL: GCRISK_WAREHOUSE_URL=postgresql://…"
    )


def _command_of(pid: int) -> str:
    import psutil

    try:
        command = " ".join(psutil.Process(pid).cmdline())
    except (psutil.Error, OSError):
        return ""
    if len(command) > _COMMAND_SHOWN:
        command = command[: _COMMAND_SHOWN - 1] + "…"
    return f" ({command})" if command else ""


#: Characters of the holder's command line a lock message shows.
_COMMAND_SHOWN = 160


#: Arrow types of the PostgreSQL type OIDs our tables and queries use.
_ARROW_OF_OID: dict[int, pa.DataType] = {
    16: pa.bool_(),
    20: pa.int64(),
    21: pa.int64(),
    23: pa.int64(),
    25: pa.string(),
    700: pa.float64(),
    701: pa.float64(),
    1043: pa.string(),
    1082: pa.date32(),
    1114: pa.timestamp("us"),
    1700: pa.float64(),
}
#: How PostgreSQL's CSV reads back (with the query's column types added per query).
_READ_BACK: dict[str, Any] = {
    "strings_can_be_null": True,
    # PostgreSQL's CSV writes NULL unquoted and the empty string as "".
    "quoted_strings_can_be_null": False,
    "true_values": ["t"],
    "false_values": ["f"],
}
_WRITE = pa_csv.WriteOptions(include_header=False, quoting_style="all_valid")
#: Advisory lock key held while creating the schema (any constant shared by every gcrisk).
_SCHEMA_LOCK = 0x6763_7269_736B


class PostgresBackend:
    """One psycopg 3 connection (autocommit, with explicit transactions) to the database."""

    name = "postgresql"
    shared = True

    def __init__(self, connection: Any, display: str) -> None:
        self.connection = connection
        self.display = display

    @classmethod
    def connect(cls, location: WarehouseLocation) -> PostgresBackend:
        import psycopg

        try:
            connection = psycopg.connect(location.dsn(), autocommit=True, application_name="gcrisk")
        except psycopg.Error as error:
            # libpq's message names host and database, never the password.
            reason = " ".join(str(error).split())
            raise BackendError(
                f"{location.display}: cannot open the warehouse ({reason})"
            ) from None
        connection.execute("SET datestyle = ISO")
        connection.execute("SET extra_float_digits = 1")  # shortest exact text of a double
        return cls(connection, location.display)

    def set_read_only(self) -> None:
        """Every later transaction of this connection is read-only."""
        self.connection.execute("SET default_transaction_read_only = on")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.connection.execute(*_bound(sql, params))

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.connection.execute(*_bound(sql, params)).fetchall()

    def delete(self, sql: str, params: Sequence[Any] = ()) -> int:
        return int(self.connection.execute(*_bound(sql, params)).rowcount)

    def arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """The result through `COPY … TO STDOUT` as CSV parsed by pyarrow, typed from the
        query's own column types (no row-by-row fetch)."""
        import psycopg

        query, values = _bound(sql, params)
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM ({query}) AS described LIMIT 0", values)  # noqa: S608
            schema = pa.schema(
                [
                    (column.name, _ARROW_OF_OID.get(column.type_code, pa.string()))
                    for column in cursor.description or []
                ]
            )
            bound = psycopg.ClientCursor(self.connection).mogrify(query, values)
            buffer = io.BytesIO()
            with cursor.copy(f"COPY ({bound}) TO STDOUT (FORMAT csv)") as copy:
                for chunk in copy:
                    buffer.write(chunk)
        if not buffer.tell():
            return schema.empty_table()
        buffer.seek(0)
        options = pa_csv.ConvertOptions(column_types=schema, **_READ_BACK)
        read = pa_csv.ReadOptions(column_names=schema.names, block_size=1 << 24)
        return pa_csv.read_csv(buffer, read_options=read, convert_options=options)

    @contextmanager
    def staged(self, name: str, data: pa.Table) -> Iterator[None]:
        """`data` copied into a temporary table `name` for the duration."""
        columns = ", ".join(f"{field.name} {_sql_type(field.type)}" for field in data.schema)
        self.connection.execute(f"CREATE TEMPORARY TABLE {name} ({columns})")
        try:
            self._copy_in(name, data)
            yield
        finally:
            if not self._failed():
                self.connection.execute(f"DROP TABLE IF EXISTS {name}")
            # In a failed transaction the ROLLBACK that follows removes the table.

    def insert(self, table: str, data: pa.Table, constants: dict[str, Any]) -> None:
        """COPY `data`'s rows into `table`, with `constants` as extra columns of every row.

        Raises:
            DuplicateRowsError: a row repeats a primary key in `table` (committed by then, or
                by a concurrent transaction that committed while this one waited for it).
        """
        from psycopg.errors import UniqueViolation

        for name, value in constants.items():
            data = data.append_column(name, pa.repeat(pa.scalar(value), len(data)))
        try:
            self._copy_in(table, data)
        except UniqueViolation as error:
            raise DuplicateRowsError(f"{table}: {error.diag.message_primary}") from None

    def lock_for_write(self, table: str) -> None:
        """Serialise writers of `table` until the transaction ends; readers (ACCESS SHARE) never
        wait for this mode, and writers never wait for them."""
        self.connection.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")

    @contextmanager
    def schema_lock(self) -> Iterator[None]:
        """One transaction holding the schema advisory lock: schema changes one process at a
        time."""
        with self.connection.transaction():
            self.connection.execute("SELECT pg_advisory_xact_lock(%s)", [_SCHEMA_LOCK])
            yield

    def ddl(self, statement: str) -> str:
        return re.sub(r"\bDOUBLE\b", "DOUBLE PRECISION", statement)

    def month_of(self, column: str) -> str:
        return f"to_char({column}, 'YYYY-MM')"

    def epoch_us(self, column: str) -> str:
        return f"(extract(epoch FROM {column}) * 1000000)"

    def write_parquet(self, sql: str, target: Path) -> None:
        pq.write_table(self.arrow(sql), target)

    def begin(self) -> None:
        self.connection.execute("BEGIN")

    def commit(self) -> None:
        self.connection.execute("COMMIT")

    def rollback(self) -> None:
        self.connection.execute("ROLLBACK")

    def close(self) -> None:
        self.connection.close()

    def _copy_in(self, table: str, data: pa.Table) -> None:
        if data.num_rows == 0:
            return
        columns = ", ".join(data.column_names)
        with (
            self.connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT csv)") as copy,
        ):
            for batch in data.to_batches(max_chunksize=100_000):
                buffer = io.BytesIO()
                pa_csv.write_csv(batch, buffer, _WRITE)
                copy.write(buffer.getbuffer())

    def _failed(self) -> bool:
        from psycopg.pq import TransactionStatus

        return bool(self.connection.info.transaction_status == TransactionStatus.INERROR)


def _bound(sql: str, params: Sequence[Any]) -> tuple[str, list[Any] | None]:
    """DuckDB's `?` placeholders as psycopg's `%s` (a literal % doubled); SQL without
    parameters is sent as written."""
    if not params:
        return sql, None
    return sql.replace("%", "%%").replace("?", "%s"), list(params)


def _sql_type(kind: pa.DataType) -> str:
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_null(kind):
        return "TEXT"
    if pa.types.is_boolean(kind):
        return "BOOLEAN"
    if pa.types.is_integer(kind):
        return "BIGINT"
    if pa.types.is_floating(kind):
        return "DOUBLE PRECISION"
    if pa.types.is_timestamp(kind):
        return "TIMESTAMP"
    if pa.types.is_date(kind):
        return "DATE"
    raise TypeError(f"no PostgreSQL type for Arrow {kind}")
