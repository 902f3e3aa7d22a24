"""Sort incoming inspection results against the recorded ones, and hit rates per group.

A declaration keeps its first recorded result: a re-sent identical result changes nothing, a
different one is quarantined as a conflict for a person to settle, and a result for a
declaration the warehouse has never seen is quarantined too (its declaration may come later;
the row stays in the quarantine table to be sent again).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from data_contracts.schemas import RISK_CATEGORIES

REASON = "quarantine_reason"
UNKNOWN_DECLARATION = "declaration not in the warehouse (no declaration with this id was ingested)"
NOT_SCORED = "(not scored)"
NO_PROFILE = "(none)"
#: A fired profile that cites no indicator, or is no longer in the unit's set.
NO_INDICATOR = "(no indicator)"
#: Group columns of the hit-rate tables, in report order.
BREAKDOWNS = {
    "lane": "lane",
    "selection_reason": "selection reason",
    "profile": "profile",
    "indicator": "indicator",
    "shadow_profile": "shadow profile",
    "model_version": "model version",
}
_LISTS = ("profile", "indicator", "shadow_profile")


@dataclass(frozen=True)
class Triage:
    """Incoming valid results sorted by what the warehouse already knows."""

    new: pd.DataFrame
    repeated: pd.DataFrame
    conflicts: pd.DataFrame
    unknown: pd.DataFrame

    def quarantine(self) -> pd.DataFrame:
        """Conflicts and unknown declarations as text rows with their reason."""
        return pd.concat([as_text(self.conflicts), as_text(self.unknown)], ignore_index=True)


def triage(incoming: pd.DataFrame, recorded: pd.DataFrame, known_ids: pd.Series) -> Triage:
    """Split valid incoming results into new, identical repeats, conflicts and unknown ids.

    Args:
        incoming: valid inspection results (canonical).
        recorded: results already in the warehouse for (at least) the incoming ids.
        known_ids: ids of the incoming declarations that the warehouse holds.
    """
    unknown = ~incoming["declaration_id"].isin(known_ids)
    first = recorded.set_index("declaration_id").reindex(incoming["declaration_id"])
    seen = first["outcome"].notna().to_numpy() & ~unknown.to_numpy()
    same = (first["outcome"].to_numpy() == incoming["outcome"].to_numpy()) & (
        first["violation_category"].to_numpy() == incoming["violation_category"].to_numpy()
    )
    conflict = seen & ~same
    reasons = (
        "conflicts with the result recorded on "
        + first["inspection_date"].dt.strftime("%Y-%m-%d").fillna("?")
        + ": "
        + first["outcome"].astype("str")
        + "/"
        + first["violation_category"].astype("str")
    ).to_numpy()
    return Triage(
        new=incoming[~seen & ~unknown.to_numpy()].reset_index(drop=True),
        repeated=incoming[seen & same].reset_index(drop=True),
        conflicts=incoming[conflict].assign(**{REASON: reasons[conflict]}).reset_index(drop=True),
        unknown=incoming[unknown].assign(**{REASON: UNKNOWN_DECLARATION}).reset_index(drop=True),
    )


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as text (dates as YYYY-MM-DD), like a received CSV; missing as ''."""
    columns = {}
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_datetime64_any_dtype(values):
            columns[name] = values.dt.strftime("%Y-%m-%d").fillna("")
        else:
            columns[name] = values.astype("str").where(values.notna(), "")
    return pd.DataFrame(columns, index=frame.index).astype("str")


def hit_rates(
    results: pd.DataFrame, indicators: Mapping[str, Sequence[str]] | None = None
) -> dict[str, pd.DataFrame]:
    """Results, violations and environmental violations (waste, ODS, wildlife) per group.

    By indicator, a result counts once for every indicator its fired profiles cite
    (`indicators`: profile id -> indicator ids); a row no profile fired on is `(none)`. By
    shadow profile, the results of rows a draft or unapproved profile fired on: what it would
    have found among what was inspected anyway.
    """
    violation = results["outcome"].astype("str").eq("violation")
    environmental = violation & results["violation_category"].isin(RISK_CATEGORIES)
    base = pd.DataFrame(
        {
            "lane": results["lane"].fillna(NOT_SCORED).astype("str"),
            "selection_reason": results["selection_reason"].astype("str"),
            "profile": _ids(results["rules_fired"]),
            "shadow_profile": _ids(results.get("shadow_fired", pd.Series("", results.index))),
            "model_version": results["model_version"].fillna(NOT_SCORED).astype("str"),
            "violation": violation.to_numpy(),
            "environmental": environmental.to_numpy(),
        }
    )
    base["indicator"] = base["profile"].map(lambda ids: cited(ids, indicators or {}))
    return {
        name: _rates(base.explode(name) if name in _LISTS else base, name) for name in BREAKDOWNS
    }


def _ids(fired: pd.Series) -> pd.Series:
    """Pipe-joined profile ids as lists, `[NO_PROFILE]` where none fired."""
    return fired.fillna("").astype("str").replace("", NO_PROFILE).str.split("|")


def cited(profiles: list[str], indicators: Mapping[str, Sequence[str]]) -> list[str]:
    """The indicators the fired `profiles` cite, each once, in order."""
    if profiles == [NO_PROFILE]:
        return [NO_PROFILE]
    found = [i for p in profiles for i in (indicators.get(p) or [NO_INDICATOR])]
    return list(dict.fromkeys(found))


def _rates(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    grouped = frame.groupby(by, sort=True)
    table = pd.DataFrame(
        {
            "results": grouped.size(),
            "violations": grouped["violation"].sum(),
            "environmental": grouped["environmental"].sum(),
        }
    )
    table["hit_rate"] = (table["violations"] / table["results"]).round(4)
    table["environmental_rate"] = (table["environmental"] / table["results"]).round(4)
    return table.reset_index().astype({"results": int, "violations": int, "environmental": int})
