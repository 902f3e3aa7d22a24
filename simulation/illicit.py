"""How many illicit shipments each tactic makes, when, and which kind of trader files them.

Three kinds of trader smuggle: established traders who cheat now and then (opportunists, most
of the shipments), organised networks that open new front companies shortly before their
shipments, split consignments and rotate brokers, and one-off newcomers (see `smugglers`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation.calendar import Calendar
from simulation.config import WorldConfig
from simulation.tactics import Tactic

NETWORK, OPPORTUNIST, NEWCOMER = 0, 1, 2
_FRONTS_PER_NETWORK = (3, 7)


@dataclass(frozen=True)
class Timing:
    """When each tactic is active, its surge after the import ban, and whether its networks
    span exactly that window (planted scenarios) or pick their own."""

    start: np.ndarray
    end: np.ndarray
    ban_day: int
    surge: np.ndarray
    fixed: np.ndarray


def tactic_timing(
    tactics: tuple[Tactic, ...], calendar: Calendar, event_days: dict[str, int], ban_day: int
) -> Timing:
    """Start day of each tactic (its drift event, else day 0) and its surge after the ban."""
    start = np.array([max(0, event_days.get(t.event, 0)) if t.event else 0 for t in tactics])
    start = np.minimum(start, calendar.days - 1)
    return Timing(
        start=start,
        end=np.full(len(tactics), calendar.days - 1),
        ban_day=ban_day,
        surge=np.array([t.surge_after_ban for t in tactics]),
        fixed=np.zeros(len(tactics), dtype=bool),
    )


def tactic_counts(
    total: int,
    config: WorldConfig,
    tactics: tuple[Tactic, ...],
    timing: Timing,
    days: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Illicit shipments per tactic: category budget split by weight x time the tactic is active."""
    counts = np.zeros(len(tactics), dtype=np.int64)
    category = np.array([t.category for t in tactics])
    weight = np.array([t.weight for t in tactics])
    active = _intensity_mass(timing, days)
    for name, share in config.category_shares.items():
        rows = np.flatnonzero(category == name)
        if len(rows) == 0 or share <= 0:
            continue
        p = weight[rows] * active[rows]
        counts[rows] = rng.multinomial(round(total * share), p / p.sum())
    return counts


def _intensity_mass(timing: Timing, days: int) -> np.ndarray:
    ban = np.clip(timing.ban_day, timing.start, timing.end + 1)
    return ((ban - timing.start) + timing.surge * (timing.end + 1 - ban)) / days


def sample_days(
    rng: np.random.Generator, calendar: Calendar, timing: Timing, tactic: np.ndarray
) -> np.ndarray:
    """A day for each illicit row, within its tactic's active time, denser after a surge."""
    start, end = timing.start[tactic], timing.end[tactic]
    ban = np.clip(timing.ban_day, start, end + 1)
    before = ban - start
    after = timing.surge[tactic] * (end + 1 - ban)
    late = rng.random(len(tactic)) < after / np.maximum(before + after, 1e-9)
    first = np.where(late, np.minimum(ban, end), start)
    last = np.where(late, end, np.maximum(ban - 1, start))
    return calendar.sample(rng, first, last)


def trader_sources(
    rng: np.random.Generator, tactics: tuple[Tactic, ...], tactic: np.ndarray, config: WorldConfig
) -> np.ndarray:
    """Network, opportunist or newcomer for each illicit row."""
    networked = np.array([t.network for t in tactics])[tactic]
    u = rng.random(len(tactic))
    source = np.full(len(tactic), OPPORTUNIST, dtype=np.int8)
    source[u < config.network_share + config.one_off_share] = NEWCOMER
    source[(u < config.network_share) & networked] = NETWORK
    return source


def plan_networks(
    rng: np.random.Generator,
    rows: pd.DataFrame,
    config: WorldConfig,
    timing: Timing,
    calendar: Calendar,
) -> pd.DataFrame:
    """Group each tactic's network rows into networks with an operating window."""
    per_network = config.shipments_per_front * np.mean(_FRONTS_PER_NETWORK)
    net_rows = rows[rows["source"] == NETWORK]
    counts = net_rows.groupby("tactic").size()
    tactic = counts.index.to_numpy()
    many = np.where(timing.fixed[tactic], 1, np.maximum(1, np.round(counts / per_network)))
    tactic = np.repeat(tactic, many.astype(int))
    count = len(tactic)
    duration = rng.integers(60, 300, count)
    earliest, window_end = timing.start[tactic], timing.end[tactic]
    latest = np.maximum(earliest + 1, window_end - duration // 2)
    start = np.minimum(sample_days(rng, calendar, timing, tactic), latest)  # denser after surges
    end = np.minimum(start + duration, window_end)
    fixed = timing.fixed[tactic]
    return pd.DataFrame(
        {
            "tactic": tactic.astype(np.int16),
            "start_day": np.where(fixed, earliest, start).astype(np.int32),
            "end_day": np.where(fixed, window_end, end).astype(np.int32),
            "fronts": rng.integers(*_FRONTS_PER_NETWORK, count, endpoint=True),
        }
    )
