"""What officers see of a score table: lanes and reasons, never why a row was selected.

An officer who knows a declaration is a random check inspects it less carefully, and the random
stream is only worth something if its inspections are as thorough as the others. So the
officers' table drops `selection_reason` and `selection_propensity` (a random pick's propensity
is below one), and the model's probabilities (a random pick's low risk among high ones gives it
away); every red row simply reads "selected for inspection". The analyst's `scores.parquet`
keeps everything.
"""

from __future__ import annotations

import pandas as pd

from data_contracts.schemas import SCORE_COLUMNS

#: Columns that would tell a random check from a targeted one.
HIDDEN = ("selection_reason", "selection_propensity")
SELECTED = "selected for inspection"


def officer_columns(scores: pd.DataFrame) -> list[str]:
    """The score columns an officer may see, in canonical order."""
    hidden = {*HIDDEN, *(c for c in scores.columns if c.startswith("p_")), "risk_score"}
    known = [c.name for c in SCORE_COLUMNS if c.name in scores.columns]
    extra = [c for c in scores.columns if c not in known]
    return [c for c in (*known, *extra) if c not in hidden]


def officer_view(scores: pd.DataFrame) -> pd.DataFrame:
    """The officers' score table: `action` ("selected for inspection" for red rows, "document
    check" for yellow ones, "" for green) with lane, profiles and reasons; nothing that tells a
    random check from a targeted one. Rows keep their order; `scores` is not changed."""
    action = scores["lane"].map({"red": SELECTED, "yellow": "documentary check"}).fillna("")
    view = scores[officer_columns(scores)]
    return view.assign(action=action.astype("str"))[["declaration_id", "action", *view.columns[1:]]]
