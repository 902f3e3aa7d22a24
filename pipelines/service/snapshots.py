"""The service's in-memory state of the warehouse: history snapshots, office volumes, recent rows.

The service never keeps the warehouse open (with DuckDB, an open file blocks every other
process): `read_state` opens it read-only, reads what it needs and closes it. The state is as of
the day after the last declaration in the warehouse (or today, if that is earlier), so a lodged
declaration sees everything known before its day, as batch scoring would on that day.

Besides the snapshots (the batch path's `build_snapshots`, so the same features), the state
keeps what online selection needs: each office's mean declarations per day and the features of
the last `window_days` of history, scored with the champion to seed the recent score
distribution (featurised as of the first of those days, as a batch of them would have been).

`warehouse_marker` is a cheap change detector: the row counts of the tables scoring reads and the
last run that was not a scoring run (our own decisions must not trigger a rebuild).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import pandas as pd

from features import Snapshots, build_scoring_features, build_snapshots
from pipelines.settings import WarehouseLocation
from pipelines.storage.warehouse import Warehouse, utc_now

#: Tables whose change makes the snapshots stale.
WATCHED_TABLES = ("declarations", "inspections", "permits")
#: Run log entries written by scoring itself (ours included): they do not change the history.
SCORING_FLOW = "score-batch"


@dataclass(frozen=True)
class WarehouseState:
    """What the service scores against, as of `snapshots.as_of`."""

    snapshots: Snapshots
    #: Mean declarations per day by office over the recent window.
    daily_volume: pd.Series
    #: Features of the recent window's declarations (with `customs_office`), to seed thresholds.
    recent: pd.DataFrame = field(repr=False)
    marker: tuple[object, ...] = ()
    built_at: datetime.datetime = field(default_factory=utc_now)

    @property
    def as_of(self) -> pd.Timestamp:
        """First day a declaration may be dated to be scored against this state."""
        return self.snapshots.as_of


def warehouse_marker(store: Warehouse) -> tuple[object, ...]:
    """Row counts of the watched tables and the id of the last run that was not scoring."""
    counts = store.counts()
    runs = store.read_runs()
    others = runs[runs["flow"] != SCORING_FLOW] if len(runs) else runs
    last = str(others["run_id"].iloc[-1]) if len(others) else ""
    return (*(counts.get(table, 0) for table in WATCHED_TABLES), last)


def read_marker(location: WarehouseLocation) -> tuple[object, ...]:
    """The marker of the warehouse at `location`, opened read-only for the moment it takes."""
    with Warehouse(location, read_only=True) as store:
        return warehouse_marker(store)


def state_day(last_declaration: pd.Timestamp | None, today: datetime.date) -> pd.Timestamp:
    """The snapshot day: the day after the last declaration, or today if that is earlier."""
    if last_declaration is None or pd.isna(last_declaration):
        return pd.Timestamp(today)
    return min(
        pd.Timestamp(last_declaration).normalize() + pd.Timedelta(days=1), pd.Timestamp(today)
    )


def read_state(
    location: WarehouseLocation, *, window_days: int, key_fingerprint: str
) -> WarehouseState:
    """Read the warehouse once (read-only, closed at once) and build the state from it.

    Raises:
        PseudonymKeyError: the warehouse's ids were pseudonymised with another key state.
    """
    with Warehouse(location, read_only=True) as store:
        store.check_key(key_fingerprint)
        marker = warehouse_marker(store)
        declarations = store.read_declarations()
        inspections = store.read_inspections()
        permits = store.read_permits()
    last = declarations["declaration_date"].max() if len(declarations) else None
    as_of = state_day(last, utc_now().date())
    return build_state(
        declarations, inspections, permits, as_of=as_of, window_days=window_days, marker=marker
    )


def build_state(
    declarations: pd.DataFrame,
    inspections: pd.DataFrame,
    permits: pd.DataFrame,
    *,
    as_of: pd.Timestamp,
    window_days: int,
    marker: tuple[object, ...] = (),
) -> WarehouseState:
    """Snapshots as of `as_of`, office volumes and the recent window's features."""
    history = declarations[declarations["declaration_date"] < as_of]
    snapshots = build_snapshots(history, inspections, as_of, permits=permits)
    start = as_of - pd.Timedelta(days=window_days)
    window = history[history["declaration_date"] >= start].reset_index(drop=True)
    return WarehouseState(
        snapshots=snapshots,
        daily_volume=_daily_volume(window, window_days),
        recent=_recent_features(history, inspections, permits, window, start),
        marker=marker,
    )


def _daily_volume(window: pd.DataFrame, days: int) -> pd.Series:
    return window.groupby("customs_office").size().astype(float) / days


def _recent_features(
    history: pd.DataFrame,
    inspections: pd.DataFrame,
    permits: pd.DataFrame,
    window: pd.DataFrame,
    start: pd.Timestamp,
) -> pd.DataFrame:
    """The window's rows featurised as of its first day, with their office."""
    if window.empty:
        return pd.DataFrame()
    start = max(start, window["declaration_date"].min())
    earlier = build_snapshots(history, inspections, start, permits=permits)
    features = build_scoring_features(window, earlier)
    return features.assign(customs_office=window["customs_office"].to_numpy())
