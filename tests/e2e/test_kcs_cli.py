"""KCS through the shipped mapping and the default command line (a seeded 15% of each file):
the mapping's declared target reaches training without --target, the gate passes on merit, and
the test quarter is ranked better than at random."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.kcs_cli import run

pytestmark = pytest.mark.e2e


def test_kcs_with_default_options_ranks_better_than_random(tmp_path: Path) -> None:
    figures = run(tmp_path, fraction=0.15, seed=0)
    said = "\n".join(figures["train_output"])
    assert "gate passed" in said and "(promoted now)" in said, said
    assert "too few positives" not in said, said
    rate = figures["test_fraud_rate"]
    assert 0.15 < rate < 0.30
    # Random precision is the fraud rate (about 0.22); the default path must clearly beat it.
    assert figures["precision"]["5%"] > rate + 0.2, figures
    assert figures["precision"]["10%"] > rate + 0.15, figures
