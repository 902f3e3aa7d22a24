"""`promote-model` and `rollback-model`: a person decides which version of `shipment-risk` is
champion, and the registry keeps who decided, when, why and what it replaced.

A promotion sets the `champion` alias and records on the promoted version the tags
`promoted_by`, `promoted_at` (UTC, ISO 8601), `promotion_reason` and `previous_champion`, and the
same on the registered model as `last_promotion.*`. A rollback restores the previous champion of
the last promotion, and is recorded as a promotion of that version (so a second rollback undoes
the first).
"""

from __future__ import annotations

import getpass
from typing import Annotated

from prefect import flow
from pydantic import AfterValidator, BaseModel, Field

from pipelines.settings import Settings
from pipelines.steps.registry import previous_champion, promote_version
from pipelines.storage.tracking import Promotion

DEFAULT_ROLLBACK_REASON = "rollback"


def _who() -> str:
    return getpass.getuser()


def _reason_given(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise ValueError("give a reason (what the decision rests on)")
    return reason


#: A reason with its whitespace tidied; an empty one is refused.
Reason = Annotated[str, AfterValidator(_reason_given)]


class PromoteConfig(BaseModel):
    """Which version becomes champion, why, and who decided."""

    version: str = Field(description="Registered version of shipment-risk")
    reason: Reason = Field(description="Why (recorded on the registry)")
    by: str = Field(default_factory=_who, description="Who decided (default: the OS user)")


class RollbackConfig(BaseModel):
    """Why the previous champion comes back, and who decided."""

    reason: Reason = Field(default=DEFAULT_ROLLBACK_REASON, description="Why (recorded)")
    by: str = Field(default_factory=_who, description="Who decided (default: the OS user)")


class PromotionSummary(BaseModel):
    """The champion now, the one it replaced, and the record of the decision."""

    version: str
    previous: str | None
    by: str
    at: str
    reason: str
    unchanged: bool = Field(description="The version already was champion")

    @classmethod
    def of(cls, promotion: Promotion, *, unchanged: bool) -> PromotionSummary:
        """The summary of one recorded promotion."""
        return cls(
            version=promotion.version,
            previous=promotion.previous,
            by=promotion.by,
            at=promotion.at,
            reason=promotion.reason,
            unchanged=unchanged,
        )


@flow(name="promote-model", validate_parameters=True)
def promote_flow(config: PromoteConfig) -> PromotionSummary:
    """Make a version champion and record who, when, why and the previous champion."""
    promotion, unchanged = promote_version(
        Settings(), config.version, by=config.by, reason=config.reason
    )
    return PromotionSummary.of(promotion, unchanged=unchanged)


@flow(name="rollback-model", validate_parameters=True)
def rollback_flow(config: RollbackConfig) -> PromotionSummary:
    """Restore the champion the last promotion replaced, recorded as a promotion."""
    settings = Settings()
    version = previous_champion(settings)
    promotion, unchanged = promote_version(settings, version, by=config.by, reason=config.reason)
    return PromotionSummary.of(promotion, unchanged=unchanged)
