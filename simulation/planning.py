"""Plan the world before drawing it: the setting, and how much honest trade each code needs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation import drift, illicit
from simulation.calendar import Calendar
from simulation.catalogue import build_catalogue, code_index
from simulation.config import WorldConfig
from simulation.geography import HOME, codes_to_index
from simulation.modus_operandi import TACTICS
from simulation.tactics import Tactic

#: Legitimate declarations per illicit one that every tactic code gets at least (before the
#: multinomial draw, so the realised ratio stays above ten).
LEGIT_PER_ILLICIT = 16.0


@dataclass(frozen=True)
class Setting:
    """The period, the goods catalogue and when the tactics and the import ban happen."""

    calendar: Calendar
    catalogue: pd.DataFrame
    code_ids: dict[str, int]
    ban: int
    timing: illicit.Timing


def setting(config: WorldConfig) -> Setting:
    """Calendar, catalogue and tactic timing of a configuration."""
    calendar = Calendar(config.start, config.days)
    catalogue = build_catalogue(config.seed)
    ban = drift.ban_day(config, calendar)
    timing = illicit.tactic_timing(TACTICS, calendar, drift.event_days(config, calendar), ban)
    return Setting(calendar, catalogue, code_index(catalogue), ban, timing)


def floored_weights(
    catalogue: pd.DataFrame, hs: np.ndarray, total: int, rng: np.random.Generator
) -> np.ndarray:
    """Code shares with every illicit code carrying enough legitimate trade to hide in.

    The floor varies by code (16 to 30 legitimate declarations per illicit one) so illicit
    rates differ between codes as they do in real trade.
    """
    weights = catalogue["weight"].to_numpy().copy()
    illicit_share = np.bincount(hs, minlength=len(weights)) / total
    spread = np.exp(rng.uniform(0.0, np.log(30 / LEGIT_PER_ILLICIT), len(weights)))
    # a few dozen extra rows keep small codes above ten to one despite sampling noise
    floor = (LEGIT_PER_ILLICIT * spread * illicit_share + 30 / total) * (illicit_share > 0)
    for _ in range(3):  # the floors must hold after normalising
        weights = np.maximum(weights / weights.sum(), floor)
    return weights / weights.sum()


def illicit_codes(rows: pd.DataFrame, networks: pd.DataFrame) -> np.ndarray:
    """Codes illicit rows declare, counting network rows also under the code they may move to."""
    rows = rows[rows["tactic"] >= 0]
    net = rows["network"].to_numpy()
    moved = networks["alt_code"].to_numpy()[net[net >= 0]] if len(networks) else np.zeros(0, int)
    return np.concatenate([rows["hs"].to_numpy(), moved]).astype(np.int64)


def tactic_routes(
    tactics: tuple[Tactic, ...], code_ids: dict[str, int]
) -> dict[int, tuple[np.ndarray, tuple[str, ...]]]:
    """Origins and transit routes smugglers use per code: honest trade uses them too."""
    origins: dict[int, list[str]] = {}
    hubs: dict[int, list[str]] = {}
    for tactic in tactics:
        for code in tactic.declared_codes:
            origins.setdefault(code_ids[code], []).extend(o for o in tactic.origins if o != HOME)
            hubs.setdefault(code_ids[code], []).extend(tactic.transit)
    return {
        code: (codes_to_index(tuple(dict.fromkeys(o))), tuple(dict.fromkeys(hubs[code])))
        for code, o in sorted(origins.items())
        if o
    }


def code_covers(
    tactics: tuple[Tactic, ...], code_ids: dict[str, int]
) -> dict[int, tuple[str, ...]]:
    """Cover descriptions per code: honest declarants of that code use the same words."""
    covers: dict[int, list[str]] = {}
    for tactic in tactics:
        for code in tactic.declared_codes:
            covers.setdefault(code_ids[code], []).extend(tactic.cover_texts)
    return {code: tuple(dict.fromkeys(c)) for code, c in sorted(covers.items()) if c}
