"""Online selection: lanes one declaration at a time, within each office's daily quota.

Batch scoring ranks a whole day's declarations and takes the top of each office's quota; a
declaration lodged now has no day to be ranked in. So the service turns the quota into a share
of the office's traffic (quota / mean declarations per day; or the budget share without a
capacity file) and the share into risk thresholds read off the office's recent scores:

* a red-lane profile hit is red ('rule', propensity 1);
* with a model that ranks, risk at or above `model` is red ('model', propensity 1), where
  `model` leaves `share * (1 - exploration)` of the traffic targeted, profile hits included;
* every other row gets a random draw, `draw < explore` is red ('random', propensity `explore`),
  sized so the random stream fills the exploration share (without a model: the whole share
  the profiles leave); an unselected row records the same propensity, as batch rows do;
* risk at or above `yellow` (a band of `yellow_factor * share`) or a yellow-lane profile hit,
  when not red, is yellow; the rest green.

The draw is a keyed hash of the seed and the declaration id, uniform on [0, 1): it is returned
and recorded with the decision, so anyone can check it. The recent scores are a bounded window
per office (seeded from the last days of history, then each scored row), and an office with few
scores uses all offices' window.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.selection import SelectionConfig

#: Scores kept per office, and the fewest an office needs to have thresholds of its own.
WINDOW_SIZE = 5_000
MIN_OFFICE_SCORES = 200
_ALL = "*"


@dataclass(frozen=True)
class Thresholds:
    """What decides the lanes of one office now (risk thresholds; `inf`: nothing by risk)."""

    office: str
    share: float
    model: float
    yellow: float
    explore: float


def draw(seed: int, declaration_id: str) -> float:
    """The declaration's random draw, uniform on [0, 1), the same in every process."""
    digest = hashlib.blake2b(f"{seed}|{declaration_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") / 2.0**64


class _Ring:
    """The last `size` (risk, hit) pairs of one key, in numpy arrays filled round and round."""

    def __init__(self, size: int) -> None:
        self.risks = np.zeros(size)
        self.hits = np.zeros(size, dtype=bool)
        self.count = 0  # pairs ever added

    def add(self, risk: float, hit: bool) -> None:
        slot = self.count % len(self.risks)
        self.risks[slot], self.hits[slot] = risk, hit
        self.count += 1

    def __len__(self) -> int:
        return min(self.count, len(self.risks))


class ScoreWindow:
    """The recent (risk, profile hit) pairs of each office and of all offices together.

    Kept in ring buffers: a request reads a window of thousands of scores as two array copies
    (its thresholds are a quantile and a mean, which do not depend on the order).
    """

    def __init__(self, size: int = WINDOW_SIZE) -> None:
        self.size = size
        self._scores: dict[str, _Ring] = {}
        self._lock = threading.Lock()

    def add(self, offices: np.ndarray, risks: np.ndarray, mandatory: np.ndarray) -> None:
        """Append scored rows (a NaN risk, from profiles alone, still counts its profile hit)."""
        with self._lock:
            for office, risk, hit in zip(offices, risks, mandatory, strict=True):
                for key in (str(office), _ALL):
                    window = self._scores.get(key)
                    if window is None:
                        window = self._scores[key] = _Ring(self.size)
                    window.add(float(risk), bool(hit))

    def scores(self, office: str) -> tuple[np.ndarray, np.ndarray]:
        """Risks and profile hits of the office, or of all offices when it has too few."""
        with self._lock:
            window = self._scores.get(office)
            if window is None or len(window) < MIN_OFFICE_SCORES:
                window = self._scores.get(_ALL)
            if window is None or not len(window):
                return np.zeros(0), np.zeros(0, dtype=bool)
            filled = len(window)
            return window.risks[:filled].copy(), window.hits[:filled].copy()


class OnlineSelector:
    """Thresholds per office from the window, and the lanes of scored rows."""

    def __init__(
        self,
        config: SelectionConfig,
        *,
        daily_volume: pd.Series,
        daily_capacity: pd.Series | None = None,
        window: ScoreWindow | None = None,
    ) -> None:
        self.config = config
        self.daily_volume = daily_volume
        self.daily_capacity = daily_capacity
        self.window = window or ScoreWindow()

    def share(self, office: str) -> float:
        """The red-lane share of the office's traffic that meets its daily quota."""
        if self.daily_capacity is None:
            return self.config.budget
        quota = float(self.daily_capacity.get(office, 0))
        volume = float(self.daily_volume.get(office, 0.0))
        return min(1.0, quota / max(volume, 1.0))

    def thresholds(self, office: str, *, ranked: bool) -> Thresholds:
        """The office's thresholds now, from its recent scores."""
        share = self.share(office)
        risks, hits = self.window.scores(office)
        hit_rate = float(hits.mean()) if len(hits) else 0.0
        rest = 1.0 - hit_rate
        targeted = share * (1.0 - self.config.exploration) if ranked else 0.0
        model_share = max(0.0, targeted - hit_rate)
        band = self.config.yellow_factor * share
        unhit = risks[~hits] if len(risks) else risks
        model = _upper_quantile(unhit, model_share / rest) if ranked and rest > 0 else np.inf
        yellow = _upper_quantile(unhit, (model_share + band) / rest) if ranked and rest else np.inf
        random_share = share * self.config.exploration if ranked else max(0.0, share - hit_rate)
        left = rest - model_share
        explore = min(1.0, random_share / left) if left > 0 else 0.0
        return Thresholds(office, share, model, yellow, explore)

    def lanes(self, pool: pd.DataFrame, *, ranked: bool) -> pd.DataFrame:
        """Lanes of scored rows (`declaration_id`, `customs_office`, `risk_score`, `mandatory`,
        `advisory`), with each row's draw and thresholds; the rows then join the window."""
        thresholds = {
            office: self.thresholds(office, ranked=ranked)
            for office in pool["customs_office"].astype("str").unique()
        }
        table = lanes_at(pool, thresholds, seed=self.config.seed, ranked=ranked)
        self.window.add(
            pool["customs_office"].astype("str").to_numpy(),
            pool["risk_score"].to_numpy(dtype=float),
            pool["mandatory"].to_numpy(dtype=bool),
        )
        return table


def lanes_at(
    pool: pd.DataFrame, thresholds: dict[str, Thresholds], *, seed: int, ranked: bool
) -> pd.DataFrame:
    """Lanes of the pool's rows at given thresholds per office (see the module docstring)."""
    per_row = [thresholds[str(office)] for office in pool["customs_office"]]
    model = np.array([t.model for t in per_row], dtype=float)
    yellow = np.array([t.yellow for t in per_row], dtype=float)
    explore = np.array([t.explore for t in per_row], dtype=float)
    risk = pool["risk_score"].to_numpy(dtype=float)
    risk = np.where(np.isnan(risk), -np.inf, risk) if ranked else np.full(len(pool), -np.inf)
    mandatory = pool["mandatory"].to_numpy(dtype=bool)
    draws = np.array([draw(seed, str(i)) for i in pool["declaration_id"]], dtype=float)
    by_model = ~mandatory & (risk >= model)
    by_draw = ~mandatory & ~by_model & (draws < explore)
    reason = np.select([mandatory, by_model, by_draw], ["rule", "model", "random"], "")
    selected = reason != ""
    band = ~selected & ((risk >= yellow) | pool["advisory"].to_numpy(dtype=bool))
    return pd.DataFrame(
        {
            "lane": pd.array(np.select([selected, band], ["red", "yellow"], "green"), dtype="str"),
            "selected": selected,
            "selection_reason": pd.array(reason, dtype="str"),
            "selection_propensity": np.where(by_model | mandatory, 1.0, explore),
            "draw": draws,
            "threshold_model": model,
            "threshold_yellow": yellow,
        },
        index=pool.index,
    )


def _upper_quantile(risks: np.ndarray, share: float) -> float:
    """The risk at or above which `share` of `risks` lie (inf for no share or no scores)."""
    if share <= 0 or not len(risks):
        return np.inf
    if share >= 1:
        return -np.inf
    return float(np.quantile(risks, 1.0 - share, method="higher"))
