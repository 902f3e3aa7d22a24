"""Requests that arrive together are scored together: one batch pays the fixed cost once.

Scoring holds the GIL, so one process scores one request at a time whatever the number of
threads; four clients each sending one declaration used to queue four full scoring passes
(and the threads contending for the GIL made the sum slower than one client's rate). Most of a
pass is a fixed cost (pandas and LightGBM calls per batch, not per row), so the `Coalescer`
lets one thread at a time score, and that thread takes every request waiting by then: they
are scored as one batch and each gets its own rows back. A request alone is scored alone, at
once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class Coalescer(Generic[Item, Result]):
    """Runs `score` on every item waiting when a thread's turn comes (same order out)."""

    def __init__(self, score: Callable[[Sequence[Item]], Sequence[Result]]) -> None:
        self.score = score
        self._waiting: list[tuple[Item, Future[Result]]] = []
        self._queue = threading.Lock()
        self._turn = threading.Lock()

    def submit(self, item: Item) -> Result:
        """The item's result: scored by this thread with the others waiting, or by another."""
        future: Future[Result] = Future()
        with self._queue:
            self._waiting.append((item, future))
        with self._turn:
            if not future.done():
                with self._queue:
                    taken, self._waiting = self._waiting, []
                self._run(taken)
        return future.result()

    def _run(self, taken: list[tuple[Item, Future[Result]]]) -> None:
        try:
            results = list(self.score([item for item, _ in taken]))
            if len(results) != len(taken):
                raise ValueError(f"{len(results)} results for {len(taken)} items")
        except Exception as error:  # every request of the batch fails the same way
            for _, future in taken:
                future.set_exception(error)
            return
        for (_, future), result in zip(taken, results, strict=True):
            future.set_result(result)
