"""`backtest-profile`: how one risk profile would have done on the warehouse's history.

Also the two quick readings of the profile folder behind `gcrisk profiles list` and `check`
(plain functions: they read a few YAML files and need no flow run).
"""

from __future__ import annotations

import datetime
from pathlib import Path

from prefect import flow
from pydantic import BaseModel, Field

from models.backtest import Backtest
from models.profiles_lifecycle import Finding, expiring_soon, findings
from models.rules import Profile, ProfileError
from pipelines.settings import Settings
from pipelines.steps.profiles import BACKTEST_FILES, read_history, run_backtest, write_backtest
from pipelines.storage.profiles import load_unit_profiles, parse_each, profiles_source


class ProfileInfo(BaseModel):
    """One profile as `gcrisk profiles list` shows it."""

    id: str
    version: int
    status: str
    standing: str
    lane: str
    category: str
    title: str
    rationale: str
    owner: str
    window: str
    approval: str | None
    indicators: list[str]
    expected_volume_per_month: float | None
    expected_hit_rate: float | None
    expiring_soon: bool
    source: str

    @classmethod
    def of(cls, profile: Profile, on: datetime.date, source: str) -> ProfileInfo:
        approval = profile.approval
        return cls(
            id=profile.id,
            version=profile.version,
            status=profile.status,
            standing=profile.standing(on).reason,
            lane=profile.lane,
            category=profile.category,
            title=profile.title,
            rationale=profile.rationale,
            owner=profile.owner,
            window=f"{profile.valid_from} to {profile.valid_to or 'open'}",
            approval=None
            if approval is None
            else f"{approval.approved_by}, {approval.approved_on}",
            indicators=list(profile.indicators),
            expected_volume_per_month=profile.expected_volume_per_month,
            expected_hit_rate=profile.expected_hit_rate,
            expiring_soon=expiring_soon(profile, on),
            source=source,
        )


class ProfileListing(BaseModel):
    """The unit's profiles on one day, with the set's version label and hash."""

    on: datetime.date
    source: str
    version_label: str
    fingerprint: str
    profiles: list[ProfileInfo]


class ProfileCheck(BaseModel):
    """Every problem of every profile file; `errors` make the set unfit for use."""

    on: datetime.date
    source: str
    files: int
    errors: list[str]
    warnings: list[str]


def list_profiles(settings: Settings, on: datetime.date) -> ProfileListing:
    """The unit's profiles and what each does on day `on`."""
    profiles = load_unit_profiles(settings)
    source = profiles_source(settings)
    return ProfileListing(
        on=on,
        source=source,
        version_label=profiles.version_label,
        fingerprint=profiles.fingerprint,
        profiles=[ProfileInfo.of(p, on, source) for p in profiles.profiles],
    )


def check_profiles(settings: Settings, on: datetime.date) -> ProfileCheck:
    """Parse every file on its own and list its problems (lifecycle ones as of day `on`)."""
    parsed = parse_each(settings)
    found: list[Finding] = []
    errors = [item.error for item in parsed if item.error]
    for item in parsed:
        if item.profile is not None:
            found += findings(item.profile, on)
    return ProfileCheck(
        on=on,
        source=profiles_source(settings),
        files=len(parsed),
        errors=errors + [f"{f.profile}: {f.message}" for f in found if f.level == "error"],
        warnings=[f"{f.profile}: {f.message}" for f in found if f.level == "warning"],
    )


class BacktestConfig(BaseModel):
    """Which profile to backtest, on which days, and where the page goes."""

    profile: str = Field(description="Profile id, as in `gcrisk profiles list`")
    since: datetime.date | None = Field(
        default=None, description="First declaration day (default: the warehouse's first)"
    )
    until: datetime.date | None = Field(
        default=None, description="Day after the last (default: the day after the latest)"
    )
    out: Path | None = Field(
        default=None,
        description="Folder for backtest.json/.html (default $GCRISK_HOME/profiles/ID)",
    )

    def out_dir(self, settings: Settings) -> Path:
        return self.out or settings.home / "profiles" / self.profile


class BacktestSummary(BaseModel):
    """What backtest.json holds."""

    profile: ProfileInfo
    backtest: Backtest
    profile_set: str
    outputs: dict[str, str]


@flow(name="backtest-profile", validate_parameters=True)
def profile_backtest_flow(config: BacktestConfig) -> BacktestSummary:
    """Fire the profile on the window's history; volume, hit rates, overlaps; page and JSON."""
    settings = Settings()
    profiles = load_unit_profiles(settings)
    if config.profile not in profiles.ids:
        raise ProfileError(
            f"no profile {config.profile!r} in {profiles_source(settings)} "
            f"(see gcrisk profiles list)"
        )
    history = read_history(settings.warehouse, config.since, config.until)
    result = run_backtest(history, profiles, config.profile)
    out = config.out_dir(settings)
    last_day = history.until - datetime.timedelta(days=1)
    summary = BacktestSummary(
        profile=ProfileInfo.of(profiles.get(config.profile), last_day, profiles_source(settings)),
        backtest=result,
        profile_set=f"{profiles.version_label} ({profiles.fingerprint})",
        outputs={name: str(out / name) for name in BACKTEST_FILES},
    )
    write_backtest(summary.model_dump(mode="json"), out)
    return summary
