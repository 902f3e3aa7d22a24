"""The lifecycle of a risk profile: on a given day, does it select, fire in shadow, or stay silent?

| status  | approved | inside valid_from..valid_to | on that day                         |
|---------|----------|-----------------------------|-------------------------------------|
| active  | yes      | yes                         | **selects** (its hits reach a lane) |
| active  | no       | yes                         | shadow only (see below)             |
| draft   | any      | yes                         | shadow only                         |
| any     | any      | no (not yet / expired)      | silent                              |
| retired | any      | any                         | silent                              |

A profile fired in shadow is evaluated and its hits recorded, but it never puts a declaration in
a lane: that is how a draft collects the evidence its approver asks for. An *active* profile
without an approval (or approved only later than the day) is treated like a draft rather than
silenced: the owner meant it to run, so recording its hits costs nothing and gives the approver
its record; it cannot select until someone signs it off, and `gcrisk profiles check` reports it
as an error so it does not stay that way unnoticed. An approval dated after the day does not
count on that day.

A profile is *expiring soon* when it is not retired and its `valid_to` falls within 30 days
after the day (that day included).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # rules.py imports this module; the type is only needed for checking
    from models.rules import Profile

#: Days ahead of `valid_to` that a profile is flagged as expiring soon.
EXPIRY_WARNING_DAYS = 30
Mode = Literal["select", "shadow", "off"]


@dataclass(frozen=True)
class Standing:
    """What a profile does on one day, and why."""

    mode: Mode
    reason: str

    @property
    def selects(self) -> bool:
        return self.mode == "select"

    @property
    def shadow(self) -> bool:
        return self.mode == "shadow"

    @property
    def fires(self) -> bool:
        """Whether the profile is evaluated at all (selecting or in shadow)."""
        return self.mode != "off"


@dataclass(frozen=True)
class Finding:
    """One problem `gcrisk profiles check` reports; an error makes the profile unfit to select."""

    profile: str
    level: Literal["error", "warning"]
    message: str


def standing(profile: Profile, on: dt.date) -> Standing:
    """Select, shadow or off on day `on` (the table in the module docstring)."""
    if profile.status == "retired":
        return Standing("off", "retired")
    if on < profile.valid_from:
        return Standing("off", f"not valid before {profile.valid_from}")
    if profile.valid_to is not None and on > profile.valid_to:
        return Standing("off", f"expired on {profile.valid_to}")
    if profile.status == "draft":
        return Standing("shadow", "draft: shadow only")
    if not approved(profile, on):
        return Standing("shadow", "active but not approved: shadow only until signed off")
    return Standing("select", "active and approved")


def approved(profile: Profile, on: dt.date) -> bool:
    """Whether the profile carries an approval dated on or before `on`."""
    return profile.approval is not None and profile.approval.approved_on <= on


def expiring_soon(profile: Profile, on: dt.date, *, days: int = EXPIRY_WARNING_DAYS) -> bool:
    """Whether a profile still in use reaches its `valid_to` within `days` days after `on`."""
    if profile.status == "retired" or profile.valid_to is None:
        return False
    return on <= profile.valid_to <= on + dt.timedelta(days=days)


def findings(profile: Profile, on: dt.date) -> list[Finding]:
    """Lifecycle problems of one parsed profile on day `on` (parse errors are reported apart)."""
    found = []
    if profile.status == "active" and not approved(profile, on):
        found.append(
            Finding(profile.id, "error", "active without an approval: it can never select")
        )
    if profile.status != "retired" and profile.valid_to is not None and profile.valid_to < on:
        found.append(
            Finding(profile.id, "warning", f"expired on {profile.valid_to}: retire or extend it")
        )
    if expiring_soon(profile, on):
        found.append(
            Finding(
                profile.id,
                "warning",
                f"expires on {profile.valid_to}, within {EXPIRY_WARNING_DAYS} days",
            )
        )
    return found
