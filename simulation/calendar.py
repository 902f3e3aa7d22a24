"""Declaration dates: a working-week rhythm, a seasonal cycle and slow growth."""

from __future__ import annotations

import datetime

import numpy as np

#: Relative filing activity by month (a dip around Chinese New Year, a pre-year-end peak).
_MONTHLY = np.array([0.95, 0.82, 1.02, 1.0, 1.0, 0.98, 1.0, 1.02, 1.03, 1.07, 1.08, 1.03])
#: Relative activity Monday..Sunday (some offices work Saturdays).
_WEEKDAY = np.array([1.05, 1.05, 1.05, 1.05, 1.0, 0.35, 0.12])
_GROWTH_PER_YEAR = 0.03


class Calendar:
    """The simulated period as day numbers 0..days-1 with a cumulative activity curve."""

    def __init__(self, start: datetime.date, days: int) -> None:
        self.start = start
        self.days = days
        dates = np.datetime64(start, "D") + np.arange(days)
        months = dates.astype("datetime64[M]").astype(int) % 12
        weekdays = (dates.astype("datetime64[D]").astype(int) + 3) % 7  # 1970-01-01 was Thu
        growth = (1.0 + _GROWTH_PER_YEAR) ** (np.arange(days) / 365.25)
        activity = _MONTHLY[months] * _WEEKDAY[weekdays] * growth
        self.cdf = np.concatenate([[0.0], np.cumsum(activity) / activity.sum()])

    def day_of(self, date: datetime.date) -> int:
        """Day number of a date (may fall outside the period)."""
        return (date - self.start).days

    def sample(self, rng: np.random.Generator, first: np.ndarray, last: np.ndarray) -> np.ndarray:
        """One day per row between `first` and `last` (inclusive), following the activity curve."""
        first = np.clip(first, 0, self.days - 1)
        last = np.clip(np.maximum(last, first), 0, self.days - 1)
        low, high = self.cdf[first], self.cdf[last + 1]
        u = low + rng.random(len(first)) * (high - low)
        day = np.searchsorted(self.cdf, u, side="right") - 1
        return np.clip(day, first, last).astype(np.int32)

    def years(self, day: np.ndarray) -> np.ndarray:
        """Years elapsed since the start of the period."""
        return day / 365.25

    def month_of_year(self, day: np.ndarray) -> np.ndarray:
        """Calendar month (0-11) of each day number."""
        dates = np.datetime64(self.start, "D") + day.astype(np.int64)
        return dates.astype("datetime64[M]").astype(int) % 12

    def to_datetime(self, day: np.ndarray) -> np.ndarray:
        """Day numbers as datetime64[us] midnights."""
        return (np.datetime64(self.start, "D") + day.astype(np.int64)).astype("datetime64[us]")
