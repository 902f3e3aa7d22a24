"""`gcrisk casestudy` as a trainer runs it: a real process, its exit status and its pack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.test_cli import assert_user_error, gcrisk

pytestmark = pytest.mark.e2e


def test_build_writes_a_pack_and_says_where_the_planted_shipments_went(tmp_path: Path) -> None:
    out = tmp_path / "pack"
    name = "rosewood-generic-timber"
    result = gcrisk(tmp_path / "home", "casestudy", "build", name, "--out", str(out),
                    "--declarations", "20000")  # fmt: skip
    assert result.returncode == 0, result.stderr
    counts = json.loads((out / "trainer" / "casestudy.json").read_text(encoding="utf-8"))
    lanes = ", ".join(
        f"{counts['planted_lanes'][lane]} {lane}" for lane in ("red", "yellow", "green")
    )
    assert f"{counts['planted']} planted shipments: {lanes}" in result.stdout
    assert (out / "officers" / "batch.csv").is_file()
    assert (out / "trainer" / "answers.md").is_file()
    assert "Traceback" not in result.stderr


def test_list_and_unknown_name(tmp_path: Path) -> None:
    listed = gcrisk(tmp_path, "casestudy", "list")
    assert listed.returncode == 0 and "plastic-rerouting-after-ban" in listed.stdout
    assert_user_error(
        gcrisk(tmp_path, "casestudy", "build", "tiger-bone-wine", "--out", str(tmp_path / "o")),
        "tiger-bone-wine",
    )
