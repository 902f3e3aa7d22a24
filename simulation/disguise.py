"""How each illicit shipment is dressed: route, flow, mode, value, weight and paperwork."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation import geography as geo
from simulation.tactics import Tactic

#: How an illicit shipment's paperwork abuses the permit system (0: a permit as honest traders
#: quote one): none quoted, another holder's permit, a forged number, the company's own permit
#: quoted after it expired, or its own permit stretched past the quantity it allows.
MISSING, REUSED, FAKE, EXPIRED, OVER_QUANTITY = 1, 2, 3, 4, 5
PERMIT_ABUSE = ("", "missing", "reused", "forged", "expired", "over_quantity")


def _pick(rng: np.random.Generator, items: tuple, count: int) -> np.ndarray:
    return np.asarray(items, dtype=object)[rng.integers(0, len(items), count)]


def _countries(codes: np.ndarray) -> np.ndarray:
    index = geo.country_index()
    return np.array([index[c] for c in codes], dtype=np.int16)


def _last_hub(transit: np.ndarray) -> np.ndarray:
    return np.array([t.rsplit("|", 1)[-1] for t in transit], dtype=object)


def route_fields(
    rng: np.random.Generator, tactic: Tactic, rows: pd.DataFrame
) -> dict[str, np.ndarray]:
    """Flow, countries, transit and mode of one tactic's rows (network rows keep their route)."""
    n = len(rows)
    home = geo.country_index()[geo.HOME]
    flow = rng.choice(3, n, p=np.array(tactic.flows) / sum(tactic.flows)).astype(np.int8)
    origins = tuple(o for o in tactic.origins if o != geo.HOME) or ("CN",)
    origin = _countries(_pick(rng, origins, n))
    transit = _pick(rng, tactic.transit, n)
    net_origin, net_transit = rows["net_origin"].to_numpy(), rows["net_transit"].to_numpy()
    networked = net_origin >= 0
    origin[networked] = net_origin[networked]
    transit[networked] = net_transit[networked]
    hub = _last_hub(transit)
    via_hub = (transit != "") & (rng.random(n) < tactic.consigned_via_hub)
    consignment = np.where(via_hub, _countries(np.where(hub == "", "CN", hub)), origin)
    destinations = tactic.destinations or ("CN",)
    destination = np.where(flow == geo.IMPORT, home, _countries(_pick(rng, destinations, n)))
    exported = flow == geo.EXPORT
    origin[exported], consignment[exported] = home, home
    through = flow == geo.TRANSIT
    transit[through] = np.where(transit[through] == "", "MY", transit[through] + "|MY")
    consignment[through] = origin[through]
    modes, weights = zip(*tactic.modes, strict=True)
    mode = np.array(modes, dtype=np.int8)[
        rng.choice(len(modes), n, p=np.array(weights) / sum(weights))
    ]
    by_road = (mode == geo.ROAD) & (flow == geo.IMPORT)
    consignment[by_road] = geo.country_index()["TH"]  # trucked down the peninsula
    return {
        "flow": flow,
        "origin": origin.astype(np.int16),
        "consignment": consignment.astype(np.int16),
        "destination": destination.astype(np.int16),
        "transit": transit,
        "mode": mode,
    }


def anomaly_fields(
    rng: np.random.Generator, tactic: Tactic, n: int, cover_offset: int
) -> dict[str, np.ndarray]:
    """The indicators the tactic moves, each for only a share of its shipments."""
    plausible = rng.random(n) < tactic.plausible_value
    value = np.where(
        plausible,
        tactic.plausible_mult * rng.lognormal(0.0, 0.2, n),
        tactic.value_mult * rng.lognormal(0.0, tactic.value_sigma, n),
    )
    u = rng.random(n)
    permit = np.zeros(n, dtype=np.int8)
    forged = tactic.p_missing + tactic.p_reused + tactic.p_fake
    permit[u < forged + tactic.p_expired + tactic.p_over] = OVER_QUANTITY
    permit[u < forged + tactic.p_expired] = EXPIRED
    permit[u < forged] = FAKE
    permit[u < tactic.p_missing + tactic.p_reused] = REUSED
    permit[u < tactic.p_missing] = MISSING
    vague = rng.random(n) < tactic.vague
    cover = np.full(n, -1, dtype=np.int16)
    if tactic.cover_texts:
        covered = vague & (rng.random(n) < 0.6)
        cover[covered] = cover_offset + rng.integers(0, len(tactic.cover_texts), covered.sum())
    return {
        "value_mult": value,
        "load_mult": np.where(rng.random(n) < tactic.load_share, tactic.load_mult, 1.0),
        "unit_mass_mult": np.where(
            rng.random(n) < tactic.unit_mass_share, tactic.unit_mass_mult, 1.0
        ),
        "cap": np.full(n, tactic.cap_kg > 0),
        "permit_mode": permit,
        "vague": vague,
        "cover": cover,
    }
