"""`gcrisk` as a user runs it: a real process, its exit status, stdout, stderr and files.

Each process pays the CLI's start-up, so only a few cases run here; the whole bad-input
catalogue runs in-process in `tests/flows/test_cli.py` through the same `main()`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.factories import valid_declarations

pytestmark = pytest.mark.e2e
GCRISK = Path(sys.executable).with_name("gcrisk")
TODAY = "2025-12-31"


def gcrisk(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GCRISK_", "PREFECT_"))}
    env["GCRISK_HOME"] = str(home)
    return subprocess.run(
        [str(GCRISK), *args], capture_output=True, text=True, env=env, timeout=300, check=False
    )


def assert_user_error(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert fragment in lines[0]
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["validate", "in.csv", "--kind", "trades", "--out", "o"], "--kind"),
        (["ingest", "shipments", "in.csv"], "shipments"),
        (
            ["validate", "in.csv", "--kind", "declarations", "--out", "o", "--frobnicate"],
            "frobnicate",
        ),
    ],
)
def test_bad_options_and_unknown_kinds(tmp_path: Path, args: list[str], fragment: str) -> None:
    assert_user_error(gcrisk(tmp_path, *args), fragment)


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    latin = tmp_path / "latin1.csv"
    latin.write_bytes(
        valid_declarations(3, seed=31)
        .assign(goods_description="café")
        .to_csv(index=False)
        .encode("latin-1")
    )
    result = gcrisk(tmp_path, "validate", str(latin), "--kind", "declarations", "--out", "o")
    assert_user_error(result, "latin1.csv: is not UTF-8 (byte 0xe9 at offset")
    missing = gcrisk(tmp_path, "ingest", "declarations", str(tmp_path / "absent.csv"))
    assert_user_error(missing, "absent.csv: no such file")


def test_validate_writes_reconciling_outputs(tmp_path: Path) -> None:
    frame = valid_declarations(20, seed=32)
    frame.loc[1, "goods_description"] = 'bales "used clothing"\nmixed, with plastics'
    frame.loc[2, "goods_description"] = "=cmd|' /C calc'!A0"
    frame["net_weight_kg"] = frame["net_weight_kg"].astype("str")
    frame.loc[3, "net_weight_kg"] = "-4"
    source = tmp_path / "in.csv"
    frame.to_csv(source, index=False, date_format="%Y-%m-%d")
    out = tmp_path / "out"
    result = gcrisk(
        tmp_path,
        "validate",
        str(source),
        "--kind",
        "declarations",
        "--out",
        str(out),
        "--today",
        TODAY,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    summary = json.loads((out / "validation.json").read_text())
    assert (summary["rows_in"], summary["rows_valid"], summary["rows_quarantined"]) == (20, 19, 1)
    valid = pd.read_parquet(out / "valid.parquet").set_index("declaration_id")
    quarantine = pd.read_parquet(out / "quarantine.parquet")
    assert valid.loc["D0000002", "goods_description"] == frame.loc[1, "goods_description"]
    assert valid.loc["D0000003", "goods_description"] == "=cmd|' /C calc'!A0"
    assert quarantine["declaration_id"].tolist() == ["D0000004"]
    assert "net_weight_kg" in quarantine["quarantine_reason"].iloc[0]


def test_ingest_twice_keeps_the_same_rows(tmp_path: Path) -> None:
    source = tmp_path / "declarations.parquet"
    valid_declarations(30, seed=33).to_parquet(source)
    first = gcrisk(tmp_path, "ingest", "declarations", str(source), "--today", TODAY)
    second = gcrisk(tmp_path, "ingest", "declarations", str(source), "--today", TODAY)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert "30 inserted, 0 replaced, 30 rows in declarations" in first.stdout
    assert "0 inserted, 30 replaced, 30 rows in declarations" in second.stdout
    assert (tmp_path / "warehouse.duckdb").exists()
    assert (tmp_path / "prefect").is_dir()  # Prefect's home is kept under GCRISK_HOME
