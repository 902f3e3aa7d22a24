"""Dated changes in the world: a destination's import ban, new tactics, networks that adapt.

An import ban (default: Thailand's plastic scrap ban) removes the banned destination from the
plastic-waste cargo passing or leaving the home country and re-routes it to other buyers; the
plastic tactics surge after it (their `surge_after_ban`) and some of that cargo is consigned
from the banned country. A new tactic (default: HFCs declared as HFOs) exists only from its
date. A network that loses a shipment to an inspection switches cover code and route.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation import geography as geo
from simulation.calendar import Calendar
from simulation.config import WorldConfig

#: Where plastic scrap goes once the banned destination closes (routes.csv, post-2018 row).
REROUTED_TO = ("VN", "ID", "IN", "TR")
_SHARE_TO_BANNED = 0.4
_SHIFT_LAG_DAYS = 14


def ban_day(config: WorldConfig, calendar: Calendar) -> int:
    """Day of the first import ban (past the end when there is none)."""
    days = [calendar.day_of(e.date) for e in config.events() if e.kind == "import_ban"]
    return min(days) if days else calendar.days + 1


def event_days(config: WorldConfig, calendar: Calendar) -> dict[str, int]:
    """Start day of each new-tactic event, by event name."""
    return {e.name: calendar.day_of(e.date) for e in config.events() if e.kind == "new_tactic"}


def _banned_country(config: WorldConfig) -> str:
    bans = [e.country for e in config.events() if e.kind == "import_ban" and e.country]
    return bans[0] if bans else ""


def apply_import_ban(
    skeleton: pd.DataFrame,
    heading: np.ndarray,
    *,
    config: WorldConfig,
    day: int,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Outbound plastic scrap goes to the banned country before the ban, elsewhere after it."""
    banned = _banned_country(config)
    if not banned or day > skeleton["day"].max():
        return skeleton
    index = geo.country_index()
    plastic = heading[skeleton["hs"].to_numpy()] == "3915"
    outward = skeleton["flow"].to_numpy() != geo.IMPORT
    dest = skeleton["destination"].to_numpy().copy()
    before = skeleton["day"].to_numpy() < day
    to_banned = plastic & outward & before & (rng.random(len(dest)) < _SHARE_TO_BANNED)
    dest[to_banned] = index[banned]
    diverted = plastic & outward & ~before & (dest == index[banned])
    choices = np.array([index[c] for c in REROUTED_TO], dtype=np.int16)
    dest[diverted] = choices[rng.integers(0, len(choices), diverted.sum())]
    consignment = skeleton["consignment"].to_numpy().copy()
    illicit_in = plastic & ~outward & ~before & (skeleton["tactic"].to_numpy() >= 0)
    relanded = illicit_in & (rng.random(len(dest)) < 0.3)
    consignment[relanded] = index[banned]
    return skeleton.assign(destination=dest, consignment=consignment)


def first_seizures(network: np.ndarray, day: np.ndarray, violation: np.ndarray) -> dict[int, int]:
    """Day of each network's first detected shipment."""
    caught = (network >= 0) & violation
    frame = pd.DataFrame({"network": network[caught], "day": day[caught]})
    return frame.groupby("network")["day"].min().astype(int).to_dict()


def adapt_networks(
    skeleton: pd.DataFrame, networks: pd.DataFrame, seizures: dict[int, int]
) -> tuple[pd.DataFrame, np.ndarray]:
    """After a seizure a network moves to its other cover code and route; rows that changed."""
    net = skeleton["network"].to_numpy()
    if len(networks) == 0:
        return skeleton, np.zeros(len(skeleton), dtype=bool)
    seized = np.array([seizures.get(int(n), 1 << 30) for n in range(len(networks))] + [1 << 30])
    after = (net >= 0) & (skeleton["day"].to_numpy() > seized[net] + _SHIFT_LAG_DAYS)
    safe = np.maximum(net, 0)
    hs = np.where(after, networks["alt_code"].to_numpy()[safe], skeleton["hs"].to_numpy())
    old = skeleton["transit"].to_numpy()
    new = networks["alt_transit"].to_numpy()[safe]
    through = skeleton["flow"].to_numpy() == geo.TRANSIT
    new = np.where(through, np.where(new == "", "MY", new + "|MY"), new)
    transit = np.where(after, new, old)
    return skeleton.assign(hs=hs.astype(np.int32), transit=transit), after
