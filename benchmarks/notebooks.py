"""Execute each case-study notebook as stored and time it (kernel start included).

Target on the 2-core machine: each notebook under 90 s. The test suite runs the same notebooks
(tests/e2e/test_notebooks.py) but asserts no times.

Usage: python -m benchmarks.notebooks [NAME ...]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks._measure import Stopwatch, peak_rss_gb, report

REPO = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 90.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help="notebook names without .ipynb (default: all)")
    args = parser.parse_args()
    import nbformat
    from nbclient import NotebookClient

    paths = [REPO / "notebooks" / f"{name}.ipynb" for name in args.names] or sorted(
        (REPO / "notebooks").glob("*.ipynb")
    )
    watch = Stopwatch()
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        client = NotebookClient(
            notebook,
            kernel_name="python3",
            timeout=600,
            resources={"metadata": {"path": str(REPO)}},
        )
        with watch.stage(path.stem):
            client.execute()
    report(
        "notebooks",
        {
            **{f"seconds_{name}": seconds for name, seconds in watch.stages.items()},
            "slowest_seconds": max(watch.stages.values()),
            "all_under_target": all(s < TARGET_SECONDS for s in watch.stages.values()),
            "target": f"each < {TARGET_SECONDS:.0f} s",
            "peak_rss_gb_runner": round(peak_rss_gb(), 2),
        },
    )


if __name__ == "__main__":
    main()
