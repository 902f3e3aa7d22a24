"""Simulated worlds shared by the simulation tests, each built once per test session."""

from __future__ import annotations

from functools import cache

from simulation import World, WorldConfig, simulate

#: Large enough for per-tactic comparisons and out-of-time AUCs, small enough to build in seconds.
DEFAULT_SIZE = 120_000


@cache
def default_world() -> World:
    """The default world's configuration at a test-friendly size."""
    return simulate(WorldConfig(declarations=DEFAULT_SIZE))


@cache
def random_stream_world() -> World:
    """A world with a larger random stream, for hit-rate statistics with some power."""
    config = WorldConfig(declarations=60_000, inspection_rate=0.1, random_inspection_rate=0.05)
    return simulate(config)


@cache
def small_world(seed: int = 7, scenario: str | None = None, declarations: int = 8_000) -> World:
    """A small world (determinism, scenarios)."""
    return simulate(WorldConfig(declarations=declarations, seed=seed, scenario=scenario))
