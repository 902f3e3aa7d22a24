"""Route family: range/source states, transit hubs, import bans, rarity of the route."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from features import tables

_CATEGORIES = ("waste", "ods", "wildlife")


def _in_category_set(prepared: pd.DataFrame, column: str, part: str) -> np.ndarray:
    """Whether `column` is in the documented `part` list of the row's own regime category."""
    out = np.zeros(len(prepared), dtype=bool)
    sets = tables.route_sets()
    for category in _CATEGORIES:
        mine = (prepared["category"] == category).to_numpy()
        out |= mine & prepared[column].isin(sets[category][part]).to_numpy()
    return out


def _transit_table(transits: pd.Series) -> tuple[np.ndarray, pd.DataFrame]:
    """Codes of distinct transit lists and, per list: count, any hub, hub of each category."""
    codes, uniques = pd.factorize(transits.astype("str").fillna(""))
    lists = [frozenset(filter(None, str(u).split("|"))) for u in uniques]
    sets = tables.route_sets()
    table = pd.DataFrame(
        {
            "count": np.array([len(countries) for countries in lists], dtype=np.int64),
            "any": np.array([bool(c & tables.all_hubs()) for c in lists], dtype=bool),
            **{
                cat: np.array([bool(c & sets[cat]["transit"]) for c in lists], dtype=bool)
                for cat in _CATEGORIES
            },
        }
    )
    return codes, table


def transit_features(prepared: pd.DataFrame) -> dict[str, np.ndarray]:
    """Transit count and hubs; a consignment country other than the origin counts as a stop."""
    codes, table = _transit_table(prepared["transit_countries"])
    consignment = prepared["consignment_country"]
    elsewhere = (consignment != prepared["origin_country"]).to_numpy()
    any_hub = table["any"].to_numpy()[codes] | (
        elsewhere & consignment.isin(tables.all_hubs()).to_numpy()
    )
    regime_hub = np.zeros(len(prepared), dtype=bool)
    sets = tables.route_sets()
    for category in _CATEGORIES:
        mine = (prepared["category"] == category).to_numpy()
        via = table[category].to_numpy()[codes] | (
            elsewhere & consignment.isin(sets[category]["transit"]).to_numpy()
        )
        regime_hub |= mine & via
    return {
        "transit_country_count": table["count"].to_numpy(np.int64)[codes],
        "consigned_from_third_country": elsewhere,
        "transit_via_any_hub": np.asarray(any_hub, dtype=bool),
        "transit_via_regime_hub": regime_hub,
    }


def import_ban_in_force(
    prepared: pd.DataFrame, bans: Sequence[tables.ImportBan] = tables.IMPORT_BANS
) -> np.ndarray:
    """Whether the destination bans importing the declared goods on the declaration date."""
    date = prepared["declaration_date"]
    hs6 = prepared["hs6_text"]
    banned = np.zeros(len(prepared), dtype=bool)
    for ban in bans:
        goods = prepared["subcategory"].isin(ban.subcategories).to_numpy()
        if ban.hs_prefixes:
            goods = goods | hs6.str.startswith(ban.hs_prefixes).fillna(False).to_numpy(dtype=bool)
        active = (date >= pd.Timestamp(ban.start)).to_numpy()
        if ban.end is not None:
            active = active & (date < pd.Timestamp(ban.end)).to_numpy()
        banned |= goods & active & prepared["destination_country"].isin(ban.destinations).to_numpy()
    return banned


def route_features(
    prepared: pd.DataFrame,
    state: pd.DataFrame,
    *,
    bans: Sequence[tables.ImportBan] = tables.IMPORT_BANS,
) -> pd.DataFrame:
    """Route flags from the reference routes and point-in-time rarity of origin->destination."""
    sets = tables.cover_route_sets()
    cover = (
        prepared["hs6_text"].isin(tables.wildlife_cover_codes())
        & prepared["origin_country"].isin(sets["origin"])
        & prepared["destination_country"].isin(sets["destination"])
    )
    route_count = state["route__n"].to_numpy()
    heading_count = state["heading__n"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(heading_count > 0, route_count / heading_count, np.nan)
    return pd.DataFrame(
        {
            "origin_is_source_state": _in_category_set(prepared, "origin_country", "origin"),
            "destination_is_demand_state": _in_category_set(
                prepared, "destination_country", "destination"
            ),
            **transit_features(prepared),
            "cover_goods_on_wildlife_route": cover.to_numpy(dtype=bool),
            "destination_import_ban_in_force": import_ban_in_force(prepared, bans),
            "route_prior_declarations": route_count,
            "route_share_of_heading": share,
        }
    )
