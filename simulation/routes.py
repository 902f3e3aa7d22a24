"""Country fields, transport mode and office of each declaration, given its flow and partners."""

from __future__ import annotations

import numpy as np

from simulation import geography as geo

#: Transit route strings by index: none, one hub, two hubs.
_HUB_PAIRS = (("SG", "LK"), ("HK", "SG"), ("AE", "SG"), ("CN", "SG"), ("KR", "SG"))


def transit_options() -> tuple[str, ...]:
    """Ordinary transhipment routes (the empty string is a direct voyage)."""
    return ("", *geo.HUBS, *("|".join(pair) for pair in _HUB_PAIRS))


def _transit_weights() -> np.ndarray:
    hubs = np.array(geo.HUB_WEIGHTS) * 0.23 / sum(geo.HUB_WEIGHTS)
    pairs = np.full(len(_HUB_PAIRS), 0.05 / len(_HUB_PAIRS))
    return np.concatenate([[0.72], hubs, pairs])


def routes(
    rng: np.random.Generator, flow: np.ndarray, partner: np.ndarray, other: np.ndarray
) -> dict[str, np.ndarray]:
    """Origin, consignment, destination and transit for ordinary trade.

    Imports come from the partner (sometimes consigned from a hub), exports go to it (a few
    re-exports of foreign goods), transit cargo passes the home country between two partners.
    """
    home = geo.country_index()[geo.HOME]
    count = len(flow)
    options = np.array(transit_options(), dtype=object)
    transit = options[rng.choice(len(options), count, p=_transit_weights())]
    hub = geo.codes_to_index(geo.HUBS)[rng.choice(len(geo.HUBS), count, p=_hub_p())]
    via_hub = (rng.random(count) < 0.12) & (hub != partner)
    origin = np.where(flow == geo.EXPORT, home, partner).astype(np.int16)
    reexport = (flow == geo.EXPORT) & (rng.random(count) < 0.08)
    origin[reexport] = other[reexport]
    consignment = np.where(flow == geo.IMPORT, np.where(via_hub, hub, partner), home)
    consignment = np.where(flow == geo.TRANSIT, partner, consignment).astype(np.int16)
    destination = np.where(flow == geo.IMPORT, home, partner)
    destination = np.where(flow == geo.TRANSIT, other, destination).astype(np.int16)
    is_transit = flow == geo.TRANSIT
    transit[is_transit] = np.where(rng.random(is_transit.sum()) < 0.7, "MY", "SG|MY")
    same = (origin == destination) & is_transit
    destination[same] = geo.country_index()["CN"] if geo.HOME != "CN" else home
    return {
        "origin": origin,
        "consignment": consignment,
        "destination": destination,
        "transit": transit,
    }


def _hub_p() -> np.ndarray:
    weights = np.array(geo.HUB_WEIGHTS)
    return weights / weights.sum()


def modes(
    rng: np.random.Generator, partner: np.ndarray, air: np.ndarray, post: np.ndarray
) -> np.ndarray:
    """Transport mode: air and post by the goods' bent, road and rail only to neighbours."""
    index = geo.country_index()
    neighbour = np.isin(partner, [index[c] for c in geo.LAND_NEIGHBOURS])
    rail_ok = np.isin(partner, [index[c] for c in geo.RAIL_NEIGHBOURS])
    u = rng.random(len(partner))
    mode = np.full(len(partner), geo.SEA, dtype=np.int8)
    mode[u < air + post] = geo.POST
    mode[u < air] = geo.AIR
    land = rng.random(len(partner))
    overland = neighbour & (mode == geo.SEA) & (land < 0.45)
    mode[overland] = geo.ROAD
    mode[overland & rail_ok & (land < 0.06)] = geo.RAIL
    return mode


def offices(rng: np.random.Generator, mode: np.ndarray, preferred_sea: np.ndarray) -> np.ndarray:
    """Office code index (into `office_codes()`) for each row; traders favour one seaport."""
    codes = office_codes()
    out = np.zeros(len(mode), dtype=np.int8)
    for m, table in geo.OFFICES.items():
        rows = np.flatnonzero(mode == m)
        names = [name for name, _ in table]
        weights = np.array([w for _, w in table])
        pick = rng.choice(len(names), len(rows), p=weights / weights.sum())
        if m == geo.SEA:
            keep = rng.random(len(rows)) < 0.8
            pick = np.where(keep, preferred_sea[rows], pick)
        out[rows] = np.array([codes.index(name) for name in names])[pick]
    return out


def office_codes() -> list[str]:
    """All office codes, in a fixed order."""
    return sorted({name for table in geo.OFFICES.values() for name, _ in table})
