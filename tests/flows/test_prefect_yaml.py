"""prefect.yaml, checked without a server.

`prefect deploy` has no dry run, its schema ignores unknown keys (a `tagz:` passes silently), a
section that fails validation is skipped with a warning, and an entrypoint that fails to import
deploys as a placeholder flow. So every key is checked against an allowed list here, every
entrypoint is imported for real, and the parameters, resolved as `prefect deploy` resolves them,
are validated against each flow's parameter schema and pydantic config model.
"""

from __future__ import annotations

import asyncio
import copy
import datetime
import inspect
import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PREFECT_YAML = REPO / "prefect.yaml"
POOL = "gcrisk"
#: Deployment name -> flow name, and the days between consecutive scheduled runs.
EXPECTED = {
    "feedback-daily": ("inspection-feedback", {1}),
    "score-daily": ("score-batch", {1}),
    "retrain-monthly": ("train-models", {28, 29, 30, 31}),
    "monitor-weekly": ("monitor-targeting", {7}),
}
TOP_KEYS = {"name", "prefect-version", "build", "push", "pull", "deployments", "definitions"}
DEPLOYMENT_KEYS = {
    "name",
    "description",
    "entrypoint",
    "tags",
    "parameters",
    "schedules",
    "concurrency_limit",
    "work_pool",
    "paused",
    "version",
    "enforce_parameter_schema",
}
WORK_POOL_KEYS = {"name", "work_queue_name", "job_variables"}
SCHEDULE_KEYS = {"cron", "timezone", "active", "day_or"}
STEP_KEYS = {"id", "requires"}


def load_prefect_yaml(path: Path = PREFECT_YAML) -> dict[str, Any]:
    """The file as `prefect deploy` reads it (YAML anchors expanded)."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def resolve(config: dict[str, Any]) -> dict[str, Any]:
    """Fill `{{ $VAR }}` placeholders from the environment, as `prefect deploy` does."""
    from prefect.utilities.templating import apply_values

    return apply_values(copy.deepcopy(config), dict(os.environ), remove_notset=False)


def deployments(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Deployments by name."""
    return {deployment["name"]: deployment for deployment in config["deployments"]}


def _extra(where: str, mapping: dict[str, Any], allowed: set[str]) -> list[str]:
    return [f"{where}.{key}" for key in sorted(set(mapping) - allowed)]


def _step_keys(where: str, steps: list[dict[str, Any]] | None) -> Iterator[str]:
    """Keys of deployment steps that are not arguments of the step's function."""
    from prefect.utilities.importtools import import_object

    for number, step in enumerate(steps or []):
        for function_name, arguments in step.items():
            parameters = set(inspect.signature(import_object(function_name)).parameters)
            yield from _extra(
                f"{where}[{number}].{function_name}", arguments, {*parameters, *STEP_KEYS}
            )


def unknown_keys(config: dict[str, Any]) -> list[str]:
    """Dotted paths of every key prefect.yaml allows but would silently ignore."""
    from prefect.workers.process import ProcessWorker

    template = ProcessWorker.get_default_base_job_template()
    job_keys = set(template["variables"]["properties"])
    found = _extra("", config, TOP_KEYS)
    for section in ("build", "push", "pull"):
        found += _step_keys(section, config.get(section))
    for number, deployment in enumerate(config.get("deployments") or []):
        where = f"deployments[{number}]"
        found += _extra(where, deployment, DEPLOYMENT_KEYS)
        pool = deployment.get("work_pool") or {}
        found += _extra(f"{where}.work_pool", pool, WORK_POOL_KEYS)
        found += _extra(
            f"{where}.work_pool.job_variables", pool.get("job_variables") or {}, job_keys
        )
        for index, schedule in enumerate(deployment.get("schedules") or []):
            found += _extra(f"{where}.schedules[{index}]", schedule, SCHEDULE_KEYS)
    return found


def unknown_parameter_keys(
    value: Any, schema: dict[str, Any], node: dict[str, Any] | None = None
) -> list[str]:
    """Keys of nested parameter objects that the flow's schema does not define.

    Pydantic config models ignore unknown fields, so `promte: true` would validate and do nothing.
    """
    node = node if node is not None else schema
    if "$ref" in node:
        node = schema["definitions"][node["$ref"].rsplit("/", 1)[-1]]
    if not isinstance(value, dict) or "properties" not in node:
        return []
    found = [key for key in value if key not in node["properties"]]
    for key, item in value.items():
        if key in node["properties"]:
            found += [
                f"{key}.{sub}"
                for sub in unknown_parameter_keys(item, schema, node["properties"][key])
            ]
    return found


def _arguments(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The arguments of each single-function step."""
    return [arguments for step in steps for arguments in step.values()]


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return load_prefect_yaml()


@pytest.fixture
def resolved(
    config: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """The file resolved with GCRISK_HOME set to a temporary absolute folder."""
    monkeypatch.setenv("GCRISK_HOME", str(tmp_path / "home"))
    return resolve(config)


def test_prefect_accepts_the_file_and_every_key_is_known(config: dict[str, Any]) -> None:
    from prefect.cli.deploy._models import PrefectYamlModel

    model = PrefectYamlModel.model_validate(config)  # prefect deploy would skip it on error
    assert len(model.deployments) == len(config["deployments"])
    assert unknown_keys(config) == []


@pytest.mark.parametrize(
    ("path", "typo"),
    [
        ((), "deployment"),
        (("deployments", 0), "tagz"),
        (("deployments", 0, "work_pool"), "job_variable"),
        (("deployments", 0, "work_pool", "job_variables"), "evn"),
        (("deployments", 0, "schedules", 0), "timezon"),
        (("pull", 0, "prefect.deployments.steps.set_working_directory"), "dir"),
        (("build", 0, "prefect.deployments.steps.run_shell_script"), "shel"),
    ],
)
def test_a_misspelt_key_is_caught(config: dict[str, Any], path: tuple[Any, ...], typo: str) -> None:
    broken = copy.deepcopy(config)
    node: Any = broken
    for part in path:
        node = node[part]
    node[typo] = "x"
    # A set: deployments share their work pool through a YAML anchor.
    assert {found.rsplit(".", 1)[-1] for found in unknown_keys(broken)} == {typo}


def test_the_four_jobs_run_on_the_gcrisk_pool(config: dict[str, Any]) -> None:
    assert set(deployments(config)) == set(EXPECTED)
    for deployment in config["deployments"]:
        assert deployment["work_pool"]["name"] == POOL
        assert deployment["description"].strip()
        assert "gcrisk" in deployment["tags"]
        assert deployment["concurrency_limit"] == 1  # one writer of the DuckDB file at a time


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_entrypoint_imports_as_the_flow(config: dict[str, Any], name: str) -> None:
    from prefect import Flow
    from prefect.flows import load_flow_from_entrypoint

    entrypoint = deployments(config)[name]["entrypoint"]
    assert (REPO / entrypoint.split(":")[0]).is_file()
    # Without a placeholder: prefect deploy would deploy a flow that cannot import.
    flow = load_flow_from_entrypoint(str(REPO / entrypoint), use_placeholder_flow=False)
    assert isinstance(flow, Flow)
    assert flow.name == EXPECTED[name][0]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_parameters_validate_against_the_flow(
    resolved: dict[str, Any], tmp_path: Path, name: str
) -> None:
    from prefect.flows import load_flow_from_entrypoint
    from prefect.utilities.callables import parameter_schema
    from prefect.utilities.schema_tools import validate

    deployment = deployments(resolved)[name]
    parameters = deployment["parameters"]
    flow = load_flow_from_entrypoint(
        str(REPO / deployment["entrypoint"]), use_placeholder_flow=False
    )
    schema = parameter_schema(flow).model_dump_for_openapi()
    assert "{{" not in repr(parameters) + repr(deployment["work_pool"]["job_variables"])
    assert unknown_parameter_keys(parameters, schema) == []
    validate(parameters, schema, raise_on_error=True)  # what the server enforces
    (config,) = flow.validate_parameters(parameters).values()  # what the flow run does
    for value in config.model_dump().values():
        if isinstance(value, Path):
            assert value.is_relative_to(tmp_path / "home"), value


def test_schedules_parse_and_keep_their_cadence(config: dict[str, Any]) -> None:
    from prefect.server.schemas.schedules import CronSchedule

    start = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    for name, (_, cadence) in EXPECTED.items():
        (raw,) = deployments(config)[name]["schedules"]
        assert raw["timezone"], f"{name}: name the time zone, not the server's"
        schedule = CronSchedule(cron=raw["cron"], timezone=raw["timezone"])
        dates = asyncio.run(schedule.get_dates(n=13, start=start))
        gaps = {(later - earlier).days for earlier, later in itertools.pairwise(dates)}
        assert gaps <= cadence, (name, gaps)


def test_retraining_never_promotes_by_itself(config: dict[str, Any]) -> None:
    assert deployments(config)["retrain-monthly"]["parameters"]["config"]["promote"] is False


def test_runs_pin_the_home_and_the_repository(resolved: dict[str, Any], tmp_path: Path) -> None:
    for deployment in resolved["deployments"]:
        env = deployment["work_pool"]["job_variables"]["env"]
        assert env["GCRISK_HOME"] == str(tmp_path / "home")
        assert env["OMP_WAIT_POLICY"] == "PASSIVE"
        assert "GCRISK_PSEUDONYM_KEY" not in env  # secrets stay in the worker's environment
    (pull,) = resolved["pull"]
    assert pull == {
        "prefect.deployments.steps.set_working_directory": {"directory": "{{ repo.stdout }}"}
    }
    steps = {arguments["id"]: arguments for arguments in _arguments(resolved["build"])}
    assert steps["repo"]["script"] == "pwd"


@pytest.mark.parametrize(
    ("home", "accepted"), [(None, False), ("relative/home", False), ("/srv/gcrisk", True)]
)
def test_deploy_refuses_a_missing_or_relative_home(
    config: dict[str, Any], monkeypatch: pytest.MonkeyPatch, home: str | None, accepted: bool
) -> None:
    from prefect.deployments.steps import run_shell_script

    (arguments,) = [step for step in _arguments(config["build"]) if step["id"] == "check-home"]
    if home is None:
        monkeypatch.delenv("GCRISK_HOME", raising=False)
    else:
        monkeypatch.setenv("GCRISK_HOME", home)
    run = run_shell_script(**{k: v for k, v in arguments.items() if k not in STEP_KEYS})
    if accepted:
        asyncio.run(run)
    else:
        with pytest.raises(RuntimeError, match="absolute path"):
            asyncio.run(run)
