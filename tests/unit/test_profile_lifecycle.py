"""Profile lifecycle: who selects, who fires in shadow, who stays silent, who expires soon."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from models.profiles_lifecycle import findings
from models.rules import ProfileError, ProfileSet, load_profiles, parse_profile

TEMPLATE = """
id: {id}
version: {version}
status: {status}
category: ods
title: Refrigerant without licence
rationale: A controlled code with no licence.
owner: ozone-desk
valid_from: 2024-01-01
valid_to: {valid_to}
lane: red
indicators: [O01, X05]
expected_volume_per_month: 10
expected_hit_rate: 0.2
{approval}
condition:
  all:
    - {{field: is_ods_code, op: eq, value: true}}
"""
APPROVED = "approval: {approved_by: head of unit, approved_on: 2024-01-15}"
DAY = dt.date(2024, 6, 1)


def profile_text(
    pid: str = "ODS-01",
    *,
    status: str = "active",
    valid_to: str = "null",
    approval: str = APPROVED,
    version: int = 1,
) -> str:
    return TEMPLATE.format(
        id=pid, status=status, valid_to=valid_to, approval=approval, version=version
    )


def one(**options: Any) -> ProfileSet:
    return load_profiles({"p.yaml": profile_text(**options)})


def test_active_approved_profile_selects_inside_its_window_only() -> None:
    profiles = one(valid_to="2024-12-31")
    assert profiles.selecting(DAY).ids == ["ODS-01"]
    assert profiles.shadow(DAY).ids == []
    # Before valid_from, after valid_to: silent, neither selecting nor in shadow.
    for day in (dt.date(2023, 12, 31), dt.date(2025, 1, 1)):
        assert profiles.selecting(day).ids == profiles.shadow(day).ids == []
    assert profiles.get("ODS-01").standing(dt.date(2025, 1, 1)).reason == "expired on 2024-12-31"


def test_draft_fires_in_shadow_and_never_selects() -> None:
    profiles = one(status="draft")
    assert profiles.selecting(DAY).ids == []
    assert profiles.shadow(DAY).ids == ["ODS-01"]


def test_retired_profile_never_fires_even_when_approved_and_in_window() -> None:
    profiles = one(status="retired")
    assert profiles.selecting(DAY).ids == profiles.shadow(DAY).ids == []
    assert not profiles.get("ODS-01").standing(DAY).fires


def test_unapproved_active_profile_never_selects_and_runs_in_shadow() -> None:
    profiles = one(approval="")
    assert profiles.selecting(DAY).ids == []
    assert profiles.shadow(DAY).ids == ["ODS-01"]
    assert [f.level for f in findings(profiles.get("ODS-01"), DAY)] == ["error"]


def test_approval_counts_from_its_date() -> None:
    profiles = one()
    assert profiles.selecting(dt.date(2024, 1, 14)).ids == []
    assert profiles.shadow(dt.date(2024, 1, 14)).ids == ["ODS-01"]
    assert profiles.selecting(dt.date(2024, 1, 15)).ids == ["ODS-01"]


def test_expiry_warning_starts_30_days_ahead() -> None:
    profiles = one(valid_to="2024-07-01")
    assert profiles.expiring(dt.date(2024, 5, 31)).ids == []
    assert profiles.expiring(dt.date(2024, 6, 1)).ids == ["ODS-01"]
    assert profiles.expiring(dt.date(2024, 7, 1)).ids == ["ODS-01"]
    assert profiles.expiring(dt.date(2024, 7, 2)).ids == []
    messages = [f.message for f in findings(profiles.get("ODS-01"), dt.date(2024, 6, 10))]
    assert messages == ["expires on 2024-07-01, within 30 days"]
    expired = findings(profiles.get("ODS-01"), dt.date(2024, 7, 2))
    assert [(f.level, f.message) for f in expired] == [
        ("warning", "expired on 2024-07-01: retire or extend it")
    ]
    assert one(status="retired", valid_to="2024-07-01").expiring(DAY).ids == []


def test_mixed_set_splits_by_status() -> None:
    profiles = load_profiles(
        {
            "a.yaml": profile_text("ODS-01"),
            "b.yaml": profile_text("ODS-02", status="draft"),
            "c.yaml": profile_text("ODS-03", status="retired"),
            "d.yaml": profile_text("ODS-04", approval=""),
            "e.yaml": profile_text("ODS-05", valid_to="2024-03-01"),
        }
    )
    assert profiles.selecting(DAY).ids == ["ODS-01"]
    assert profiles.shadow(DAY).ids == ["ODS-02", "ODS-04"]


def test_version_label_names_every_profile_and_version() -> None:
    profiles = load_profiles(
        {"a.yaml": profile_text("ODS-02", version=3), "b.yaml": profile_text("ODS-01")}
    )
    assert profiles.version_label == "ODS-01@1,ODS-02@3"
    bumped = load_profiles(
        {"a.yaml": profile_text("ODS-02", version=4), "b.yaml": profile_text("ODS-01")}
    )
    assert bumped.fingerprint != profiles.fingerprint


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("[O01, X05]", "[O01, Z99]"), "indicators: Value error, unknown indicator Z99"),
        (("status: active", "status: live"), "status: Input should be 'draft', 'active'"),
        (("version: 1", "version: 0"), "version: Input should be greater than or equal to 1"),
        (("expected_hit_rate: 0.2", "expected_hit_rate: 2"), "expected_hit_rate: Input should"),
        (("approved_on: 2024-01-15", "approved_on: soon"), "approval.approved_on: Input should"),
        (("version: 1\n", ""), "version: Field required"),
    ],
)
def test_lifecycle_fields_are_checked_in_one_line(edit: tuple[str, str], message: str) -> None:
    with pytest.raises(ProfileError) as error:
        parse_profile(profile_text().replace(*edit), source="unit/p.yaml")
    text = str(error.value)
    assert text.startswith("unit/p.yaml: ") and "\n" not in text
    assert message in text


def test_profiles_in_use_split_selecting_shadow_and_expiring_and_warn_of_expiry() -> None:
    documents = {
        "a.yaml": profile_text("ODS-01", valid_to="2024-06-20"),
        "b.yaml": profile_text("ODS-02", status="draft", approval=""),
        "c.yaml": profile_text("ODS-03", valid_to="2024-07-02"),
        "d.yaml": profile_text("ODS-04", status="retired", valid_to="2024-06-10"),
    }
    in_use = load_profiles(documents).in_use(DAY)
    assert in_use.selecting.ids == ["ODS-01", "ODS-03"]
    assert in_use.shadow.ids == ["ODS-02"]
    # ODS-03 ends 31 days after DAY, outside the 30-day warning; a retired one never warns.
    assert in_use.expiring.ids == ["ODS-01"]
    assert in_use.warnings() == [
        "profile ODS-01@1 expires on 2024-06-20, within 30 days of 2024-06-01: extend, "
        "replace or retire it"
    ]
