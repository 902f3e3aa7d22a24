"""`gcrisk serve-key` makes a key whose entry the service accepts; `gcrisk serve` refuses to
start without one."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.cli import main
from pipelines.service.auth import key_id_for, parse_keys


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    out, err = capsys.readouterr()
    return int(stopped.value.code or 0), out, err


def test_serve_key_prints_a_key_and_its_entry(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["serve-key", "border-post-1"], capsys)
    assert code == 0
    lines = dict(
        line.split(":", 1) for line in out.splitlines() if line.startswith(("key", "entry"))
    )
    key, entry = lines["key"].strip(), lines["entry"].strip()
    assert key not in entry
    assert key_id_for(key, parse_keys(entry)) == "border-post-1"
    assert key_id_for(key + "x", parse_keys(entry)) is None


def test_serve_key_refuses_a_bad_name(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["serve-key", "a:b"], capsys)
    assert code == 2 and err.startswith("error:")


def test_serve_refuses_to_start_without_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GCRISK_HOME", str(tmp_path))
    monkeypatch.setenv("GCRISK_SERVE_KEYS", "")
    code, _, err = _run(["serve"], capsys)
    assert code == 2
    assert err.startswith("error: GCRISK_SERVE_KEYS has no key")


def test_serve_refuses_malformed_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GCRISK_HOME", str(tmp_path))
    monkeypatch.setenv("GCRISK_SERVE_KEYS", "only-a-name")
    code, _, err = _run(["serve"], capsys)
    assert code == 2 and "id:salt:sha256" in err
