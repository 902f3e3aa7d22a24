"""The world's configuration: every knob has a default, and the defaults are the default world."""

from __future__ import annotations

import datetime
from typing import Literal

import pydantic

from data_contracts import reference

CATEGORIES = ("waste", "ods", "wildlife")
DriftKind = Literal["import_ban", "new_tactic"]
#: Longest delay between a declaration and its inspection result, in days.
MAX_INSPECTION_LAG_DAYS = 60


def default_category_shares() -> dict[str, float]:
    """Illicit shares by category: declaration share of each regime x its violation prior.

    ODS counts bulk substances at their prior and refrigeration/AC equipment at the low end of
    it (equipment hides bulk gas less often than cylinders are mislabelled).
    """
    m = reference.magnitudes()["typical"].astype(float)
    low = reference.magnitudes()["low"].astype(float)
    waste = m["declaration_share_waste_codes"] * m["violation_rate_waste_codes"]
    ods = (
        m["declaration_share_ods_bulk"] * m["violation_rate_ods_bulk"]
        + m["declaration_share_ods_equipment"] * low["violation_rate_ods_bulk"]
    )
    wildlife = m["declaration_share_wildlife_codes"] * m["violation_rate_wildlife_codes"]
    total = waste + ods + wildlife
    return {
        "waste": round(waste / total, 3),
        "ods": round(ods / total, 3),
        "wildlife": round(wildlife / total, 3),
    }


class DriftEvent(pydantic.BaseModel):
    """A dated change in the world: a destination's import ban or a new smuggling tactic."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

    name: str
    kind: DriftKind
    date: datetime.date
    description: str = ""
    country: str = ""
    tactic: str = ""


def default_drift_events(start: datetime.date, months: int) -> tuple[DriftEvent, ...]:
    """The default world's events, placed at fixed points of the simulated period."""
    ban = _month_offset(start, months // 2)
    hfo = _month_offset(start, (months * 5) // 8)
    return (
        DriftEvent(
            name="plastic-import-ban-TH",
            kind="import_ban",
            date=ban,
            country="TH",
            description=(
                "Thailand stops plastic scrap imports (as it did on 1 Jan 2025): transit "
                "cargo re-routes to VN, ID and IN and more plastic waste is offered to the "
                "home country, some of it routed via HK and SG and declared as resin."
            ),
        ),
        DriftEvent(
            name="hfc-declared-as-hfo",
            kind="new_tactic",
            date=hfo,
            tactic="ods_hfc_as_hfo",
            description=(
                "HFC quota steps make HFC-134a and R-404A worth smuggling: new traders start "
                "declaring them as unregulated HFOs (2903.51, 3827.68), as EIA reports."
            ),
        ),
    )


def _month_offset(start: datetime.date, months: int) -> datetime.date:
    month = start.month - 1 + months
    return datetime.date(start.year + month // 12, month % 12 + 1, 1)


class WorldConfig(pydantic.BaseModel):
    """Options of one simulated world; the defaults are the default world."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

    declarations: int = pydantic.Field(200_000, ge=200, le=20_000_000)
    start: datetime.date = datetime.date(2024, 1, 1)
    months: int = pydantic.Field(24, ge=3, le=120)
    seed: int = 7
    scenario: str | None = None
    #: Where the scenario's shipments fall, as fractions of the period (of the days after the
    #: ban for a scenario that follows it); None keeps the scenario's own window.
    scenario_window: tuple[float, float] | None = None
    reporting_country: Literal["MY"] = "MY"
    illicit_share: float = pydantic.Field(0.01, gt=0.0, le=0.05)
    category_shares: dict[str, float] = pydantic.Field(
        default_factory=default_category_shares, validate_default=True
    )
    export_share: float = pydantic.Field(0.12, ge=0.0, le=0.5)
    transit_share: float = pydantic.Field(0.05, ge=0.0, le=0.3)
    declarations_per_trader: float = pydantic.Field(14.0, ge=2.0)
    trader_size_shape: float = pydantic.Field(1.05, gt=0.5, le=3.0)
    traders_per_declarant: float = pydantic.Field(35.0, ge=2.0)
    network_share: float = pydantic.Field(0.2, ge=0.0, le=0.9)
    one_off_share: float = pydantic.Field(0.06, ge=0.0, le=0.5)
    shipments_per_front: float = pydantic.Field(7.0, ge=1.0)
    unit_value_sigma: float = pydantic.Field(0.5, gt=0.0, le=2.0)
    legit_error_rate: float = pydantic.Field(0.03, ge=0.0, le=0.2)
    inspection_rate: float = pydantic.Field(0.05, gt=0.0, le=0.5)
    random_inspection_rate: float = pydantic.Field(0.01, gt=0.0, le=0.5)
    detection_probability: float = pydantic.Field(0.8, gt=0.0, le=1.0)
    officer_tip_rate: float = pydantic.Field(0.03, ge=0.0, le=0.5)
    network_adaptation: bool = True
    drift_events: tuple[DriftEvent, ...] | None = None

    @pydantic.field_validator("category_shares")
    @classmethod
    def _shares(cls, shares: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(shares) - set(CATEGORIES))
        if unknown or any(value < 0 for value in shares.values()):
            raise ValueError(f"category_shares: keys from {CATEGORIES}, values >= 0 ({unknown})")
        total = sum(shares.values())
        if total <= 0:
            raise ValueError("category_shares must not all be zero")
        return {key: shares.get(key, 0.0) / total for key in CATEGORIES}

    @pydantic.field_validator("scenario")
    @classmethod
    def _scenario(cls, name: str | None) -> str | None:
        from simulation.scenarios import SCENARIOS  # the registry imports this module

        if name is not None and name not in SCENARIOS:
            raise ValueError(f"unknown scenario {name!r}; choose from {', '.join(SCENARIOS)}")
        return name

    @pydantic.field_validator("scenario_window")
    @classmethod
    def _window(cls, window: tuple[float, float] | None) -> tuple[float, float] | None:
        if window is not None and not 0.0 <= window[0] < window[1] <= 1.0:
            raise ValueError(
                f"scenario_window must be two fractions 0 <= start < end <= 1: {window}"
            )
        return window

    @pydantic.model_validator(mode="after")
    def _period(self) -> WorldConfig:
        if self.random_inspection_rate >= self.inspection_rate:
            raise ValueError("random_inspection_rate must be below inspection_rate")
        last_result = self.end + datetime.timedelta(days=MAX_INSPECTION_LAG_DAYS)
        if last_result > datetime.date.today():  # the contracts reject future dates
            raise ValueError(
                f"the period must end (with {MAX_INSPECTION_LAG_DAYS} days for inspection "
                f"results) by today: it ends {self.end}"
            )
        return self

    @property
    def end(self) -> datetime.date:
        """Last day of the simulated period."""
        return _month_offset(self.start, self.months) - datetime.timedelta(days=1)

    @property
    def days(self) -> int:
        """Number of days in the period."""
        return (self.end - self.start).days + 1

    def events(self) -> tuple[DriftEvent, ...]:
        """The drift events of this world (the defaults unless given)."""
        if self.drift_events is not None:
            return self.drift_events
        return default_drift_events(self.start, self.months)
