"""Reading received tables (CSV as text, Parquet as typed) and writing outputs atomically."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pandas as pd
import pytest

from data_contracts.coercion import TableError
from pipelines.storage import io
from tests.factories import valid_declarations


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_csv_is_read_as_text_with_quotes_newlines_and_bom(tmp_path: Path) -> None:
    data = '\ufeffid,goods_description,weight\nD1,"drums ""R-22""\nsecond line",-3.5\nD2,,007\n'
    frame = io.read_table(_write(tmp_path / "t.csv", data.encode("utf-8")))
    assert list(frame.columns) == ["id", "goods_description", "weight"]
    assert frame["goods_description"].tolist() == ['drums "R-22"\nsecond line', ""]
    assert frame["weight"].tolist() == ["-3.5", "007"]  # text, untouched: validate decides
    assert all(pd.api.types.is_string_dtype(frame[name]) for name in frame.columns)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("t.csv", b"", "the file is empty"),
        ("t.csv", b"a,b\n", "header but no rows"),
        ("t.csv", b"a,b\n1,caf\xe9\n", "is not UTF-8 (byte 0xe9 at offset 9); re-save it as UTF-8"),
        ("t.csv", b"a,b\n1,2,3\n", "malformed CSV"),
        ("t.csv", b"a,a\n1,2\n", "duplicate column names: a"),
        ("t.parquet", b"PAR1 this is not parquet", "not a readable Parquet file"),
        ("t.xlsx", b"PK\x03\x04", "unsupported file type '.xlsx'"),
    ],
)
def test_unusable_files_raise_one_line_naming_the_file(
    tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    path = _write(tmp_path / name, data)
    with pytest.raises(TableError) as raised:
        io.read_table(path)
    text = str(raised.value)
    assert message in text
    assert str(path) in text
    assert "\n" not in text


def test_missing_file_and_directory_are_table_errors(tmp_path: Path) -> None:
    with pytest.raises(TableError, match="no such file"):
        io.read_table(tmp_path / "absent.csv")
    with pytest.raises(TableError, match="is a directory"):
        io.read_table(tmp_path)


def test_non_utf8_byte_offset_found_beyond_the_first_chunk(tmp_path: Path) -> None:
    body = b"a\n" + b"x\n" * 600_000 + b"\xff\n"
    path = _write(tmp_path / "big.csv", body)
    with pytest.raises(TableError, match=f"byte 0xff at offset {len(body) - 2}"):
        io.read_table(path)


def test_parquet_round_trip_keeps_types_and_is_byte_deterministic(tmp_path: Path) -> None:
    frame = valid_declarations(40, seed=3)
    first = io.write_parquet(frame, tmp_path / "a.parquet")
    second = io.write_parquet(frame.copy(), tmp_path / "b.parquet")
    assert first.read_bytes() == second.read_bytes()
    pd.testing.assert_frame_equal(io.read_table(first), frame)


class _Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("cannot print")


def test_failed_write_leaves_the_previous_file_and_no_temporary(tmp_path: Path) -> None:
    target = io.write_csv(pd.DataFrame({"a": ["old"]}), tmp_path / "out.csv")
    broken = pd.DataFrame({"a": pd.Series(["new"] * 1000 + [_Unprintable()], dtype=object)})
    with pytest.raises(RuntimeError, match="cannot print"):
        io.write_csv(broken, target)
    assert pd.read_csv(target)["a"].tolist() == ["old"]
    assert [path.name for path in tmp_path.iterdir()] == ["out.csv"]


def test_write_json_is_sorted_and_stable(tmp_path: Path) -> None:
    first = io.write_json({"b": 1, "a": {"d": 2, "c": 3}}, tmp_path / "a.json")
    second = io.write_json({"a": {"c": 3, "d": 2}, "b": 1}, tmp_path / "b.json")
    assert first.read_bytes() == second.read_bytes()
    assert json.loads(first.read_text()) == {"a": {"c": 3, "d": 2}, "b": 1}


def test_write_csv_neutralises_formulas_in_text_only(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "note": ['=HYPERLINK("http://x")', "+1", "-cmd", "@SUM(A1)", "\tx", "plain"],
            "value": [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0],
        }
    )
    path = io.write_csv(frame, tmp_path / "out.csv")
    back = pd.read_csv(path, dtype={"note": "str"}, keep_default_na=False)
    assert back["note"].tolist() == [
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'-cmd",
        "'@SUM(A1)",
        "'\tx",
        "plain",
    ]
    assert back["value"].tolist() == frame["value"].tolist()
    assert frame["note"].iloc[0].startswith("=")  # the caller's frame is not modified


def test_write_csv_handles_mixed_object_columns(tmp_path: Path) -> None:
    frame = pd.DataFrame({"id": [1, 2, 3], "mixed": pd.Series(["=1+1", -2, None], dtype=object)})
    path = io.write_csv(frame, tmp_path / "mixed.csv")
    assert path.read_text().splitlines() == ["id,mixed", "1,'=1+1", "2,-2", "3,"]


def test_frame_fingerprint_ignores_order_and_sees_any_changed_cell() -> None:
    frame = valid_declarations(20)
    shuffled = frame.sample(frac=1, random_state=1)[list(reversed(frame.columns))]
    assert io.frame_fingerprint(shuffled) == io.frame_fingerprint(frame)
    changed = frame.copy()
    changed.loc[3, "net_weight_kg"] += 1
    assert io.frame_fingerprint(changed) != io.frame_fingerprint(frame)


def test_csv_cells_are_what_pandas_writes(tmp_path: Path) -> None:
    declarations = valid_declarations(200, seed=4)
    mixed = pd.DataFrame(
        {
            "count": [1, 2, 3],
            "share": [1.0, None, 3.56e-05],
            "flag": [True, False, True],
            "maybe": pd.array([True, None, False], dtype="boolean"),
            "at": pd.to_datetime(["2024-01-01 10:00", None, "2024-01-02 00:00"], utc=True),
            "day": pd.to_datetime(["2024-01-01", None, "2024-01-02"]),
            "text": ["x", None, "=1+2"],
            "anything": ["a", 2, None],  # text and a number: pandas writes it
        }
    )
    for frame in (declarations, mixed):
        written = pd.read_csv(io.write_csv(frame, tmp_path / "out.csv"), dtype="str")
        expected = io.neutralise_formulas(frame).to_csv(index=False)
        pd.testing.assert_frame_equal(written, pd.read_csv(StringIO(expected), dtype="str"))
