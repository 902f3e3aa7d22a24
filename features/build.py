"""The two execution paths over one feature definition.

* `build_training_features(declarations, inspections)`: every row as of its own date, over the
  whole history (what a model is trained on).
* `build_snapshots(declarations, inspections, as_of)` then `build_scoring_features(batch,
  snapshots)`: a new batch joined to the state as of a date (what batch scoring runs).

Point-in-time rule (day granularity): a row dated t sees declarations dated before t and
inspection results recorded before t; rows of the same day never see each other. A scoring row
sees the snapshot's state, i.e. everything before `as_of`; `as_of` must not be after the batch's
earliest date. For a one-day batch at t with `as_of = t`, both paths give the same features.

Only the history part differs between the paths (`history.asof_states` versus
`history.snapshot_tables` + `history.join_states`, and the monthly description model); every
feature is then computed from the same per-row functions in `_assemble`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import clone

from features.catalogue import CATALOGUE
from features.description import description_features
from features.history import asof_states, join_states, snapshot_tables
from features.outcomes import outcome_features
from features.party import party_features
from features.permits import empty_register, permit_features
from features.prepare import day_numbers, prepare
from features.route import route_features
from features.size import size_features
from features.tables import IMPORT_BANS, ImportBan
from features.tariff import tariff_features
from features.text_model import MISMATCH_COLUMNS, DescriptionMismatch, rolling_mismatch
from features.value import value_features

#: Columns that identify a row of the feature frame; they are not features.
KEY_COLUMNS = ("declaration_id", "declaration_date")
#: Declaration columns carried along so `catalogue.describe` can name codes and countries.
CONTEXT_COLUMNS = (
    "hs_code",
    "origin_country",
    "consignment_country",
    "transit_countries",
    "destination_country",
)


@dataclass(frozen=True)
class Snapshots:
    """History state as of a date: per-key tables and the fitted description model."""

    as_of: pd.Timestamp
    tables: dict[str, pd.DataFrame] = field(repr=False)
    description_model: DescriptionMismatch = field(repr=False)
    description_cut: pd.Timestamp
    import_bans: tuple[ImportBan, ...] = IMPORT_BANS
    #: The permit register; each row counts for a declaration only from its `recorded_on` on.
    permits: pd.DataFrame = field(default_factory=empty_register, repr=False)


def model_cut(as_of: pd.Timestamp) -> pd.Timestamp:
    """Cut date of the description model used on `as_of`: the first day of its month."""
    return as_of.to_period("M").start_time


def _assemble(
    prepared: pd.DataFrame,
    state: pd.DataFrame,
    mismatch: np.ndarray,
    *,
    bans: Sequence[ImportBan],
    permits: pd.DataFrame,
) -> pd.DataFrame:
    """Every catalogued feature from prepared rows, their history state and mismatch scores."""
    tariff = tariff_features(prepared)
    families = [
        tariff,
        permit_features(prepared, state, permits, tariff["permit_expected"].to_numpy()),
        route_features(prepared, state, bans=bans),
        value_features(prepared, state, tariff["permit_present"].to_numpy()),
        party_features(prepared, state),
        description_features(prepared),
        outcome_features(state),
        size_features(prepared),
        pd.DataFrame(mismatch.reshape(-1, 2), columns=list(MISMATCH_COLUMNS)),
    ]
    values = {name: family[name].to_numpy() for family in families for name in family.columns}
    columns = {
        name: prepared[name].reset_index(drop=True) for name in (*KEY_COLUMNS, *CONTEXT_COLUMNS)
    }
    for entry in CATALOGUE:
        columns[entry.name] = pd.Series(values[entry.name].astype(entry.dtype, copy=False))
    return pd.DataFrame(columns)


def build_training_features(
    declarations: pd.DataFrame,
    inspections: pd.DataFrame,
    *,
    description_model: DescriptionMismatch | None = None,
    import_bans: Sequence[ImportBan] = IMPORT_BANS,
    permits: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Features of every declaration as of its own date (one row per `declaration_id`).

    Args:
        declarations: canonical declarations, the whole history.
        inspections: canonical inspection results; each counts from its `inspection_date`.
        description_model: an unfitted `DescriptionMismatch` with the options to use.
        import_bans: the dated import-ban table (default: the real-world one in `tables`).
        permits: the canonical permit register (default: none, so the permit checks are neutral).
    """
    prepared = prepare(declarations)
    state = asof_states(prepared, inspections)
    mismatch = rolling_mismatch(prepared, description_model or DescriptionMismatch())
    register = empty_register() if permits is None else permits
    return _assemble(prepared, state, mismatch, bans=import_bans, permits=register)


def build_snapshots(
    declarations: pd.DataFrame,
    inspections: pd.DataFrame,
    as_of: str | pd.Timestamp,
    *,
    description_model: DescriptionMismatch | None = None,
    import_bans: Sequence[ImportBan] = IMPORT_BANS,
    permits: pd.DataFrame | None = None,
) -> Snapshots:
    """State tables of everything known strictly before `as_of`, plus the description model.

    The inputs may extend past `as_of`: later declarations and results are ignored. The options
    are those of `build_training_features` and travel with the snapshots to scoring.
    """
    cut_day = pd.Timestamp(as_of).normalize()
    history = declarations[declarations["declaration_date"] < cut_day]
    known = inspections[inspections["inspection_date"] < cut_day]
    prepared = prepare(history)
    tables = snapshot_tables(prepared, known, as_of_day=int(day_numbers([cut_day])[0]))
    cut = model_cut(cut_day)
    model = clone(description_model or DescriptionMismatch())
    before = (prepared["declaration_date"] < cut).to_numpy()
    model.fit_texts(prepared["text"].array[before], prepared["hs4"].to_numpy()[before])
    register = empty_register() if permits is None else permits.reset_index(drop=True)
    return Snapshots(cut_day, tables, model, cut, tuple(import_bans), register)


def build_scoring_features(batch: pd.DataFrame, snapshots: Snapshots) -> pd.DataFrame:
    """Features of a new batch from the snapshots (one row per `declaration_id`).

    For a few rows at a time (the scoring service), `features.online.OnlineFeatures` gives the
    same frame without the fixed cost of pandas operations.
    """
    if (batch["declaration_date"] < snapshots.as_of).any():
        raise ValueError(
            f"batch has declarations dated before the snapshot date {snapshots.as_of.date()}; "
            "build the snapshots as of the batch's earliest date"
        )
    prepared = prepare(batch)
    state = join_states(prepared, snapshots.tables)
    model = snapshots.description_model
    mismatch = model.score_texts(prepared["text"].array, prepared["hs4"].to_numpy())
    return _assemble(
        prepared, state, mismatch, bans=snapshots.import_bans, permits=snapshots.permits
    )
