"""Declarations as month-partitioned Parquet, so a cluster reads only the months it needs.

Layout (hive style): `<root>/declaration_month=YYYY-MM/part-0.parquet`, rows sorted by date and
id inside a month. Exporting a month again replaces its files. Readers take a list of months and
open exactly those folders; the rows come back in canonical columns and dtypes.

`gcrisk export --out ROOT` writes the warehouse's declarations in this layout
(`export_declarations`); `pipelines.cluster.scoring.read_batch(ROOT, months)` reads months on a
Dask cluster and `read_partitions` with pandas.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds

from pipelines.settings import WarehouseLocation
from pipelines.storage.tables import canonical_frame, select_canonical
from pipelines.storage.warehouse import Warehouse

PARTITION_COLUMN = "declaration_month"
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


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
    warehouse: WarehouseLocation, root: Path, *, since: str | None = None, until: str | None = None
) -> dict[str, int]:
    """Export the warehouse's declarations of months `since`..`until` ('YYYY-MM', both included;
    default: every month) as month partitions; returns the rows written per month.

    One month at a time: DuckDB writes each month's file itself (`COPY ... TO`), so the table
    never passes through pandas; from PostgreSQL a month comes back as Arrow (`COPY ... TO
    STDOUT`) and pyarrow writes it. Either way memory is bounded by a month. A partition always
    holds a whole month; exporting a month again replaces it.

    Raises:
        ValueError: `since` or `until` is not a month written YYYY-MM.
    """
    bounds = [(">=", since), ("<=", until)]
    for _, month in bounds:
        if month is not None and not _MONTH.fullmatch(month):
            raise ValueError(f"not a month (YYYY-MM): {month!r}")
    params = [month for _, month in bounds if month is not None]
    with Warehouse(warehouse, read_only=True) as store:
        month_sql = store.month_of("declaration_date")
        conditions = [f"{month_sql} {op} ?" for op, month in bounds if month is not None]
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        counts = store.query(
            f"SELECT {month_sql} AS month, count(*) AS n FROM declarations {where} "  # noqa: S608
            "GROUP BY month ORDER BY month",
            params,
        )
        for month in counts["month"]:
            if not _MONTH.fullmatch(str(month)):
                raise ValueError(f"unexpected declaration month {month!r}")
            folder = root / f"{PARTITION_COLUMN}={month}"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            # `month` is checked YYYY-MM text, so it is safe to inline: DuckDB takes no
            # parameters in COPY.
            store.write_parquet(
                f"SELECT {select_canonical('declarations')} FROM declarations "  # noqa: S608
                f"WHERE {month_sql} = '{month}' ORDER BY declaration_date, declaration_id",
                folder / "part-0.parquet",
            )
    return {str(month): int(rows) for month, rows in zip(counts["month"], counts["n"], strict=True)}


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


def canonical_partition(frame: pd.DataFrame) -> pd.DataFrame:
    """One partition's rows in canonical declaration columns and dtypes (month column dropped)."""
    return canonical_frame(frame, "declarations").reset_index(drop=True)


def read_partitions(root: Path, months: Sequence[str]) -> pd.DataFrame:
    """Declarations of `months` with pandas (the files of other months are never opened)."""
    files = partition_files(root, months)
    parts = [canonical_partition(pd.read_parquet(path)) for path in files]
    return pd.concat(parts, ignore_index=True)
