"""An analyst querying the shared PostgreSQL warehouse in a loop, as a separate process.

`python -m tests.e2e.analyst URL LOG STOP` counts declarations, decisions and the scores in force,
one consistent snapshot per round (a REPEATABLE READ transaction), and appends one JSON line per
round to LOG: the counts, or the error that stopped the query. It stops when the file STOP
exists. The end-to-end test reads the log: an analyst is never refused while jobs write, and it
never sees a half-written load.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import psycopg

QUERIES = {
    "declarations": "SELECT count(*) FROM declarations",
    "decisions": "SELECT count(*) FROM decisions",
    "scores": "SELECT count(*) FROM scores",
}
PAUSE_SECONDS = 0.2


def one_round(url: str) -> dict[str, object]:
    """The counts in one snapshot, or the error."""
    started = time.perf_counter()
    try:
        with psycopg.connect(url, connect_timeout=5) as connection:
            connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            counts: dict[str, object] = {}
            for name, sql in QUERIES.items():
                row = connection.execute(sql).fetchone()
                counts[name] = None if row is None else int(row[0])
    except psycopg.Error as error:
        counts = {"error": f"{type(error).__name__}: {error}".strip()}
    counts["at"] = time.time()
    counts["ms"] = round(1000 * (time.perf_counter() - started), 1)
    return counts


def main(url: str, log: Path, stop: Path) -> None:
    with log.open("a", encoding="utf-8") as sink:
        while not stop.exists():
            sink.write(json.dumps(one_round(url)) + "\n")
            sink.flush()
            time.sleep(PAUSE_SECONDS)


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))
