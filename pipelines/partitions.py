"""Declarations as month-partitioned Parquet, so a cluster reads only the months it needs.

Layout (hive style): `<root>/declaration_month=YYYY-MM/part-0.parquet`, rows sorted by date and
id inside a month. Exporting a month again replaces its files. Readers take a list of months and
open exactly those folders; the rows come back in canonical columns and dtypes.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds

from pipelines.warehouse import Warehouse
from pipelines.warehouse_tables import canonical_frame

PARTITION_COLUMN = "declaration_month"


def month_of(dates: pd.Series) -> pd.Series:
    """The partition value ('YYYY-MM') of each date."""
    return dates.dt.strftime("%Y-%m").astype("str")


def write_partitions(declarations: pd.DataFrame, root: Path) -> list[str]:
    """Write canonical declarations under `root`, one folder per month; returns the months."""
    frame = canonical_frame(declarations, "declarations").sort_values(
        ["declaration_date", "declaration_id"], kind="stable"
    )
    frame = frame.assign(**{PARTITION_COLUMN: month_of(frame["declaration_date"])})
    table = pa.Table.from_pandas(frame, preserve_index=False)
    partitioning = ds.partitioning(pa.schema([(PARTITION_COLUMN, pa.string())]), flavor="hive")
    ds.write_dataset(
        table,
        root,
        format="parquet",
        partitioning=partitioning,
        basename_template="part-{i}.parquet",
        # Only the months in this export are replaced; other months stay as they were.
        existing_data_behavior="delete_matching",
    )
    return sorted(frame[PARTITION_COLUMN].unique().tolist())


def export_declarations(
    warehouse: Path,
    root: Path,
    *,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
) -> list[str]:
    """Export the warehouse's declarations dated in [since, until) as month partitions."""
    with Warehouse(warehouse, read_only=True) as store:
        declarations = store.read_declarations(until=until)
    if since is not None:
        declarations = declarations[declarations["declaration_date"] >= pd.Timestamp(since)]
    return write_partitions(declarations, root)


def available_months(root: Path) -> list[str]:
    """Months present under `root`, in order."""
    prefix = f"{PARTITION_COLUMN}="
    return sorted(p.name.removeprefix(prefix) for p in root.glob(f"{prefix}*") if p.is_dir())


def partition_files(root: Path, months: Iterable[str]) -> list[Path]:
    """The Parquet files of exactly these months, in month order (a missing month is an error).

    Raises:
        FileNotFoundError: a requested month has no partition under `root`.
    """
    files: list[Path] = []
    for month in sorted(set(months)):
        folder = root / f"{PARTITION_COLUMN}={month}"
        found = sorted(folder.glob("*.parquet"))
        if not found:
            raise FileNotFoundError(f"{root}: no declarations partition for month {month}")
        files.extend(found)
    return files


def months_between(start: datetime.date, end: datetime.date) -> list[str]:
    """Every month touched by [start, end] as 'YYYY-MM'."""
    periods = pd.period_range(pd.Timestamp(start), pd.Timestamp(end), freq="M")
    return [str(p) for p in periods]


def canonical_partition(frame: pd.DataFrame) -> pd.DataFrame:
    """One partition's rows in canonical declaration columns and dtypes (month column dropped)."""
    return canonical_frame(frame, "declarations").reset_index(drop=True)


def read_partitions(root: Path, months: Sequence[str]) -> pd.DataFrame:
    """Declarations of `months` with pandas (the files of other months are never opened)."""
    files = partition_files(root, months)
    parts = [canonical_partition(pd.read_parquet(path)) for path in files]
    return pd.concat(parts, ignore_index=True)
