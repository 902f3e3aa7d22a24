"""Row rules of the permit register that compare a column with the row's kind or status.

GX can only check these row by row in Python, so they run in numpy after the suite, like the HS
edition rule of the declarations (`suites.ROW_RULES` names them and their reasons).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data_contracts.schemas import QUOTA_KIND

HOLDER_REASON = "holder_id missing (every kind but a quota has a holder)"
HS_REASON = "hs_codes missing (every kind but a quota covers HS codes)"
QUOTA_UNIT_REASON = "a montreal_import_quota is counted in kg"
STATUS_REASON = "status and cancelled_on inconsistent (cancelled if and only if cancelled_on given)"
REASONS = (HOLDER_REASON, HS_REASON, QUOTA_UNIT_REASON, STATUS_REASON)
#: Semicolon-separated HS4 or HS6 prefixes (or empty).
HS_PREFIXES_REGEX = r"^([0-9]{4}([0-9]{2})?(;[0-9]{4}([0-9]{2})?)*)?$"


def hs_prefixes_as_text(values: pd.Series) -> pd.Series:
    """A column of HS prefix lists (Parquet list cells) as semicolon-separated text; text as is."""
    listed = values.map(lambda cell: isinstance(cell, (list, tuple, np.ndarray)))
    if not listed.any():
        return values
    joined = values[listed].map(lambda cell: ";".join(str(code).strip() for code in cell))
    return values.astype(object).mask(listed, joined)


def permit_failures(canonical: pd.DataFrame) -> dict[str, np.ndarray]:
    """Boolean mask of failing rows for each rule (rows of unreadable cells may also fail)."""
    quota = (canonical["kind"] == QUOTA_KIND).to_numpy()
    holder = (canonical["holder_id"].astype("str") != "").to_numpy()
    hs = (canonical["hs_codes"].astype("str") != "").to_numpy()
    cancelled = (canonical["status"] == "cancelled").to_numpy()
    dated = canonical["cancelled_on"].notna().to_numpy()
    return {
        HOLDER_REASON: ~quota & ~holder,
        HS_REASON: ~quota & ~hs,
        QUOTA_UNIT_REASON: quota & (canonical["unit"] != "kg").to_numpy(),
        STATUS_REASON: cancelled != dated,
    }
