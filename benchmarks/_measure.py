"""Timing and peak-memory helpers shared by the benchmarks."""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


def peak_rss_gb() -> float:
    """Peak resident set size of this process so far, in GB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


@dataclass
class Stopwatch:
    """Collects named stage timings."""

    stages: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.stages[name] = round(time.perf_counter() - start, 2)


def report(name: str, figures: dict[str, object]) -> None:
    """Print one benchmark's figures as a readable block and a JSON line."""
    print(f"\n== {name}")
    for key, value in figures.items():
        print(f"  {key:<32} {value}")
    print("JSON " + json.dumps({"benchmark": name, **figures}, default=str))
