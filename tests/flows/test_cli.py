"""The CLI's contract, run in-process through `main()`: one `error:` line and status 2 for every
user mistake in the bad-input catalogue, outputs and counts for good input.

(`tests/e2e/test_cli.py` runs a few of these as real processes.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from pipelines.cli import main
from tests.factories import valid_declarations
from tests.flows.conftest import write_csv_text

TODAY = "2025-12-31"


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `gcrisk ARGS` in-process; returns exit status, stdout and stderr."""
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    out, err = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 1), out, err


def assert_one_error_line(err: str, *fragments: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def _catalogue(folder: Path) -> dict[str, tuple[Path, str]]:
    """Broken tables, each with a fragment of the error it must give."""
    good = valid_declarations(5, seed=21)
    files: dict[str, tuple[Path, str]] = {}

    def add(name: str, filename: str, data: bytes, expected: str) -> None:
        path = folder / filename
        path.write_bytes(data)
        files[name] = (path, expected)

    add("empty file", "empty.csv", b"", "empty")
    add("header only", "header.csv", ",".join(good.columns).encode() + b"\n", "no rows")
    missing = good.drop(columns=["hs_code"]).to_csv(index=False).encode()
    add("missing column", "missing.csv", missing, "hs_code")
    latin = good.assign(goods_description="café crème").to_csv(index=False).encode("latin-1")
    add("non-UTF-8", "latin1.csv", latin, "not UTF-8")
    add("corrupt parquet", "corrupt.parquet", b"PAR1\x00\x01garbage", "Parquet")
    add("unknown extension", "table.xlsx", b"PK\x03\x04", ".xlsx")
    files["missing file"] = (folder / "absent.csv", "no such file")
    files["directory"] = (folder, "directory")
    return files


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    return _catalogue(tmp_path_factory.mktemp("catalogue"))


CASES = [
    "empty file",
    "header only",
    "missing column",
    "non-UTF-8",
    "corrupt parquet",
    "unknown extension",
    "missing file",
    "directory",
]


@pytest.mark.parametrize("case", CASES)
def test_broken_tables_give_one_error_line(
    case: str,
    catalogue: dict[str, tuple[Path, str]],
    home: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, expected = catalogue[case]
    code, _, err = run_cli(
        capsys, "validate", str(path), "--kind", "declarations", "--out", str(tmp_path / "o")
    )
    assert code == 2
    assert_one_error_line(err, expected, path.name)
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("case", ["missing column", "non-UTF-8", "missing file"])
def test_ingest_refuses_broken_tables_the_same_way(
    case: str,
    catalogue: dict[str, tuple[Path, str]],
    home: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, expected = catalogue[case]
    code, _, err = run_cli(capsys, "ingest", "declarations", str(path))
    assert code == 2
    assert_one_error_line(err, expected, path.name)
    assert not (home / "warehouse.duckdb").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["validate", "x.csv", "--kind", "trades", "--out", "o"], "--kind"),
        (["validate", "x.csv", "--out", "o"], "--kind"),
        (["validate", "x.csv", "--kind", "declarations"], "--out"),
        (["validate", "x.csv", "--kind", "declarations", "--out", "o", "--bogus"], "--bogus"),
        (["ingest", "shipments", "x.csv"], "shipments"),
        (["ingest", "declarations"], "file"),
        (
            ["validate", "x.csv", "--kind", "declarations", "--out", "o", "--today", "31/12"],
            "today",
        ),
        (["simulate", "--out", "o", "--start", "2024-13-01"], "--start"),
        (["simulate", "--out", "o", "--declarations", "0"], "declarations"),
        (["demo", "--declarations", "10"], "declarations"),
        (["simulate", "--out", "o", "--months", "many"], "--months"),
        (["simulate", "--out", "o", "--scenario", "nope"], "unknown scenario 'nope'"),
        (["simulate", "--out", "o", "--declarations", "100"], "declarations"),
        (["frobnicate"], "frobnicate"),
        (["train", "--target", "revenue"], "targets: targets must be distinct names from"),
        (["train", "--target", "waste", "--target", "waste"], "targets must be distinct"),
        (["train", "--mapping", "nosuch"], "nosuch"),
        (["train", "--mapping", "absent.yaml"], "absent.yaml: no such mapping file"),
        (["train", "--without", "shoe_size"], "not model features of the catalogue: shoe_size"),
        (["promote", "1"], "--reason"),
    ],
)
def test_bad_options_give_one_error_line(
    args: list[str], expected: str, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(capsys, *args)
    assert code == 2
    assert_one_error_line(err, expected)


def test_help_and_no_arguments_print_usage(capsys: pytest.CaptureFixture[str]) -> None:
    for args in ([], ["--help"]):
        code, out, err = run_cli(capsys, *args)
        assert code == 0
        assert "validate" in out and "ingest" in out and "simulate" in out
        assert err == ""


def test_validate_good_file_writes_outputs_that_reconcile(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = valid_declarations(30, seed=22).assign(remarks="ok")
    frame.loc[2, "goods_description"] = 'drums marked "R-22", 13.6 kg\nsecond line, with comma'
    frame.loc[4, "goods_description"] = '=HYPERLINK("http://evil.example","click")'
    frame["gross_weight_kg"] = frame["gross_weight_kg"].astype("str")
    frame.loc[6, "gross_weight_kg"] = "heavy"
    frame.loc[8, "hs_code"] = "12345"
    path = write_csv_text(frame, tmp_path / "in.csv")
    out = tmp_path / "out"
    code, stdout, err = run_cli(
        capsys, "validate", str(path), "--kind", "declarations", "--out", str(out), "--today", TODAY
    )
    assert code == 0, err
    assert "30 rows in, 28 valid, 2 quarantined" in stdout
    summary = json.loads((out / "validation.json").read_text())
    assert summary["rows_in"] == summary["rows_valid"] + summary["rows_quarantined"] == 30
    assert summary["extra_columns"] == ["remarks"]
    valid = pd.read_parquet(out / "valid.parquet").set_index("declaration_id")
    quarantine = pd.read_parquet(out / "quarantine.parquet").set_index("declaration_id")
    assert valid.loc["D0000003", "goods_description"] == frame.loc[2, "goods_description"]
    assert valid.loc["D0000005", "goods_description"].startswith("=HYPERLINK")  # data, not code
    assert quarantine.loc["D0000007", "gross_weight_kg"] == "heavy"
    assert "gross_weight_kg" in quarantine.loc["D0000007", "quarantine_reason"]
    assert "hs_code" in quarantine.loc["D0000009", "quarantine_reason"]


def test_ingest_twice_reports_replacements_not_new_rows(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv_text(valid_declarations(25, seed=23), tmp_path / "d.csv")
    first = run_cli(capsys, "ingest", "declarations", str(path), "--today", TODAY)
    second = run_cli(capsys, "ingest", "declarations", str(path), "--today", TODAY)
    assert first[0] == second[0] == 0
    assert "25 inserted, 0 replaced, 25 rows in declarations" in first[1]
    assert "0 inserted, 25 replaced, 25 rows in declarations" in second[1]


def test_demo_prints_its_steps_and_where_to_look(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(capsys, "demo", "--declarations", "2500")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["step", "seconds", "result"]
    assert any(line.startswith("ingest declarations") for line in lines)
    # The demo keeps its own warehouse and MLflow store under $GCRISK_HOME/demo.
    assert f"warehouse: {home / 'demo' / 'warehouse.duckdb'}" in " ".join(out.split())
    assert "new targeting (red lane)" in out and "legacy policy" in out
    assert "mlflow ui --backend-store-uri sqlite:///" in out
