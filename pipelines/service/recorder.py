"""The service's decisions, buffered and appended to the warehouse's decision record in runs.

Each decision belongs to a run, as batch decisions do: the recorder keeps one open run, adds
scored rows to it and closes it every `flush_seconds` (or at `flush_rows`), when the champion or
the profiles change, or when a declaration already in it is scored again (the record keys a
decision by run and declaration). The run id is known when a row is added, so the decision id
given to the caller (`<run_id>:<declaration_id>`) is the one the record will hold.

Each run's log entry (`runs.details`) holds every decision's random draw, beside the
propensity in the decision itself. A closed run is appended by opening the warehouse for the
moment it takes. If that fails (DuckDB allows one writer process: a batch job may hold it),
the run goes to a spool file under
`$GCRISK_HOME/serve-spool` (Parquet of the scores + JSON of the run) and is retried on every
flush; a spooled run already in the record (appended, then the process died before removing its
file) is dropped. Worker processes share the spool: each claims a run (an atomic rename naming
its pid) before retrying it, and a run claimed by a dead process is given back at start. `stop`
flushes: nothing decided is lost on shutdown (at worst it waits in the spool for the next start).
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import os
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from data_contracts.schemas import column_names
from pipelines.runtime import get_logger
from pipelines.settings import WarehouseLocation
from pipelines.storage import io
from pipelines.storage.decisions import DecisionRun, RunAlreadyRecorded
from pipelines.storage.warehouse import Warehouse, utc_now

#: `batch_file` of the service's runs in the decision record.
SERVICE_SOURCE = "gcrisk serve"
#: The column kept beside the score columns: each decision's random draw, logged with its run.
_DRAW = ("draw",)


@dataclass
class _OpenRun:
    run: DecisionRun
    started_at: datetime.datetime
    frames: list[pd.DataFrame] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    rows: int = 0


@dataclass(frozen=True)
class ClosedRun:
    """A run's decisions ready to append."""

    run: DecisionRun
    started_at: datetime.datetime
    scores: pd.DataFrame


def decision_id(run_id: str, declaration_id: str) -> str:
    """The id of one decision in the record (its key: run and declaration)."""
    return f"{run_id}:{declaration_id}"


class DecisionRecorder:
    """Buffers decisions in runs and appends them to the warehouse (or the spool)."""

    def __init__(
        self,
        warehouse: WarehouseLocation | Path,
        spool: Path,
        *,
        flush_seconds: float = 1.0,
        flush_rows: int = 1_000,
        warehouse_lock: threading.Lock | None = None,
    ) -> None:
        self.warehouse = warehouse
        self.warehouse_lock = warehouse_lock or threading.Lock()
        self.spool = spool
        self.flush_seconds = flush_seconds
        self.flush_rows = flush_rows
        self._open: _OpenRun | None = None
        self._closed: list[ClosedRun] = []
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def record(self, scores: pd.DataFrame, template: DecisionRun) -> str:
        """Add scored rows to the open run (one of `template`'s settings); returns its id."""
        ids = set(scores["declaration_id"].astype("str"))
        with self._lock:
            current = self._open
            if (
                current is None
                or _settings(current.run) != _settings(template)
                or current.ids & ids
            ):
                self._close_locked()
                current = self._open = _OpenRun(
                    dataclasses.replace(template, run_id=uuid.uuid4().hex), utc_now()
                )
            current.frames.append(scores[[*column_names("scores"), *_DRAW]])
            current.ids |= ids
            current.rows += len(scores)
            if current.rows >= self.flush_rows:
                self._wake.set()
            return current.run.run_id

    def _close_locked(self) -> None:
        current, self._open = self._open, None
        if current is None or not current.frames:
            return
        scores = pd.concat(current.frames, ignore_index=True)
        digest = hashlib.sha256("\n".join(sorted(current.ids)).encode()).hexdigest()
        run = dataclasses.replace(current.run, batch_sha256=digest)
        self._closed.append(ClosedRun(run, current.started_at, scores))

    def flush(self) -> int:
        """Close the open run, append every closed or spooled run; returns decisions appended.

        A closed run is appended or spooled, whatever else fails: none is dropped.
        """
        with self._flushing:
            with self._lock:
                self._close_locked()
                closed, self._closed = self._closed, []
            appended = 0
            for index, run in enumerate(closed):
                try:
                    appended += self._append(run)
                except Exception as error:  # busy or broken: keep every run, try again later
                    get_logger().warning(
                        "decision record unavailable (%s); %d run(s) spooled",
                        type(error).__name__,
                        len(closed) - index,
                    )
                    for rest in closed[index:]:
                        self._spool(rest)
                    return appended
            return appended + self._append_spooled()

    def _append(self, closed: ClosedRun) -> int:
        with self.warehouse_lock, Warehouse(self.warehouse) as store:
            return store.append_decisions(
                closed.scores[column_names("scores")],
                closed.run,
                started_at=closed.started_at,
                details=_details(closed),
            )

    def _spool(self, closed: ClosedRun) -> None:
        folder = self.spool
        folder.mkdir(parents=True, exist_ok=True)
        io.write_parquet(closed.scores, folder / f"{closed.run.run_id}.parquet")
        run = {"run": dataclasses.asdict(closed.run), "started_at": closed.started_at.isoformat()}
        # The JSON last: a run is spooled once both files are there.
        io.write_json(run, folder / f"{closed.run.run_id}.json")

    def spooled(self) -> list[Path]:
        """The spooled runs' JSON files, oldest first."""
        if not self.spool.exists():
            return []
        return sorted(self.spool.glob("*.json"), key=lambda path: path.stat().st_mtime_ns)

    def _append_spooled(self) -> int:
        """Append spooled runs, each claimed first by renaming its JSON (atomic): with several
        worker processes on one spool, a run is retried by one of them at a time."""
        appended = 0
        for path in self.spooled():
            claimed = path.with_name(f"{path.name}.{os.getpid()}")
            try:
                path.rename(claimed)
            except FileNotFoundError:  # another process took it
                continue
            try:
                appended += self._append(_read_spooled(claimed, path.with_suffix(".parquet")))
            except RunAlreadyRecorded:  # appended before, its spool files not yet removed
                pass
            except ValueError:
                claimed.rename(path)
                raise
            except Exception:  # still busy: give it back, the next flush tries again
                claimed.rename(path)
                return appended
            path.with_suffix(".parquet").unlink()
            claimed.unlink()
        return appended

    def release_orphans(self) -> None:
        """Give back the runs claimed by processes that died before appending them."""
        for claimed in self.spool.glob("*.json.*") if self.spool.exists() else []:
            owner = claimed.suffix.lstrip(".")
            if owner.isdigit() and not _alive(int(owner)):
                claimed.rename(claimed.with_suffix(""))

    def start(self) -> None:
        """Flush in a background thread every `flush_seconds` (sooner at `flush_rows`)."""
        self.release_orphans()
        self._thread = threading.Thread(target=self._loop, name="decision-recorder", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            try:
                self.flush()
            except Exception as error:  # the loop must outlive one bad flush
                get_logger().error("decision flush failed: %s: %s", type(error).__name__, error)

    def stop(self) -> None:
        """Stop the thread and flush what is left (to the record or the spool)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        self.flush()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def _read_spooled(claimed: Path, scores: Path) -> ClosedRun:
    saved = json.loads(claimed.read_text())
    return ClosedRun(
        DecisionRun(**saved["run"]),
        datetime.datetime.fromisoformat(saved["started_at"]),
        pd.read_parquet(scores),
    )


def _settings(run: DecisionRun) -> tuple[object, ...]:
    """What must be the same for decisions to share a run (everything but id and hash)."""
    values = dataclasses.asdict(run)
    return tuple(v for k, v in values.items() if k not in ("run_id", "batch_sha256"))


def _details(closed: ClosedRun) -> dict[str, object]:
    """The run log's details: the source and each declaration's random draw."""
    draws = dict(zip(closed.scores["declaration_id"], closed.scores["draw"].round(12), strict=True))
    return {"source": SERVICE_SOURCE, "decisions": len(closed.scores), "draws": draws}
