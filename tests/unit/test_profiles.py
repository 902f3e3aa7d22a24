"""The shipped risk profiles: valid, catalogued, spread over the three regimes."""

from __future__ import annotations

from collections import Counter

from features.catalogue import model_feature_names
from models.rules import packaged_profiles


def test_shipped_profiles_load_against_the_catalogue() -> None:
    profiles = packaged_profiles(known_fields=model_feature_names())
    categories = Counter(profile.category for profile in profiles.profiles)
    assert len(profiles.profiles) >= 15
    assert min(categories[name] for name in ("waste", "ods", "wildlife")) >= 5
    assert {profile.lane for profile in profiles.profiles} == {"red", "yellow"}
    for profile in profiles.profiles:
        assert profile.rationale and profile.owner and profile.indicators
