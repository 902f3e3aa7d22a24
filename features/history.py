"""History state: counts and sums of past events per key, as of each row or as of a date.

One list of state definitions (`STATES`) drives both execution paths:

* training: `asof_states` gives every row the totals of events of its key strictly before its
  own day (sorted day-level aggregates, grouped cumulative sums and a binary search);
* scoring: `snapshot_tables` sums the events before `as_of` per key, and `join_states` joins a
  batch to those tables.

An event is a row of the prepared declarations (which supplies the key) with a day and values:
the declaration itself, its unit value, the first use of a trader-declarant pair, an inspection
result on the day it was recorded, a declaration quoting a permit (its net kg and quantity), the
first use of a permit by a trader, or an ODS/HFC import (its net kg, per country and year).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from features.prepare import day_numbers

Stream = Literal[
    "declarations",
    "unit_values",
    "declarant_pairs",
    "inspections",
    "permit_uses",
    "permit_holders",
    "ods_imports",
]


@dataclass(frozen=True)
class State:
    """Totals of one event stream per key; `first_day` adds the day of the key's first event."""

    name: str
    keys: tuple[str, ...]
    stream: Stream
    values: tuple[str, ...]
    first_day: bool = False


STATES: tuple[State, ...] = (
    State("trader", ("trader_id",), "declarations", ("n",), first_day=True),
    State("trader_inspections", ("trader_id",), "inspections", ("n", "violations")),
    State("trader_declarants", ("trader_id",), "declarant_pairs", ("n",)),
    State("trader_heading", ("trader_id", "hs4"), "declarations", ("n",)),
    State("trader_chapter", ("trader_id", "chapter"), "declarations", ("n",)),
    State("declarant", ("declarant_id",), "declarations", ("n",), first_day=True),
    State("declarant_inspections", ("declarant_id",), "inspections", ("n", "violations")),
    State("hs6_value", ("hs6",), "unit_values", ("n", "sum", "sumsq")),
    State("hs4_value", ("hs4",), "unit_values", ("n", "sum", "sumsq")),
    State("chapter_value", ("chapter",), "unit_values", ("n", "sum", "sumsq")),
    State("heading", ("hs4",), "declarations", ("n",)),
    State("route", ("hs4", "origin_country", "destination_country"), "declarations", ("n",)),
    State("flow_inspections", ("flow",), "inspections", ("n", "violations")),
    State("heading_inspections", ("hs4",), "inspections", ("n", "violations")),
    State("hs6_inspections", ("hs6",), "inspections", ("n", "violations")),
    State("origin_chapter_inspections", ("origin_country", "chapter"), "inspections",
          ("n", "violations")),
    State("route_inspections", ("origin_country", "destination_country", "chapter"),
          "inspections", ("n", "violations")),
    # The permit family's states (`PERMIT_STATES`).
    State("permit_use", ("permit_ref",), "permit_uses", ("net_kg",)),
    State("permit_use_unit", ("permit_ref", "quantity_unit"), "permit_uses", ("quantity",)),
    State("permit_trader", ("permit_ref", "trader_id"), "permit_uses", ("n",)),
    State("permit_holders", ("permit_ref",), "permit_holders", ("n",)),
    State("ods_imports", ("destination_country", "year"), "ods_imports", ("net_kg",)),
)  # fmt: skip

_INTEGER_VALUES = frozenset({"n", "violations"})
#: The states only the permit family reads (their streams come from `_permit_events`).
PERMIT_STATES = tuple(
    s for s in STATES if s.stream in ("permit_uses", "permit_holders", "ods_imports")
)


def state_columns() -> list[str]:
    """Names of the state columns (`<state>__<value>`, `<state>__first_day`)."""
    names = []
    for state in STATES:
        names += [f"{state.name}__{value}" for value in state.values]
        names += [f"{state.name}__first_day"] if state.first_day else []
    return names


def event_streams(
    prepared: pd.DataFrame, inspections: pd.DataFrame, *, permits_only: bool = False
) -> dict[str, pd.DataFrame]:
    """Every event stream as `row` (position in `prepared`), `day` and its value columns
    (`permits_only`: the permit family's streams alone)."""
    if permits_only:
        return _permit_events(prepared)
    n = len(prepared)
    rows = np.arange(n)
    day = prepared["day"].to_numpy()
    log_uv = prepared["log_unit_value"].to_numpy()
    priced = np.isfinite(log_uv)
    pairs = pd.DataFrame({"t": prepared["trader_id"], "d": prepared["declarant_id"], "day": day})
    first = pairs.sort_values("day", kind="stable").drop_duplicates(["t", "d"]).index.to_numpy()
    return {
        "declarations": pd.DataFrame({"row": rows, "day": day, "n": 1}),
        "unit_values": pd.DataFrame(
            {
                "row": rows[priced],
                "day": day[priced],
                "n": 1,
                "sum": log_uv[priced],
                "sumsq": log_uv[priced] ** 2,
            }
        ),
        "declarant_pairs": pd.DataFrame({"row": first, "day": day[first], "n": 1}),
        "inspections": _inspection_events(prepared, inspections),
        **_permit_events(prepared),
    }


def _permit_events(prepared: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Declarations quoting a permit, first uses of a permit by a trader, ODS/HFC imports."""
    day = prepared["day"].to_numpy()
    net_kg = prepared["net_weight_kg"].to_numpy(dtype=float, na_value=0.0)
    quantity = prepared["quantity"].to_numpy(dtype=float, na_value=0.0)
    quoted = np.flatnonzero((prepared["permit_ref"] != "").to_numpy())
    uses = pd.DataFrame({"row": quoted, "day": day[quoted], "n": 1, "net_kg": net_kg[quoted],
                         "quantity": quantity[quoted]})  # fmt: skip
    # First day of each (permit, trader) pair, on integer codes: rows are sorted by day first.
    permit = pd.factorize(prepared["permit_ref"].to_numpy()[quoted])[0].astype(np.int64)
    trader = pd.factorize(prepared["trader_id"].to_numpy()[quoted])[0].astype(np.int64)
    order = np.lexsort((quoted, day[quoted]))
    pair = (permit * (trader.max(initial=0) + 1) + trader)[order]
    first = np.sort(quoted[order][np.unique(pair, return_index=True)[1]])
    ods = np.flatnonzero(
        ((prepared["category"] == "ods") & (prepared["flow"] == "import")).to_numpy()
    )
    return {
        "permit_uses": uses,
        "permit_holders": pd.DataFrame({"row": first, "day": day[first], "n": 1}),
        "ods_imports": pd.DataFrame({"row": ods, "day": day[ods], "net_kg": net_kg[ods]}),
    }


def _inspection_events(prepared: pd.DataFrame, inspections: pd.DataFrame) -> pd.DataFrame:
    """Inspection results on their recording day, attached to the inspected declaration's row."""
    position = pd.Series(np.arange(len(prepared)), index=prepared["declaration_id"].to_numpy())
    rows = position.reindex(inspections["declaration_id"].to_numpy()).to_numpy()
    known = ~np.isnan(rows)
    violation = (inspections["outcome"].astype("str") == "violation").to_numpy()
    return pd.DataFrame(
        {
            "row": rows[known].astype(np.int64),
            "day": day_numbers(inspections["inspection_date"])[known],
            "n": 1,
            "violations": violation[known].astype(np.int64),
        }
    )


def _key_codes(columns: dict[str, tuple[np.ndarray, int]], keys: tuple[str, ...]) -> np.ndarray:
    """One non-negative integer per distinct key tuple (mixed radix of per-column codes)."""
    combined = np.zeros(len(columns[keys[0]][0]), dtype=np.int64)
    for key in keys:
        codes, size = columns[key]
        combined = combined * size + codes
    return combined


def _column_codes(
    prepared: pd.DataFrame, states: tuple[State, ...] = STATES
) -> dict[str, tuple[np.ndarray, int]]:
    """Integer codes and code counts of every key column of `states`, factorised once."""
    names = {key for state in states for key in state.keys}
    coded = {}
    for name in sorted(names):
        codes, uniques = pd.factorize(prepared[name], use_na_sentinel=False)
        coded[name] = (codes.astype(np.int64), len(uniques))
    return coded


def _zeros(state: State, n: int) -> dict[str, np.ndarray]:
    out = {f"{state.name}__{v}": np.zeros(n, np.int64 if v in _INTEGER_VALUES else float)
           for v in state.values}  # fmt: skip
    if state.first_day:
        out[f"{state.name}__first_day"] = np.full(n, np.nan)
    return out


def _asof_one(state: State, key: np.ndarray, day: np.ndarray, events: pd.DataFrame) -> dict:
    """Totals of `state`'s events per row over events with the row's key and an earlier day."""
    if events.empty:
        return _zeros(state, len(key))
    event_day = events["day"].to_numpy()
    base = int(min(day.min(), event_day.min()))
    span = int(max(day.max(), event_day.max())) - base + 2
    # Sorted (key, day) codes: the last code below (key, row day) holds the row's running totals.
    unique, inverse = np.unique(key[events["row"].to_numpy()] * span + (event_day - base),
                                return_inverse=True)  # fmt: skip
    unique_key = unique // span
    if state.stream == "declarations":  # the events are the rows themselves: no search needed
        position = inverse - 1
    else:
        position = np.searchsorted(unique, key * span + (day - base), side="left") - 1
    safe = np.maximum(position, 0)
    found = (position >= 0) & (unique_key[safe] == key)
    out: dict[str, np.ndarray] = {}
    starts = np.r_[True, unique_key[1:] != unique_key[:-1]]
    group = np.cumsum(starts) - 1
    for value in state.values:
        daily = np.bincount(inverse, weights=events[value].to_numpy(float), minlength=len(unique))
        if value in _INTEGER_VALUES:  # exact: running total minus the total before the key
            running = np.cumsum(np.rint(daily).astype(np.int64))
            running -= (running - np.rint(daily).astype(np.int64))[starts][group]
            out[f"{state.name}__{value}"] = np.where(found, running[safe], 0)
        else:  # per-key sums, so a long history cannot erode the precision of small totals
            running = pd.Series(daily).groupby(group, sort=False).cumsum().to_numpy()
            out[f"{state.name}__{value}"] = np.where(found, running[safe], 0.0)
    if state.first_day:
        group_first = (unique % span + base)[np.flatnonzero(starts)][group]
        out[f"{state.name}__first_day"] = np.where(found, group_first[safe].astype(float), np.nan)
    return out


def asof_states(
    prepared: pd.DataFrame, inspections: pd.DataFrame, *, states: tuple[State, ...] = STATES
) -> pd.DataFrame:
    """Every state column (of `states`) for every row, each as of the row's own day (training
    path)."""
    permits_only = all(state in PERMIT_STATES for state in states)
    streams = event_streams(prepared, inspections, permits_only=permits_only)
    day = prepared["day"].to_numpy()
    coded = _column_codes(prepared, states)
    columns: dict[str, np.ndarray] = {}
    for state in states:
        key = _key_codes(coded, state.keys)
        columns |= _asof_one(state, key, day, streams[state.stream])
    return pd.DataFrame(columns)


def snapshot_tables(
    prepared: pd.DataFrame, inspections: pd.DataFrame, *, as_of_day: int
) -> dict[str, pd.DataFrame]:
    """Per-key totals of every state over events strictly before `as_of_day` (scoring path)."""
    streams = event_streams(prepared, inspections)
    tables = {}
    for state in STATES:
        events = streams[state.stream]
        events = events[events["day"] < as_of_day]
        frame = prepared[list(state.keys)].iloc[events["row"].to_numpy()].reset_index(drop=True)
        frame = frame.assign(**{v: events[v].to_numpy() for v in state.values})
        aggregations = dict.fromkeys(state.values, "sum")
        if state.first_day:
            frame["first_day"] = events["day"].to_numpy()
            aggregations["first_day"] = "min"
        table = frame.groupby(list(state.keys), sort=True).agg(aggregations).reset_index()
        tables[state.name] = table.rename(columns={c: f"{state.name}__{c}" for c in aggregations})
    return tables


def join_states(prepared: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """State columns for a batch, looked up in snapshot tables; keys never seen get zeros."""
    columns: dict[str, np.ndarray] = {}
    for state in STATES:
        table = tables[state.name]
        joined = prepared[list(state.keys)].merge(table, on=list(state.keys), how="left")
        for value in state.values:
            column = f"{state.name}__{value}"
            filled = joined[column].fillna(0).to_numpy()
            columns[column] = filled.astype(np.int64) if value in _INTEGER_VALUES else filled
        if state.first_day:
            column = f"{state.name}__first_day"
            columns[column] = joined[column].to_numpy(dtype=float, na_value=np.nan)
    return pd.DataFrame(columns)


@dataclass(frozen=True)
class StateLookup:
    """`snapshot_tables` as hash maps from key to row: a batch of a few rows is looked up in
    microseconds, where `join_states`' merges cost milliseconds whatever the batch size."""

    rows: dict[str, dict[tuple[object, ...], int]]
    columns: dict[str, dict[str, np.ndarray]]


def index_tables(tables: dict[str, pd.DataFrame]) -> StateLookup:
    """The snapshot tables as a `StateLookup` (built once per snapshot)."""
    rows: dict[str, dict[tuple[object, ...], int]] = {}
    columns: dict[str, dict[str, np.ndarray]] = {}
    for state in STATES:
        table = tables[state.name]
        keys = zip(*(table[key].tolist() for key in state.keys), strict=True)
        rows[state.name] = {key: position for position, key in enumerate(keys)}
        prefix = f"{state.name}__"
        columns[state.name] = {c: table[c].to_numpy() for c in table if c.startswith(prefix)}
    return StateLookup(rows, columns)


def key_columns() -> tuple[str, ...]:
    """The prepared columns that key some state (in `STATES` order, each once)."""
    return tuple(dict.fromkeys(key for state in STATES for key in state.keys))


def lookup_arrays(
    keys: Mapping[str, Sequence[object]], lookup: StateLookup
) -> dict[str, np.ndarray]:
    """The state columns `join_states` gives (same values and dtypes), as arrays, for rows
    given by the values of their key columns (`key_columns`)."""
    columns: dict[str, np.ndarray] = {}
    for state in STATES:
        index = lookup.rows[state.name]
        rows = zip(*(keys[key] for key in state.keys), strict=True)
        position = np.array([index.get(key, -1) for key in rows], dtype=np.int64)
        found = position >= 0
        safe = np.maximum(position, 0)
        stored = lookup.columns[state.name]
        for value in state.values:
            column = f"{state.name}__{value}"
            kind = np.int64 if value in _INTEGER_VALUES else float
            known = stored[column][safe] if len(index) else np.zeros(len(position))
            columns[column] = np.where(found, known, 0).astype(kind)
        if state.first_day:
            column = f"{state.name}__first_day"
            known = stored[column][safe] if len(index) else np.zeros(len(position))
            columns[column] = np.where(found, known.astype(float), np.nan)
    return columns
