"""The scorer in force, kept current: a new champion or a changed warehouse swaps a new one in.

A background thread loads the first `Scorer` (the service is not ready before), then looks every
`serve_reload_seconds` for a new version behind the registry's champion alias and every
`serve_refresh_seconds` for a changed warehouse (`snapshots.read_marker`). What changed is
rebuilt in that thread while requests go on with the old scorer; the swap is one assignment, so
a request uses one scorer from start to end. A failed reload keeps the scorer in force and logs
why; the next poll tries again.
"""

from __future__ import annotations

import gc
import threading
import time

import pandas as pd
from mlflow import MlflowClient

from data_contracts.privacy import key_fingerprint
from models.selection import SelectionConfig
from pipelines.runtime import get_logger
from pipelines.service.scorer import Scorer, make_scorer
from pipelines.service.snapshots import WarehouseState, read_marker, read_state
from pipelines.settings import Settings
from pipelines.storage import io, tracking
from pipelines.storage.decisions import DecisionRun
from pipelines.storage.profiles import load_unit_profiles
from pipelines.storage.tracking import Champion, load_champion


class LiveScorer:
    """Holds the scorer in force and the thread that keeps it current."""

    def __init__(
        self,
        settings: Settings,
        *,
        warehouse_lock: threading.Lock,
        daily_capacity: pd.Series | None = None,
    ) -> None:
        self.settings = settings
        self.warehouse_lock = warehouse_lock
        self.daily_capacity = daily_capacity
        self.selection = SelectionConfig(
            budget=settings.serve_budget,
            exploration=settings.serve_exploration,
            seed=settings.serve_seed,
        )
        capacity = settings.serve_capacity
        # The capacity file is read once, at start (`create_app`): hashed once, with it.
        self._capacity_sha256 = io.file_sha256(capacity) if capacity is not None else None
        self.current: Scorer | None = None
        self.ready = threading.Event()
        self.error: str | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def load(self) -> Scorer:
        """Read the warehouse and the champion, and put a new scorer in force."""
        return self._swap(self._read_state(), load_champion(self.settings))

    def _read_state(self) -> WarehouseState:
        with self.warehouse_lock:
            return read_state(
                self.settings.warehouse,
                window_days=self.settings.serve_window_days,
                key_fingerprint=key_fingerprint(self.settings.key_bytes()),
            )

    def _swap(self, state: WarehouseState, champion: Champion) -> Scorer:
        profiles = load_unit_profiles(self.settings).in_use(state.as_of.date())
        scorer = make_scorer(
            state,
            champion,
            profiles,
            selection=self.selection,
            daily_capacity=self.daily_capacity,
        )
        # The snapshot lookups are ~10^5-10^6 tuples: each full GC pass over them paused every
        # request for ~350 ms (measured); frozen, the collector skips them (refcounts still
        # free an old scorer once no request holds it).
        gc.collect()
        gc.freeze()
        self.current = scorer
        self.ready.set()
        get_logger().info(
            "scoring with model %s on the warehouse as of %s",
            scorer.model_version,
            state.as_of.date(),
        )
        return scorer

    def champion_version(self) -> str | None:
        """The version behind the champion alias now (None: there is none).

        A client of its own: polling must not move MLflow's process-wide tracking URI.
        """
        uri = self.settings.tracking_uri
        client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        return tracking.version_for_alias(client, tracking.CHAMPION)

    def poll(self, *, warehouse: bool = True) -> bool:
        """Swap in a new scorer if the champion (or, with `warehouse`, the history) changed."""
        scorer = self.current
        if scorer is None:
            self.load()
            return True
        version = self.champion_version() or tracking.PROFILES_ONLY
        if warehouse:
            with self.warehouse_lock:
                marker = read_marker(self.settings.warehouse)
            if marker != scorer.state.marker:
                same = version == scorer.champion.version
                champion = scorer.champion if same else load_champion(self.settings)
                self._swap(self._read_state(), champion)
                return True
        if version != scorer.champion.version:
            self._swap(scorer.state, load_champion(self.settings))
            return True
        return False

    def template(self, scorer: Scorer) -> DecisionRun:
        """The settings of the scorer's decisions, for the decision record (id set later)."""
        capacity = self.settings.serve_capacity
        return DecisionRun(
            run_id="",
            batch_file="gcrisk serve",
            batch_sha256="",
            model_fingerprint=scorer.champion.fingerprint,
            profile_set_hash=scorer.profiles.selecting.fingerprint,
            shadow_profiles=scorer.profiles.shadow.version_label,
            budget=self.selection.budget,
            exploration=self.selection.exploration,
            seed=self.selection.seed,
            capacity_file=str(capacity) if capacity is not None else None,
            capacity_sha256=self._capacity_sha256,
        )

    def start(self) -> None:
        """Load, then poll in a background thread until `stop`."""
        self._thread = threading.Thread(target=self._loop, name="champion-watch", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        last_refresh = time.monotonic()
        while not self._stopping.is_set():
            try:
                refresh = time.monotonic() - last_refresh >= self.settings.serve_refresh_seconds
                self.poll(warehouse=refresh or self.current is None)
                last_refresh = time.monotonic() if refresh else last_refresh
                self.error = None
            except Exception as error:  # keep the scorer in force; try again next time
                self.error = f"{type(error).__name__}: {error}"
                get_logger().warning("scorer reload failed, keeping the one in force: %s", error)
            self._stopping.wait(self.settings.serve_reload_seconds)

    def stop(self) -> None:
        """Stop polling (the scorer in force stays usable)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
