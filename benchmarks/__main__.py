"""Run every benchmark (or those named) each in its own process, so peak memory is its own.

Usage: python -m benchmarks [NAME ...]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main(argv: list[str]) -> int:
    names = argv or sorted(path.stem for path in HERE.glob("*.py") if not path.stem.startswith("_"))
    failed = []
    for name in names:
        print(f"--- running benchmarks.{name}", flush=True)
        if subprocess.call([sys.executable, "-m", f"benchmarks.{name}"]) != 0:
            failed.append(name)
    if failed:
        print(f"error: benchmarks failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
