"""A simulated world split at a day into what a unit knows and the batch it receives."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv


def write_split(
    declarations: pd.DataFrame, results: pd.DataFrame, cutoff: pd.Timestamp, work: Path
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Write history.parquet (declarations before `cutoff`), known.parquet (their inspection
    `results` dated before it) and batch.csv (the rest, dates as text, as a unit receives
    them); return the history and the batch."""
    frame = declarations
    past = frame[frame["declaration_date"] < cutoff]
    batch = frame[frame["declaration_date"] >= cutoff]
    known = results[
        (results["inspection_date"] < cutoff)
        & results["declaration_id"].isin(past["declaration_id"])
    ]
    past.to_parquet(work / "history.parquet")
    known.to_parquet(work / "known.parquet")
    text = batch.assign(declaration_date=batch["declaration_date"].dt.strftime("%Y-%m-%d"))
    pacsv.write_csv(pa.Table.from_pandas(text, preserve_index=False), work / "batch.csv")
    return past, batch
