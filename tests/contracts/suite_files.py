"""Write the committed JSON suites from code: `python -m tests.contracts.suite_files`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import get_args

from data_contracts.schemas import Kind
from data_contracts.suites import suite_to_dict

SUITE_DIR = Path(__file__).resolve().parents[2] / "data_contracts" / "suites"


def suite_json(kind: Kind) -> str:
    """The committed text of one suite: indented JSON, one expectation argument per line."""
    return json.dumps(suite_to_dict(kind), indent=2, ensure_ascii=False) + "\n"


def write_suites(directory: Path = SUITE_DIR) -> list[Path]:
    """Write every suite as `<kind>.json` into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in get_args(Kind):
        path = directory / f"{kind}.json"
        path.write_text(suite_json(kind), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_suites():
        print(path)
