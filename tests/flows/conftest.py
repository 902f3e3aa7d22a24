"""Flow tests run in-process; Prefect's home and the data home live in temporary folders."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

# Before anything imports prefect: its home (profiles, the test server's database) and the
# telemetry switches are read when it is first imported.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="gcrisk-prefect-"))
for _name, _value in {
    "DO_NOT_TRACK": "true",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
    "OMP_WAIT_POLICY": "PASSIVE",
}.items():
    os.environ.setdefault(_name, _value)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh GCRISK_HOME with no pseudonym key."""
    monkeypatch.setenv("GCRISK_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("GCRISK_PSEUDONYM_KEY", raising=False)
    return tmp_path / "home"


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """A temporary Prefect API for the few tests that run flows as tracked Prefect runs."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


def write_csv_text(frame: pd.DataFrame, path: Path) -> Path:
    """Write a frame as a received CSV would be (dates as YYYY-MM-DD, no index)."""
    frame.to_csv(path, index=False, date_format="%Y-%m-%d")
    return path
