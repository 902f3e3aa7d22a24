"""A real Prefect server, CLI and worker as child processes of a test, and their clean stop.

Every child gets its own environment (never the test process's): a private PREFECT_HOME, the
API URL of our server, telemetry off. Long-running children start in a new session (their own
process group) with stdout and stderr in a log file; `stop()` ends the worker before the server
(a worker whose server is gone keeps retrying its event stream instead of exiting), sends
SIGTERM to every process of each tree, then SIGKILL to what is left after a grace period, and
returns the processes still alive, so the caller can assert there are none.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import psutil

PREFECT = str(Path(sys.executable).with_name("prefect"))
#: Prefect's terminal states other than COMPLETED: waiting longer cannot help.
FAILED_STATES = {"FAILED", "CRASHED", "CANCELLED", "CANCELLING"}
POLL_SECONDS = 0.5
GRACE_SECONDS = 15.0
Answer = TypeVar("Answer")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def child_environment(
    base: Mapping[str, str], *, prefect_home: Path, api_url: str, gcrisk_home: Path
) -> dict[str, str]:
    """Our environment without any Prefect or gcrisk setting, plus the test's own."""
    env = {k: v for k, v in base.items() if not k.startswith(("PREFECT_", "GCRISK_"))}
    env.update(
        {
            "PREFECT_HOME": str(prefect_home),
            "PREFECT_API_URL": api_url,
            "PREFECT_CLI_PROMPT": "false",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            # The test triggers its runs itself: scheduled runs (a retraining at 02:00 on the
            # 1st) must not appear in the middle of it.
            "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
            "PREFECT_UI_ENABLED": "false",
            "PREFECT_WORKER_QUERY_SECONDS": "2",
            "DO_NOT_TRACK": "true",
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "GX_ANALYTICS_ENABLED": "false",
            "OMP_WAIT_POLICY": "PASSIVE",
            "GCRISK_HOME": str(gcrisk_home),
            "COLUMNS": "200",  # Rich wraps CLI output at 80 columns when not on a terminal
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@dataclass
class Child:
    """A long-running child process and its log file."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path


@dataclass
class PrefectStack:
    """A server on a free loopback port, the CLI against it, and workers; all under `root`."""

    root: Path
    repo: Path
    gcrisk_home: Path
    port: int = field(default_factory=free_port)
    children: list[Child] = field(default_factory=list)
    #: Settings every child gets on top of its own (a shared stack's database URLs, say).
    extra_env: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def env(self) -> dict[str, str]:
        env = child_environment(
            os.environ,
            prefect_home=self.root / "prefect-home",
            api_url=self.api_url,
            gcrisk_home=self.gcrisk_home,
        )
        return {**env, **self.extra_env}

    def _start(self, name: str, *args: str) -> Child:
        return self.start_child(name, PREFECT, *args)

    def start_child(self, name: str, *command: str) -> Child:
        """Start COMMAND in the background with the stack's environment, logged to logs/NAME.log."""
        log = self.root / "logs" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as sink:
            # A new session: the child is not in our process group (a stray SIGINT to the test
            # does not reach it half-way) and the whole group can be signalled at the end.
            process = subprocess.Popen(
                list(command),
                cwd=self.repo,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        child = Child(name, process, log)
        self.children.append(child)
        return child

    def start_server(self) -> Child:
        """Start `prefect server start` in the background; `wait_healthy` waits for it."""
        (self.root / "prefect-home").mkdir(parents=True, exist_ok=True)
        self.timings.setdefault("server_started_at", time.perf_counter())
        return self._start(
            "server", "server", "start", "--host", "127.0.0.1", "--port", str(self.port)
        )

    @property
    def server(self) -> Child:
        """The running server (a start that found its port taken is dropped)."""
        return [child for child in self.children if child.name == "server"][-1]

    def wait_healthy(self, *, deadline: float = 180.0, attempts: int = 3) -> float:
        """Poll /api/health until it answers; seconds since the server was first started.

        The port was free when chosen, but the server binds it only after its start-up (tens
        of seconds on a busy machine): if something took it meanwhile, start on another port.
        """
        ends = time.monotonic() + deadline
        while time.monotonic() < ends:
            if self.server.process.poll() is not None:
                if attempts <= 1 or "already in use" not in self.server.log.read_text("utf-8"):
                    raise RuntimeError(f"prefect server exited ({self.server.process.returncode})")
                attempts -= 1
                self.children.remove(self.server)  # exited at once: nothing of it is left
                self.port = free_port()
                self.start_server()
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        seconds = time.perf_counter() - self.timings["server_started_at"]
                        self.timings["server start"] = seconds
                        return seconds
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(POLL_SECONDS)
        raise TimeoutError(f"prefect server not healthy after {deadline:.0f} s")

    def cli(self, *args: str, timeout: float = 300.0) -> str:
        """Run `prefect ARGS` to completion; its output (also appended to logs/cli.log)."""
        started = time.perf_counter()
        result = subprocess.run(
            [PREFECT, *args],
            cwd=self.repo,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        seconds = time.perf_counter() - started
        output = result.stdout + result.stderr
        with (self.root / "logs" / "cli.log").open("a", encoding="utf-8") as log:
            log.write(f"$ prefect {' '.join(args)}  # {seconds:.1f} s, exit {result.returncode}\n")
            log.write(output + "\n")
        if result.returncode != 0:
            raise RuntimeError(f"prefect {' '.join(args)} exited {result.returncode}:\n{output}")
        self.timings["prefect " + " ".join(args[:2])] = seconds
        return output

    def start_worker(self, pool: str, *, limit: int = 1) -> Child:
        """Start a worker on POOL in the background, LIMIT flow runs at a time (as documented:
        one on the DuckDB warehouse, two on PostgreSQL)."""
        return self._start(
            "worker",
            "worker",
            "start",
            "--pool",
            pool,
            "--limit",
            str(limit),
            "--name",
            "e2e-worker",
        )

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One JSON call to the server's REST API."""
        request = urllib.request.Request(
            f"{self.api_url}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read() or b"null")

    def wait_for_flow_run(self, flow_run_id: str, *, deadline: float = 300.0) -> dict[str, Any]:
        """Poll a flow run until it is COMPLETED; fail fast on a failed state or a dead worker."""

        def completed(run: dict[str, Any]) -> bool:
            if run["state_type"] in FAILED_STATES:
                raise RuntimeError(f"flow run ended {run['state_type']}: {run['state']}")
            for child in self.children:
                if child.process.poll() is not None:
                    raise RuntimeError(f"{child.name} exited ({child.process.returncode})")
            return bool(run["state_type"] == "COMPLETED")

        return self.poll(
            f"COMPLETED state of flow run {flow_run_id}",
            lambda: dict(self.api("GET", f"/flow_runs/{flow_run_id}")),
            completed,
            deadline=deadline,
        )

    def wait_for_logs(
        self, flow_run_id: str, fragment: str, *, deadline: float = 60.0
    ) -> list[str]:
        """A flow run's log messages, oldest first, once one of them contains FRAGMENT.

        A run's process sends its logs in batches and flushes the last one as it exits, after
        the run is already COMPLETED, so a test that reads them at once can miss the tail.
        """
        body = {"logs": {"flow_run_id": {"any_": [flow_run_id]}}, "sort": "TIMESTAMP_ASC"}
        return self.poll(
            f"a log of flow run {flow_run_id} containing {fragment!r}",
            lambda: [log["message"] for log in self.api("POST", "/logs/filter", body)],
            lambda messages: any(fragment in message for message in messages),
            deadline=deadline,
        )

    def wait_for_task_runs(
        self, flow_run_id: str, name: str, *, deadline: float = 60.0
    ) -> dict[str, dict[str, Any]]:
        """A flow run's task runs by name (without the run suffix), once NAME is terminal.

        Task runs report their states as events, which the server records on its own time.
        """
        body = {"task_runs": {"flow_run_id": {"any_": [flow_run_id]}}}
        return self.poll(
            f"a terminal state of task run {name!r} of flow run {flow_run_id}",
            lambda: {
                run["name"].rsplit("-", 1)[0]: run
                for run in self.api("POST", "/task_runs/filter", body)
            },
            lambda runs: runs.get(name, {}).get("state_type") in FAILED_STATES | {"COMPLETED"},
            deadline=deadline,
        )

    def poll(
        self,
        what: str,
        fetch: Callable[[], Answer],
        done: Callable[[Answer], bool],
        *,
        deadline: float,
    ) -> Answer:
        """FETCH until DONE holds of its answer; TimeoutError (with the last answer) at DEADLINE."""
        ends = time.monotonic() + deadline
        while True:
            answer = fetch()
            if done(answer):
                return answer
            if time.monotonic() >= ends:
                raise TimeoutError(f"no {what} after {deadline:.0f} s; last seen: {answer!r}")
            time.sleep(POLL_SECONDS)

    def stop(self) -> list[psutil.Process]:
        """Stop every child and its descendants, newest first; the processes still alive."""
        self.timings.pop("server_started_at", None)
        started = time.perf_counter()
        leftovers: list[psutil.Process] = []
        for child in reversed(self.children):
            leftovers += stop_tree(child.process)
        self.timings["stop"] = time.perf_counter() - started
        return leftovers

    @contextmanager
    def explained(self) -> Iterator[None]:
        """Print the log tails when the block fails (pytest shows them with the failure)."""
        try:
            yield
        except BaseException:
            print(self.log_tails())
            raise

    def log_tails(self, lines: int = 40) -> str:
        """The last lines of every log, for a failing test's report."""
        parts = []
        for log in sorted((self.root / "logs").glob("*.log")):
            text = log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
            parts.append(f"----- {log} (last {lines} lines) -----\n" + "\n".join(text))
        return "\n".join(parts)


def stop_tree(process: subprocess.Popen[bytes]) -> list[psutil.Process]:
    """SIGTERM a child, its process group and every descendant; SIGKILL after a grace period.

    Descendants are listed before anything is signalled: once the child is gone, its
    children are reparented and no longer found from it. Prefect starts each flow run in a new
    session, so signalling the child's process group alone would miss them.
    """
    try:
        root = psutil.Process(process.pid)
        tree = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        tree = []
    _signal_all(process.pid, tree, signal.SIGTERM)
    _, alive = psutil.wait_procs(tree, timeout=GRACE_SECONDS)
    if alive:
        _signal_all(process.pid, alive, signal.SIGKILL)
        psutil.wait_procs(alive, timeout=GRACE_SECONDS)
    process.wait(timeout=GRACE_SECONDS)  # reap our own child
    return [p for p in tree if _alive(p)]


def _signal_all(group: int, processes: list[psutil.Process], number: signal.Signals) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(group, number)
    for p in processes:
        with suppress(psutil.NoSuchProcess):
            p.send_signal(number)


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def flow_run_id(output: str) -> str:
    """The flow run's id in the output of `prefect deployment run`."""
    found = re.search(
        r"UUID:\s*([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})", output
    )
    if found is None:
        raise ValueError(f"no flow run id in:\n{output}")
    return found.group(1)
