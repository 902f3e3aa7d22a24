"""`gcrisk import` as a user runs it: a real process on a KCS slice, and a bad mapping name."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.e2e.test_cli import assert_user_error, gcrisk

pytestmark = pytest.mark.e2e
KCS_TRAIN = Path(__file__).resolve().parents[2] / "benchmarks/data/kcs/df_syn_train_eng.csv"


def test_import_a_kcs_slice_and_refuse_an_unknown_mapping(tmp_path: Path) -> None:
    source = tmp_path / "slice.csv"
    pd.read_csv(KCS_TRAIN, dtype=str, keep_default_na=False, nrows=40).to_csv(source, index=False)
    out = tmp_path / "out"
    result = gcrisk(tmp_path, "import", str(source), "--mapping", "kcs", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "slice.csv (mapping kcs): 40 rows in" in result.stdout
    counts = json.loads((out / "import.json").read_text())
    assert counts["rows_in"] == counts["declarations"] + counts["quarantined"] == 40
    assert len(pd.read_parquet(out / "inspections.parquet")) == counts["declarations"]
    refused = gcrisk(tmp_path, "import", str(source), "--mapping", "kcss", "--out", str(out))
    assert_user_error(refused, "unknown mapping 'kcss' (shipped: asycuda, kcs)")
