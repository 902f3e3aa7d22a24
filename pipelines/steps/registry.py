"""The steps of `promote-model` and `rollback-model`: move the champion alias of `shipment-risk`
and record on the registry who moved it, when, why and from which version."""

from __future__ import annotations

from pipelines.runtime import get_logger, step
from pipelines.settings import Settings
from pipelines.storage import tracking


@step(name="promote-version")
def promote_version(
    settings: Settings, version: str, *, by: str, reason: str
) -> tuple[tracking.Promotion, bool]:
    """Make `version` the champion and record the promotion; also whether it already was.

    Promoting the champion again (a new reason) keeps the champion it replaced, as recorded by
    its last promotion, so a rollback still restores that one.

    Raises:
        RegistryError: shipment-risk has no such version.
    """
    client = tracking.connect(settings.tracking_uri, settings.home / "mlartifacts")
    version = tracking.check_version(client, version)
    current = previous = tracking.version_for_alias(client, tracking.CHAMPION)
    if current == version:
        last = tracking.last_promotion(client)
        previous = last.previous if last is not None and last.version == version else None
    tracking.set_alias(client, tracking.CHAMPION, version)
    promotion = tracking.record_promotion(client, version, by=by, reason=reason, previous=previous)
    # Compiled now, so the next batch or service start loads the native code.
    model = tracking.load_risk_model(client, version=version).model
    tracking.native(model, settings.home / "compiled")
    get_logger().info("champion: version %s (was %s): %s", version, previous, reason)
    return promotion, current == version


@step(name="find-previous-champion")
def previous_champion(settings: Settings) -> str:
    """The champion before the last recorded promotion: what a rollback restores.

    Raises:
        RegistryError: no promotion is recorded, or the last one replaced no champion.
    """
    client = tracking.connect(settings.tracking_uri, settings.home / "mlartifacts")
    last = tracking.last_promotion(client)
    if last is None:
        raise tracking.RegistryError("no promotion is recorded: nothing to roll back to")
    if last.previous is None:
        raise tracking.RegistryError(
            f"version {last.version} was the first champion: there is no previous one"
        )
    return last.previous
