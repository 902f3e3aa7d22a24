"""The warehouse's table definitions and the frame conversions around them.

Table names inside SQL text come only from the constants here (checked by `table_name`); every
value is a bound parameter or a registered Arrow table, never text pasted into SQL.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

from data_contracts.schemas import PANDAS_DTYPES, SCHEMAS, Column, Kind, LogicalType

#: Tables read by `declaration_id`; `scores` is the view of the decisions in force.
KEYED_TABLES: tuple[Kind, ...] = ("declarations", "inspections", "scores")
#: Tables loaded by upsert (a reload replaces a row with the same primary key, `PRIMARY_KEYS`:
#: a declaration, its inspection result, a permit); decisions are only appended.
UPSERTED_TABLES: tuple[Kind, ...] = ("declarations", "inspections", "permits")
#: Tables `Warehouse.read` reads back as canonical frames, ordered by their primary key.
READABLE_TABLES: tuple[Kind, ...] = (*KEYED_TABLES, "permits")
TableName = Literal[
    "declarations", "inspections", "permits", "scores", "decisions", "quarantine", "runs", "meta"
]
TABLES: tuple[TableName, ...] = (
    "declarations",
    "inspections",
    "permits",
    "scores",
    "decisions",
    "quarantine",
    "runs",
    "meta",
)
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
#: Facts about the warehouse itself, such as the fingerprint of the pseudonym key.
META_DDL = """CREATE TABLE IF NOT EXISTS meta (
    name VARCHAR PRIMARY KEY, value VARCHAR NOT NULL, set_at TIMESTAMP NOT NULL)"""


def table_name(name: str, allowed: tuple[str, ...] = TABLES) -> str:
    """`name` if it is one of our tables (the only text ever put into SQL)."""
    if name not in allowed:
        raise ValueError(f"unknown table {name!r}; expected one of {', '.join(allowed)}")
    return name


def table_ddl(kind: Kind) -> str:
    columns = [_column_ddl(column) for column in SCHEMAS[kind]]
    columns += ["source_file VARCHAR", "loaded_at TIMESTAMP"]
    return f"CREATE TABLE IF NOT EXISTS {kind} ({', '.join(columns)})"


def _column_ddl(column: Column) -> str:
    required = "" if column.nullable else " NOT NULL"
    return f"{column.name} {SQL_TYPES[column.type]}{required}"


def select_canonical(kind: Kind) -> str:
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


def quarantine_records(
    frame: pd.DataFrame, *, reason_column: str, key: str = "declaration_id"
) -> pd.DataFrame:
    """One row per quarantined row: its position, id (as text), reason and the row as JSON.

    The id is the row's primary key (`key`: a permit's reference), kept in `declaration_id`.
    """
    original = frame.drop(columns=[reason_column])
    lines = original.to_json(orient="records", lines=True, date_format="iso", force_ascii=False)
    # JSON escapes newlines inside values, so one line is exactly one record.
    records = lines.rstrip("\n").split("\n") if len(original) else []
    ids = frame[key] if key in frame.columns else pd.Series(pd.NA)
    return pd.DataFrame(
        {
            "row_number": range(len(frame)),
            "declaration_id": ids.astype("str").to_numpy() if len(frame) else [],
            "quarantine_reason": frame[reason_column].astype("str").to_numpy(),
            "record": records,
        }
    )
