"""Pseudonym-like identifiers: a letter and random hex digits, unique, vectorised."""

from __future__ import annotations

import numpy as np

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _distinct(values: np.ndarray) -> np.ndarray:
    ordered = np.sort(values)
    return ordered[np.concatenate([[True], ordered[1:] != ordered[:-1]])]


def pseudonyms(
    rng: np.random.Generator, count: int, *, prefix: str, digits: int = 10
) -> np.ndarray:
    """`count` unique ids such as "T3f9a02c41b", in random order (order reveals nothing)."""
    space = 16**digits
    values = _distinct(rng.integers(0, space, size=count + count // 10 + 16, dtype=np.int64))
    while len(values) < count:  # astronomically rare for the sizes we use
        extra = rng.integers(0, space, size=count, dtype=np.int64)
        values = _distinct(np.concatenate([values, extra]))
    values = rng.permutation(values)[:count]
    shifts = 4 * np.arange(digits - 1, -1, -1, dtype=np.int64)
    nibbles = (values[:, None] >> shifts) & 15
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    raw = np.hstack([np.broadcast_to(head, (count, len(head))), _HEX[nibbles]])
    return np.ascontiguousarray(raw).view(f"S{digits + len(head)}").ravel().astype(str)
