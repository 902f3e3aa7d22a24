"""`import-table` and `gcrisk import`: the KCS and ASYCUDA mappings give contract-valid tables,
unmappable and invalid rows go to quarantine with their reasons, the counts reconcile."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from data_contracts.mappings import MappingError
from data_contracts.validation import validate
from pipelines.flows.import_table import ImportConfig, import_flow
from pipelines.steps.mapping import load_mapping
from tests.flows.test_cli import assert_one_error_line, run_cli

REPO = Path(__file__).resolve().parents[2]
KCS_TRAIN = REPO / "benchmarks" / "data" / "kcs" / "df_syn_train_eng.csv"
ASYCUDA_EXAMPLE = REPO / "data_contracts" / "mappings" / "examples" / "asycuda_export.csv"
TODAY = pd.Timestamp("2025-12-31").date()


def kcs_slice(path: Path, rows: int = 200, **broken: tuple[int, str, str]) -> Path:
    """The first `rows` KCS training rows as a CSV; `broken` sets (row, column, text) cells."""
    frame = pd.read_csv(KCS_TRAIN, dtype=str, keep_default_na=False, nrows=rows)
    for row, column, value in broken.values():
        frame.loc[row, column] = value
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def kcs_import(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    folder = tmp_path_factory.mktemp("kcs")
    source = kcs_slice(
        folder / "slice.csv",
        date=(3, "Date", "2020-02-30"),
        mass=(5, "Net Mass", "12,5 kg"),
    )
    out = folder / "out"
    summary = import_flow.fn(ImportConfig(file=source, mapping="kcs", out=out, today=TODAY))
    return out, summary


def test_kcs_slice_gives_contract_valid_declarations_and_inspections(
    kcs_import: tuple[Path, object],
) -> None:
    out, _ = kcs_import
    declarations = pd.read_parquet(out / "declarations.parquet")
    inspections = pd.read_parquet(out / "inspections.parquet")
    checked = validate(declarations, "declarations", today=TODAY)
    assert len(checked.quarantine) == 0
    assert "Tax Rate" in checked.extra_columns and "Fraud" not in declarations.columns
    assert len(validate(inspections, "inspections", today=TODAY).quarantine) == 0
    assert set(inspections["declaration_id"]) == set(declarations["declaration_id"])
    assert set(inspections["violation_category"]) <= {"other", "none"}
    lag = (
        inspections["inspection_date"]
        - declarations.set_index("declaration_id")
        .loc[inspections["declaration_id"], "declaration_date"]
        .to_numpy()
    )
    assert (lag == pd.Timedelta(days=7)).all()


def test_broken_kcs_rows_are_quarantined_with_reasons_and_counts_reconcile(
    kcs_import: tuple[Path, object],
) -> None:
    out, summary = kcs_import
    quarantine = pd.read_parquet(out / "quarantine.parquet").set_index("source_row")
    assert (
        "declaration_date from 'Date': not a date (%Y-%m-%d)"
        in quarantine.loc[4, "quarantine_reason"]
    )
    assert quarantine.loc[6, "quarantine_reason"] == "net_weight_kg from 'Net Mass': not a number"
    assert quarantine.loc[6, "Net Mass"] == "12,5 kg"  # as received
    counts = json.loads((out / "import.json").read_text())
    assert counts["rows_in"] == 200
    assert counts["rows_in"] == counts["declarations"] + counts["quarantined"]
    assert counts["quarantined"] == len(quarantine)
    assert counts["inspections"] == counts["declarations"]
    assert counts == summary.model_dump(mode="json")  # type: ignore[attr-defined]
    assert "customs_value_is_round" in counts["disabled_features"]


def test_the_asycuda_example_imports_without_inspections(tmp_path: Path) -> None:
    out = tmp_path / "out"
    summary = import_flow.fn(
        ImportConfig(file=ASYCUDA_EXAMPLE, mapping="asycuda", out=out, today=TODAY)
    )
    assert (summary.rows_in, summary.declarations, summary.quarantined) == (10, 10, 0)
    assert summary.inspections is None
    assert not (out / "inspections.parquet").exists()
    declarations = pd.read_parquet(out / "declarations.parquet")
    assert len(validate(declarations, "declarations", today=TODAY).quarantine) == 0
    assert declarations["hs_code"][7] == "01022900"  # leading zero restored by pad
    assert declarations["declaration_id"][0] == "2024-DK10-C-1021-1"


def test_mappings_load_from_a_file_and_unknown_features_are_refused(tmp_path: Path) -> None:
    text = (REPO / "data_contracts" / "mappings" / "asycuda.yaml").read_text()
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    assert load_mapping(str(path)).name == "asycuda"
    path.write_text(text.replace("  - container_payload_ratio", "  - container_payload"))
    with pytest.raises(MappingError, match=r"mine.yaml:\d+: unknown feature 'container_payload'"):
        load_mapping(str(path))
    with pytest.raises(MappingError, match="no such mapping file"):
        load_mapping(str(tmp_path / "absent.yaml"))


def test_cli_import_then_ingest(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = kcs_slice(tmp_path / "slice.csv", rows=60)
    out = tmp_path / "out"
    code, stdout, err = run_cli(
        capsys,
        "import",
        str(source),
        "--mapping",
        "kcs",
        "--out",
        str(out),
        "--today",
        "2025-12-31",
    )
    assert code == 0, err
    assert "slice.csv (mapping kcs): 60 rows in" in stdout
    for kind in ("declarations", "inspections"):
        code, stdout, err = run_cli(
            capsys, "ingest", kind, str(out / f"{kind}.parquet"), "--today", "2025-12-31"
        )
        assert code == 0, err
        assert "0 quarantined" in stdout


@pytest.mark.parametrize(
    ("mapping", "fragment"),
    [
        ("nope", "unknown mapping 'nope'"),
        ("absent.yaml", "absent.yaml: no such mapping file"),
        ("bad.yaml", "bad.yaml:2: unknown transform 'scale' for declaration_id"),
    ],
)
def test_cli_import_bad_mappings_give_one_error_line(
    mapping: str, fragment: str, tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.yaml").write_text("declarations:\n  declaration_id: {from: x, scale: 2}\n")
    source = kcs_slice(tmp_path / "slice.csv", rows=5)
    name = str(tmp_path / mapping) if mapping.endswith(".yaml") else mapping
    code, _, err = run_cli(
        capsys, "import", str(source), "--mapping", name, "--out", str(tmp_path / "o")
    )
    assert code == 2
    assert_one_error_line(err, fragment)
    assert not (tmp_path / "o").exists()


def test_cli_import_names_a_source_column_the_file_lacks(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = pd.read_csv(kcs_slice(tmp_path / "slice.csv", rows=5), dtype=str)
    frame.drop(columns=["Office ID"]).to_csv(tmp_path / "cut.csv", index=False)
    code, _, err = run_cli(
        capsys, "import", str(tmp_path / "cut.csv"), "--mapping", "kcs", "--out", str(tmp_path)
    )
    assert code == 2
    assert_one_error_line(err, "kcs.yaml:", "source column 'Office ID' is not in cut.csv")


def test_ingesting_imported_tables_records_the_mappings_target_for_training(
    kcs_import: tuple[Path, object], home: Path, tmp_path: Path
) -> None:
    from pipelines.flows.ingest import IngestConfig, ingest_flow
    from pipelines.settings import Settings
    from pipelines.steps.intake import DeclaredSource, declared_source

    out, summary = kcs_import
    assert json.loads((out / "import.json").read_text())["target"] == ["other"]
    warehouse = Settings().warehouse
    plain = tmp_path / "declarations.parquet"  # not written by gcrisk import: declares nothing
    pd.read_parquet(out / "declarations.parquet").to_parquet(plain)
    ingested = ingest_flow.fn(IngestConfig(file=plain, kind="declarations", today=TODAY))
    assert ingested.declared is None and declared_source(warehouse) is None
    ingested = ingest_flow.fn(
        IngestConfig(file=out / "inspections.parquet", kind="inspections", today=TODAY)
    )
    expected = DeclaredSource(
        mapping="kcs", target=["other"], disabled_features=summary.disabled_features
    )
    assert ingested.declared == expected
    assert declared_source(warehouse) == expected
