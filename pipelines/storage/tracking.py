"""MLflow tracking and the model registry: runs, the `shipment-risk` model and its aliases.

The registered model is a pyfunc whose only artifact is the risk model as JSON (boosters as
LightGBM text), so loading it never unpickles project objects: `load_risk_model` reads the JSON.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.pyfunc import PythonModel

from models.risk_model import RiskModel
from models.scoring import PROFILES_ONLY
from pipelines.settings import Settings

MODEL_NAME = "shipment-risk"
CHAMPION = "champion"
CHALLENGER = "challenger"
_ARTIFACT = "risk_model"


class RiskPyfunc(PythonModel):
    """Serves the risk model as an MLflow pyfunc (input: a catalogued feature frame)."""

    def load_context(self, context: Any) -> None:
        self.model = RiskModel.from_dict(json.loads(Path(context.artifacts[_ARTIFACT]).read_text()))

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        return self.model.predict(model_input)


@dataclass(frozen=True)
class LoadedModel:
    """A registered risk model with its version and where it came from."""

    model: RiskModel
    version: str
    run_id: str


def connect(tracking_uri: str, artifact_root: Path) -> MlflowClient:
    """Point MLflow at the store; artifacts of new experiments go under `artifact_root`."""
    # MLflow logs INFO on every model it logs (uv detection, copied lock files) and warns that
    # a Python model is pickled; ours only carries JSON, so only its errors are worth showing.
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    artifact_root.mkdir(parents=True, exist_ok=True)
    return MlflowClient()


def experiment_id(name: str, artifact_root: Path) -> str:
    """The id of experiment `name`, created if missing.

    On a local store (SQLite or files) new experiments keep their artifacts under
    `artifact_root`, else MLflow would write them to `./mlruns` of whatever folder a run starts
    in; a tracking server decides its own artifact location, shared by every worker.
    """
    existing = mlflow.get_experiment_by_name(name)
    if existing is not None:
        return str(existing.experiment_id)
    if mlflow.get_tracking_uri().startswith(("sqlite:", "file:", "/")):
        location = (artifact_root / name).resolve().as_uri()
        return str(mlflow.create_experiment(name, artifact_location=location))
    return str(mlflow.create_experiment(name))


def pip_requirements() -> list[str]:
    """Pinned requirements of the logged model (explicit: inference costs seconds per model)."""
    from importlib.metadata import version

    packages = ("lightgbm", "pandas", "numpy", "scikit-learn", "mlflow")
    return [f"{package}=={version(package)}" for package in packages]


def log_risk_model(model: RiskModel) -> str:
    """Log the model in the active run and register it; return the new version number."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "risk_model.json"
        path.write_text(json.dumps(model.to_dict()))
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=RiskPyfunc(),
            artifacts={_ARTIFACT: str(path)},
            pip_requirements=pip_requirements(),
            registered_model_name=MODEL_NAME,
        )
    return str(info.registered_model_version)


def set_alias(client: MlflowClient, alias: str, version: str) -> None:
    client.set_registered_model_alias(MODEL_NAME, alias, version)


class RegistryError(ValueError):
    """The registry cannot do what was asked (no such version, nothing to roll back to)."""


#: Tags of a promotion, on the promoted version and (prefixed `last_promotion.`) on the model.
PROMOTION_TAGS = ("promoted_by", "promoted_at", "promotion_reason", "previous_champion")
_LAST = "last_promotion."
_NONE = "none"


@dataclass(frozen=True)
class Promotion:
    """Who made which version champion, when (UTC, ISO 8601), why, and which it replaced."""

    version: str
    by: str
    at: str
    reason: str
    previous: str | None


def record_promotion(
    client: MlflowClient,
    version: str,
    *,
    by: str,
    reason: str,
    previous: str | None,
    at: datetime.datetime | None = None,
) -> Promotion:
    """Record on the registry that `version` became champion (the alias is set by the caller).

    The promoted version gets the tags of `PROMOTION_TAGS`; the registered model gets the same
    as `last_promotion.*` (with `last_promotion.version`), which `last_promotion` reads back and
    a rollback follows. `previous` is the champion it replaced (None: there was none).
    """
    when = (at or datetime.datetime.now(datetime.UTC)).astimezone(datetime.UTC)
    promotion = Promotion(
        version=str(version),
        by=by,
        at=when.isoformat(timespec="seconds"),
        reason=reason,
        previous=previous,
    )
    values = dict(
        zip(
            PROMOTION_TAGS,
            (promotion.by, promotion.at, promotion.reason, promotion.previous or _NONE),
            strict=True,
        )
    )
    for key, value in values.items():
        client.set_model_version_tag(MODEL_NAME, promotion.version, key, value)
    for key, value in {"version": promotion.version, **values}.items():
        client.set_registered_model_tag(MODEL_NAME, _LAST + key, value)
    return promotion


def last_promotion(client: MlflowClient) -> Promotion | None:
    """The last promotion recorded on the registered model, or None (none recorded, no model)."""
    try:
        tags = client.get_registered_model(MODEL_NAME).tags
    except MlflowException:
        return None
    if _LAST + "version" not in tags:
        return None
    previous = tags.get(_LAST + "previous_champion", _NONE)
    return Promotion(
        version=tags[_LAST + "version"],
        by=tags.get(_LAST + "promoted_by", ""),
        at=tags.get(_LAST + "promoted_at", ""),
        reason=tags.get(_LAST + "promotion_reason", ""),
        previous=None if previous == _NONE else previous,
    )


def check_version(client: MlflowClient, version: str) -> str:
    """`version` as registered, or RegistryError when shipment-risk has no such version."""
    try:
        return str(client.get_model_version(MODEL_NAME, str(version)).version)
    except MlflowException:
        raise RegistryError(f"{MODEL_NAME} has no version {version}") from None


def version_for_alias(client: MlflowClient, alias: str) -> str | None:
    """The version behind an alias, or None when the alias (or the model) does not exist."""
    try:
        return str(client.get_model_version_by_alias(MODEL_NAME, alias).version)
    except MlflowException:
        return None


def load_risk_model(
    client: MlflowClient, *, alias: str | None = None, version: str | None = None
) -> LoadedModel:
    """Load a registered version (by alias or number) from its JSON artifact."""
    if alias is not None:
        details = client.get_model_version_by_alias(MODEL_NAME, alias)
    else:
        details = client.get_model_version(MODEL_NAME, str(version))
    with tempfile.TemporaryDirectory() as folder:
        local = mlflow.artifacts.download_artifacts(
            f"models:/{MODEL_NAME}/{details.version}", dst_path=folder
        )
        text = (Path(local) / "artifacts" / "risk_model.json").read_text()
    return LoadedModel(
        RiskModel.from_dict(json.loads(text)), str(details.version), str(details.run_id)
    )


@dataclass(frozen=True)
class Champion:
    """The model to score with, or why there is none (then profiles decide alone)."""

    model: RiskModel | None
    version: str
    fingerprint: str
    banner: str | None = None


def load_champion(settings: Settings) -> Champion:
    """Load `shipment-risk@champion`; any failure falls back to profiles with a banner."""
    try:
        client = connect(settings.tracking_uri, settings.home / "mlartifacts")
        if version_for_alias(client, CHAMPION) is None:
            return Champion(None, PROFILES_ONLY, "", _fallback("no champion model is registered"))
        loaded = load_risk_model(client, alias=CHAMPION)
    except Exception as error:  # any load failure must not stop the daily job
        return Champion(
            None,
            PROFILES_ONLY,
            "",
            _fallback(f"the champion could not be loaded ({type(error).__name__}: {error})"),
        )
    text = json.dumps(loaded.model.to_dict(), sort_keys=True)
    fingerprint = hashlib.sha256(text.encode()).hexdigest()[:16]
    # A model of base rates only ranks nothing: scoring selects as with profiles alone.
    banner = (
        None
        if loaded.model.learned
        else _fallback(
            f"champion version {loaded.version} learned no category (every category is a base "
            "rate), so it selects nothing"
        )
    )
    return Champion(
        native(loaded.model, settings.home / "compiled"), loaded.version, fingerprint, banner
    )


def native(model: RiskModel, cache: Path) -> RiskModel:
    """`model` with its boosters compiled to native code, cached in `cache` (the same
    probabilities, faster); LightGBM's own predict when they cannot be compiled here."""
    try:
        return model.compiled(cache)
    except Exception as error:  # a missing compiler or an unwritable cache must not stop a job
        logging.getLogger(__name__).warning(
            "the champion's boosters were not compiled (%s: %s); LightGBM predicts",
            type(error).__name__,
            error,
        )
        return model


def _fallback(why: str) -> str:
    return f"Profiles only: {why}. Lanes come from the risk profiles and the random stream."
