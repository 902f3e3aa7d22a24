"""Batch scoring on a Dask cluster with the same pure phases as `models.scoring.score_batch`.

Only this module knows about Dask dataframes. Each partition builds its features
(`build_scoring_features`) and runs `predict_and_flag` (the model, sent once to every worker:
its boosters travel as model text, compiled ones load their native code on the worker or
compile it there, `models.compiled`); the client then
collects only the selection pool and runs `assign_lanes` once over the whole batch, so capacity is
a global top-k exactly as in pandas (never per-partition quotas). `explain_flagged` runs on the
workers for the red and yellow rows only, and `assemble` builds the table. Feature drift (PSI
against the model's training reference) sums per-partition bin counts, so it equals the pandas
figure.

`GCRISK_DASK_SCHEDULER` chooses the cluster: a scheduler address (`tcp://host:8786`), `local` for
a `LocalCluster` on this machine, or unset for plain pandas (`pipelines.cluster.client`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from data_contracts.schemas import PANDAS_DTYPES, SCORE_COLUMNS
from features import Snapshots, build_scoring_features
from models.explain import Describe
from models.monitoring import FeatureReference
from models.risk_model import RiskModel
from models.rules import NO_PROFILES, ProfileSet
from models.scoring import (
    PROFILES_ONLY,
    assemble,
    assign_lanes,
    explain_flagged,
    flagged_rows,
    predict_and_flag,
    row_scores,
)
from models.selection import SelectionConfig
from pipelines.storage.partitions import canonical_partition, partition_files

#: Prefix of the selection pool's columns in a partition's scores: the client collects only
#: those (and `declaration_id`) for the global selection; the rest stays on the workers.
POOL_PREFIX = "pool_"
DRIFT_DTYPES = {"feature": "str", "bin": "int64", "rows": "int64"}
_NO_COUNTS = pd.DataFrame({name: pd.Series(dtype=kind) for name, kind in DRIFT_DTYPES.items()})


@dataclass(frozen=True)
class PartitionedScores:
    """The canonical score table of a batch, and the PSI of each model feature against the
    model's training reference (largest first; empty without a model or reference)."""

    table: pd.DataFrame
    drift: pd.Series


def read_batch(root: Path, months: Sequence[str]) -> Any:
    """A `dask.dataframe` of the declarations of `months` (one partition per month file)."""
    return read_files(partition_files(root, months))


def read_files(files: Sequence[Path]) -> Any:
    """A `dask.dataframe` of canonical declarations, one partition per Parquet file."""
    import dask.dataframe as dd

    frame = dd.read_parquet([str(path) for path in files], split_row_groups=False)
    return frame.map_partitions(canonical_partition)


def _features(batch: pd.DataFrame, snapshots: Snapshots) -> pd.DataFrame:
    features = build_scoring_features(batch, snapshots)
    offices = batch.set_index("declaration_id")["customs_office"]
    return features.assign(customs_office=offices.reindex(features["declaration_id"]).to_numpy())


def score_and_count(
    batch: pd.DataFrame,
    snapshots: Snapshots,
    model: RiskModel | None,
    profiles: ProfileSet,
    shadow: ProfileSet,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One partition's `row_scores` and selection pool (its columns prefixed `pool_`), and the
    rows per bin of each model feature against the model's drift reference (`feature`, `bin`,
    `rows`; empty without one): the features are built once for both."""
    # Dask may hand over text as NA-valued strings; the feature functions expect canonical dtypes.
    features = _features(canonical_partition(batch), snapshots)
    probabilities, pool, fired = predict_and_flag(features, model, profiles)
    scores = pd.concat(
        [row_scores(features, probabilities, fired, shadow), pool.add_prefix(POOL_PREFIX)],
        axis=1,
    )
    reference = model.reference if model is not None else None
    return scores, _bin_counts(features, reference)


def reasons_partition(
    batch: pd.DataFrame,
    flagged: pd.Index,
    snapshots: Snapshots,
    model: RiskModel | None,
    profiles: ProfileSet,
    describe: Describe,
) -> pd.DataFrame:
    """`declaration_id`, `reasons` of the partition's red and yellow rows (as in score_batch)."""
    rows = canonical_partition(batch[batch["declaration_id"].isin(flagged)])
    if rows.empty:
        return pd.DataFrame({"declaration_id": rows["declaration_id"], "reasons": ""}).astype(
            {"reasons": "str"}
        )
    features = _features(rows, snapshots).reset_index(drop=True)
    probabilities, _, fired = predict_and_flag(features, model, profiles)
    every_row = np.ones(len(features), dtype=bool)
    reasons = explain_flagged(
        features, fired, probabilities, every_row, model=model, profiles=profiles, describe=describe
    )
    return pd.DataFrame({"declaration_id": features["declaration_id"], "reasons": reasons}).astype(
        {"reasons": "str"}
    )


def _bin_counts(features: pd.DataFrame, reference: FeatureReference | None) -> pd.DataFrame:
    """Rows per bin of each referenced feature (`feature`, `bin`, `rows`): they add up over
    partitions, so their sum gives exactly the PSI of the whole batch."""
    if reference is None:
        return _NO_COUNTS
    parts = [
        pd.DataFrame({"feature": name, "bin": np.arange(len(rows)), "rows": rows})
        for name in reference.shares
        if name in features
        for rows in [reference.counts(features[name], name)]
    ]
    return pd.concat([_NO_COUNTS, *parts], ignore_index=True).astype(DRIFT_DTYPES)


def _psi(counts: list[pd.DataFrame], reference: FeatureReference | None) -> pd.Series:
    """PSI of every model feature from the partitions' bin counts (empty without a reference)."""
    if reference is None:
        return pd.Series(dtype="float64")
    summed = pd.concat(counts).groupby(["feature", "bin"], sort=True)["rows"].sum()
    return reference.psi_of_counts(
        {str(name): rows.to_numpy() for name, rows in summed.groupby(level="feature")}
    )


def _as_dask(batch: Any, *, npartitions: int) -> Any:
    import dask.dataframe as dd

    if isinstance(batch, pd.DataFrame):
        return dd.from_pandas(batch, npartitions=npartitions, sort=False)
    return batch


def score_partitioned(
    batch: Any,
    snapshots: Snapshots,
    *,
    client: Any,
    model: RiskModel | None,
    profiles: ProfileSet,
    describe: Describe,
    selection: SelectionConfig,
    capacity_per_office: pd.Series | None = None,
    model_version: str = PROFILES_ONLY,
    scored_at: pd.Timestamp,
    shadow: ProfileSet = NO_PROFILES,
    npartitions: int = 2,
) -> PartitionedScores:
    """The canonical score table of `batch`, equal to `score_batch` on the same rows, and the
    batch's feature drift against the model's reference, equal to pandas' PSI.

    Args:
        batch: canonical declarations, a pandas frame (split into `npartitions`) or a
            `dask.dataframe` (e.g. from `read_batch`); rows keep their order.
        snapshots: history state as of the batch's first day, sent once to every worker.
        client: a `distributed.Client` (see `pipelines.cluster.client.dask_client`).
        model, profiles, describe, selection, capacity_per_office, model_version, scored_at,
        shadow: as in `models.scoring.score_batch`.
        npartitions: partitions of a pandas `batch`.
    """
    import dask
    import dask.dataframe as dd

    frame = _as_dask(batch, npartitions=npartitions)
    # Big inputs go to every worker once, not once per task. Keys are unique (hash=False): with
    # content keys, scattering the same inputs again shares their key, and releasing one set of
    # futures drops the data under the other.
    snapshots_f, model_f = client.scatter([snapshots, model], broadcast=True, hash=False)
    sample = frame.partitions[0].head(2, compute=True)
    meta = score_and_count(sample, snapshots, model, profiles, shadow)[0].iloc[:0]
    # One pass per partition gives its scores and its drift bin counts, kept on the workers.
    passes = [
        dask.delayed(score_and_count, nout=2)(part, snapshots_f, model_f, profiles, shadow)
        for part in frame.to_delayed()
    ]
    kept = client.persist([*(scores for scores, _ in passes), *(counts for _, counts in passes)])
    partial = dd.from_delayed(kept[: len(passes)], meta=meta, verify_meta=False)
    reference = model.reference if model is not None else None
    drift = _psi(client.gather(client.compute(kept[len(passes) :])), reference)
    pooled = [column for column in meta.columns if column.startswith(POOL_PREFIX)]
    pool = partial[pooled].compute().reset_index(drop=True)
    pool.columns = [column.removeprefix(POOL_PREFIX) for column in pooled]
    lanes = assign_lanes(pool, selection=selection, capacity_per_office=capacity_per_office)
    flagged = pd.Index(pool.loc[flagged_rows(lanes), "declaration_id"])
    [flagged_f] = client.scatter([flagged], broadcast=True, hash=False)
    reasons_meta = pd.DataFrame({"declaration_id": [], "reasons": []}).astype("str")
    reasons = frame.map_partitions(
        reasons_partition, flagged_f, snapshots_f, model_f, profiles, describe, meta=reasons_meta
    ).compute()
    scored = partial.drop(columns=pooled).compute().reset_index(drop=True)
    by_id = reasons.set_index("declaration_id")["reasons"]
    table = assemble(
        scored,
        lanes,
        pd.Series(by_id.reindex(scored["declaration_id"]).fillna("").to_numpy(), dtype="str"),
        model_version=model_version if model is not None else PROFILES_ONLY,
        scored_at=scored_at,
    )
    # Text as pandas' default "str" dtype, whatever string dtype Dask carried it in.
    text = {c.name: "str" for c in SCORE_COLUMNS if PANDAS_DTYPES[c.type] == "str"}
    return PartitionedScores(table.astype(text), drift)
