"""Two targeting policies side by side, judged by the hidden truth of a simulated world."""

from __future__ import annotations

import pandas as pd
from pydantic import BaseModel

from data_contracts.schemas import RISK_CATEGORIES


class PolicyResult(BaseModel):
    """What one targeting policy inspected in the scored month and what it caught."""

    policy: str
    inspected: int
    illicit_inspected: int
    found: int
    by_category: dict[str, int]


def policy_result(name: str, inspections: pd.DataFrame, truth: pd.DataFrame) -> PolicyResult:
    """Inspections of one policy against the truth indexed by declaration_id.

    `illicit_inspected` counts what the truth says was there; `found` what the officers
    recorded as an environmental violation (they miss some).
    """
    facts = truth.reindex(inspections["declaration_id"])
    illicit = facts["is_illicit"].fillna(False).astype(bool)
    found = inspections["outcome"].eq("violation") & inspections["violation_category"].isin(
        RISK_CATEGORIES
    )
    categories = facts.loc[illicit.to_numpy(), "category"].value_counts()
    return PolicyResult(
        policy=name,
        inspected=len(inspections),
        illicit_inspected=int(illicit.sum()),
        found=int(found.sum()),
        by_category={c: int(categories.get(c, 0)) for c in ("waste", "ods", "wildlife")},
    )
