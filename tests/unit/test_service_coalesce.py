"""Requests waiting together are scored together, each gets its own result, failures reach all."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import pytest

from pipelines.service.coalesce import Coalescer


def test_a_request_alone_is_scored_alone() -> None:
    calls: list[list[int]] = []

    def score(items: Sequence[int]) -> list[int]:
        calls.append(list(items))
        return [item * 10 for item in items]

    coalescer = Coalescer(score)
    assert [coalescer.submit(1), coalescer.submit(2)] == [10, 20]
    assert calls == [[1], [2]]


def _waiting(coalescer: Coalescer[int, int], count: int) -> None:
    deadline = time.monotonic() + 30  # a bound on a failing run, not a timing assumption
    while len(coalescer._waiting) < count:
        assert time.monotonic() < deadline, "the requests never queued"
        threading.Event().wait(0.001)


def test_requests_waiting_during_a_pass_are_scored_in_one_batch() -> None:
    calls: list[list[int]] = []
    busy, release = threading.Event(), threading.Event()

    def score(items: Sequence[int]) -> list[int]:
        calls.append(list(items))
        if len(calls) == 1:  # the first pass holds the turn while the others arrive
            busy.set()
            release.wait(30)
        return [item * 10 for item in items]

    coalescer = Coalescer(score)
    results: dict[int, int] = {}

    def send(item: int) -> None:
        results[item] = coalescer.submit(item)

    first = threading.Thread(target=send, args=(0,))
    first.start()
    assert busy.wait(30)
    others = [threading.Thread(target=send, args=(item,)) for item in (1, 2, 3)]
    for thread in others:
        thread.start()
    _waiting(coalescer, 3)
    release.set()
    for thread in (first, *others):
        thread.join(30)
    assert calls[0] == [0] and sorted(calls[1]) == [1, 2, 3] and len(calls) == 2
    assert results == {0: 0, 1: 10, 2: 20, 3: 30}


def test_a_failed_pass_raises_in_its_request() -> None:
    def score(items: Sequence[int]) -> list[int]:
        raise RuntimeError("model broke")

    coalescer = Coalescer(score)
    with pytest.raises(RuntimeError, match="model broke"):
        coalescer.submit(1)
    short = Coalescer(lambda items: [])
    with pytest.raises(ValueError, match="0 results for 1 items"):
        short.submit(1)
