"""Inspect what a new targeting policy selected, in the simulated world.

The world's own inspections come from its legacy policy. To close the loop for a new policy
(score a batch, inspect its red lane, feed the results back), the simulated officers open the
selected containers: an illicit shipment is found with the world's detection probability and
labelled with its category; a legitimate one is clean, except for the ordinary revenue offences
('other') that inspections also turn up.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data_contracts.schemas import INSPECTION_COLUMNS, PANDAS_DTYPES

_REASONS = {"rule": "rule", "model": "model", "random": "random"}


def inspect_selection(
    selected: pd.DataFrame,
    truth: pd.DataFrame,
    *,
    detection_probability: float,
    other_violation_rate: float = 0.02,
    seed: int = 0,
) -> pd.DataFrame:
    """Canonical inspection results for the selected declarations.

    Args:
        selected: `declaration_id`, `declaration_date`, `selection_reason`,
            `selection_propensity` of the declarations a policy chose to inspect.
        truth: the world's hidden truth (`declaration_id`, `is_illicit`, `category`).
        detection_probability: chance an inspection finds an illicit shipment.
        other_violation_rate: chance a legitimate shipment shows a revenue offence.
        seed: seed of the officers' luck and of the result delays.
    """
    rng = np.random.default_rng(seed)
    facts = truth.set_index("declaration_id").reindex(selected["declaration_id"])
    illicit = facts["is_illicit"].fillna(False).to_numpy(dtype=bool)
    found = illicit & (rng.random(len(selected)) < detection_probability)
    other = ~illicit & (rng.random(len(selected)) < other_violation_rate)
    category = np.where(found, facts["category"].astype("str").to_numpy(), "none")
    category = np.where(other, "other", category)
    lag = pd.to_timedelta(rng.integers(3, 31, len(selected)), unit="D")
    frame = pd.DataFrame(
        {
            "declaration_id": selected["declaration_id"].to_numpy(),
            "inspection_date": (selected["declaration_date"] + lag).to_numpy(),
            "selection_reason": selected["selection_reason"].map(_REASONS).to_numpy(),
            "selection_propensity": selected["selection_propensity"].to_numpy(dtype=float),
            "outcome": np.where(found | other, "violation", "clean"),
            "violation_category": category,
            "notes": np.where(found, "seized on inspection", ""),
        }
    )
    dtypes = {column.name: PANDAS_DTYPES[column.type] for column in INSPECTION_COLUMNS}
    return frame.astype(dtypes)
