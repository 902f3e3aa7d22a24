"""Compiled boosters: a booster's trees turned into machine code by lleaves (LLVM), cached.

LightGBM's predict walks every tree's node arrays for every row: the default champion on the
2M-row benchmark world (921 trees over three categories) takes 18 s for a million rows on two
cores; compiled by lleaves into native functions it takes 5 s, with the same raw margins (to
1e-12, tested). Compiling takes seconds (13.5 s for that champion), so the object code is
cached in a folder by the hash of the model text and of what makes code differ (lleaves and
LLVM versions, the machine and its CPU): a champion is compiled when it is promoted, or by the
first batch or service start that scores with it, and loaded in milliseconds afterwards.

Only margins are compiled: contributions and leaf indices (reasons) stay with LightGBM.
"""

from __future__ import annotations

import hashlib
import os
import platform
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

#: Fewer rows than this are predicted on the calling thread (threads cost more than they save).
_THREADED_ROWS = 20_000


@dataclass(frozen=True)
class CompiledBooster:
    """A booster's raw margin as native code (lleaves), and the model text it came from.

    Pickled as its text and cache folder (native code does not pickle): a Dask worker that
    receives one loads the object code from that folder, or compiles it there.
    """

    model: Any = field(repr=False)  # a compiled `lleaves.Model`
    text: str = field(repr=False)
    cache: Path
    path: Path  # the object code in `cache`

    def margin(self, x: np.ndarray) -> np.ndarray:
        """Raw margins of the rows of `x` (the model matrix as float64), as LightGBM's."""
        jobs = 1 if len(x) < _THREADED_ROWS else os.cpu_count() or 1
        return np.asarray(self.model.predict(x, n_jobs=jobs))

    def __reduce__(self) -> tuple[Any, tuple[str, Path]]:
        return compile_text, (self.text, self.cache)


def compile_booster(booster: lgb.Booster, cache: Path) -> CompiledBooster:
    """`booster` compiled, or loaded from `cache` when the same trees were compiled before."""
    return compile_text(booster.model_to_string(num_iteration=booster.best_iteration), cache)


def compile_text(text: str, cache: Path) -> CompiledBooster:
    """A booster given as LightGBM model text, compiled or loaded from the folder `cache`."""
    import lleaves

    key = _cache_key(text)
    cache.mkdir(parents=True, exist_ok=True)
    model_file = cache / f"{key}.txt"
    if not model_file.exists():
        _write_atomically(model_file, text)
    model = lleaves.Model(model_file=str(model_file))
    code = cache / f"{key}.o"
    # lleaves writes the object file when it compiles and reads it when it exists; a partly
    # written file from a killed process would not load, so it compiles to a temporary name.
    if code.exists():
        model.compile(cache=str(code), raw_score=True)
    else:
        partial = code.with_suffix(f".{os.getpid()}.part")
        model.compile(cache=str(partial), raw_score=True)
        os.replace(partial, code)
    return CompiledBooster(model, text, cache, code)


def _cache_key(text: str) -> str:
    """The model text's hash with what makes object code differ: lleaves, LLVM, the machine."""
    parts = (text, version("lleaves"), version("llvmlite"), platform.machine(), _cpu_name())
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def _cpu_name() -> str:
    """The host CPU as LLVM names it (code compiled for it may use its instructions)."""
    import llvmlite.binding as llvm

    return str(llvm.get_host_cpu_name())


def _write_atomically(path: Path, text: str) -> None:
    partial = path.with_suffix(f".{os.getpid()}.part")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
