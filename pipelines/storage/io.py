"""Reading received tables and writing outputs atomically.

`read_table` accepts CSV (UTF-8, with or without a byte-order mark; every column read as text,
so `validate` decides what each cell means) and Parquet (types kept). Anything unusable raises
`TableError` with one line that names the file. The writers put a temporary file next to the
target and `os.replace` it, so a crash leaves the previous file or none, never half a file.
"""

from __future__ import annotations

import codecs
import csv
import functools
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from data_contracts.coercion import TableError

CSV_SUFFIXES = (".csv",)
PARQUET_SUFFIXES = (".parquet", ".pq")
#: Leading characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_CHUNK = 1 << 20


def frame_fingerprint(frame: pd.DataFrame) -> str:
    """A short hash of a frame's content, independent of row and column order."""
    hashed = pd.util.hash_pandas_object(frame.sort_index(axis=1), index=False)
    return hashlib.sha256(hashed.sort_values().to_numpy().tobytes()).hexdigest()[:16]


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file's bytes (which batch or capacity file a decision was made from)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a received CSV or Parquet table.

    Raises:
        TableError: missing file, a directory, unknown extension, empty or header-only file,
            non-UTF-8 CSV, malformed CSV or unreadable Parquet.
    """
    path = Path(path)
    if not path.exists():
        raise TableError(f"{path}: no such file")
    if path.is_dir():
        raise TableError(f"{path}: is a directory, not a table file")
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES + PARQUET_SUFFIXES:
        raise TableError(
            f"{path}: unsupported file type {suffix or '(no extension)'!r}; "
            "give a .csv or .parquet file"
        )
    if path.stat().st_size == 0:
        raise TableError(f"{path}: the file is empty")
    frame = _read_csv(path) if suffix in CSV_SUFFIXES else _read_parquet(path)
    if len(frame) == 0:
        raise TableError(f"{path}: the table has a header but no rows")
    return frame


def _first_bad_utf8(path: Path) -> tuple[int, int] | None:
    """Offset and value of the first byte that is not valid UTF-8, or None."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                return offset + error.start - len(decoder.getstate()[0]), chunk[error.start]
            offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return offset - len(decoder.getstate()[0]), 0
    return None


def _not_utf8(path: Path) -> TableError:
    bad = _first_bad_utf8(path)
    where = f" (byte 0x{bad[1]:02x} at offset {bad[0]})" if bad else ""
    return TableError(f"{path}: is not UTF-8{where}; re-save it as UTF-8")


def _header(path: Path) -> list[str]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), [])
    except UnicodeDecodeError:
        raise _not_utf8(path) from None
    except csv.Error as error:
        raise TableError(f"{path}: malformed CSV header ({error})") from None
    if not header or all(not name.strip() for name in header):
        raise TableError(f"{path}: the file has no header row")
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise TableError(f"{path}: duplicate column names: {', '.join(duplicated)}")
    return header


def _read_csv(path: Path) -> pd.DataFrame:
    header = _header(path)
    convert = pacsv.ConvertOptions(
        column_types=dict.fromkeys(header, pa.string()),
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    try:
        table = pacsv.read_csv(
            path,
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=convert,
        )
    except pa.ArrowInvalid as error:
        if "UTF8" in str(error):
            raise _not_utf8(path) from None
        raise TableError(f"{path}: malformed CSV ({_one_line(error)})") from None
    return table.to_pandas()


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pq.read_table(path).to_pandas()
    except (pa.ArrowException, OSError, ValueError) as error:
        raise TableError(f"{path}: not a readable Parquet file ({_one_line(error)})") from None


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())[:200]


@functools.cache
def _file_mode() -> int:
    """Mode for new output files: rw for all, less the process umask (as `open` would give)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def _atomic(path: Path, mode: str, **open_args: Any) -> Iterator[IO[Any]]:
    """A handle on a temporary file in `path`'s folder, renamed over `path` on success."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(handle, _file_mode())  # mkstemp creates 0600; outputs are ordinary files
        with os.fdopen(handle, mode, **open_args) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _write_with(
    path: str | os.PathLike[str], mode: str, write: Callable[[IO[Any]], object]
) -> Path:
    target = Path(path)
    options = {"encoding": "utf-8", "newline": ""} if "b" not in mode else {}
    with _atomic(target, mode, **options) as stream:
        write(stream)
    return target


def write_parquet(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a frame as Parquet, atomically and deterministically (same frame, same bytes)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    # No statistics timestamps or writer threads influence the bytes; zstd level is fixed.
    return _write_with(
        path,
        "wb",
        lambda stream: pq.write_table(
            table, stream, compression="zstd", compression_level=3, write_statistics=True
        ),
    )


def write_json(payload: Any, path: str | os.PathLike[str]) -> Path:
    """Write JSON atomically with sorted keys, so equal payloads give equal files."""
    text = json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"
    return _write_with(path, "w", lambda stream: stream.write(text))


def _formula_cells(cells: pd.Series) -> pd.Series:
    """Mask of text cells that start like a formula (non-text cells never match)."""
    if pd.api.types.is_string_dtype(cells.dtype) and cells.dtype != object:
        return cells.str.startswith(FORMULA_PREFIXES).fillna(False).astype(bool)
    # An object column may mix text with numbers: only its text cells can be formulas.
    is_text = cells.map(lambda value: isinstance(value, str)).astype(bool)
    starts = cells.where(is_text, "").astype("str").str.startswith(FORMULA_PREFIXES)
    return is_text & starts.fillna(False).astype(bool)


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix a quote to text cells a spreadsheet would run as a formula; numbers are left alone."""
    updates = {}
    for name in frame.columns:
        cells = frame[name]
        if not (pd.api.types.is_string_dtype(cells.dtype) or cells.dtype == object):
            continue
        risky = _formula_cells(cells)
        if risky.any():
            updates[name] = cells.mask(risky, "'" + cells.astype("str"))
    return frame.assign(**updates) if updates else frame


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a UTF-8 CSV for people to open in a spreadsheet, formulas neutralised, atomically.

    Arrow writes it (a million score rows: 0.2 s instead of 3 s with pandas), with the cells
    pandas would write (booleans, floats and times formatted as pandas does); text is quoted. A
    frame Arrow cannot type (an object column mixing text and numbers) goes through pandas.
    """
    safe = neutralise_formulas(frame)
    try:
        table = pa.Table.from_pandas(_csv_cells(safe), preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return _write_with(path, "w", lambda stream: safe.to_csv(stream, index=False))
    return _write_with(path, "wb", lambda stream: pacsv.write_csv(table, stream))


def _csv_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Boolean, float and time columns as the text pandas' `to_csv` writes for them (missing:
    ""); Arrow would write 2163 for 2163.0 and false for False."""
    updates = {}
    for name in frame.columns:
        cells = frame[name]
        kind = cells.dtype
        if (
            pd.api.types.is_bool_dtype(kind)
            or pd.api.types.is_float_dtype(kind)
            or pd.api.types.is_datetime64_any_dtype(kind)
        ):
            updates[name] = cells.astype("str").where(cells.notna(), None)
    return frame.assign(**updates) if updates else frame


def write_text(text: str, path: str | os.PathLike[str]) -> Path:
    """Write UTF-8 text (a report page) atomically."""
    return _write_with(path, "w", lambda stream: stream.write(text))
