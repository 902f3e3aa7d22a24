"""The unit's risk profiles: one loader for scoring, training, monitoring and the CLI.

The profiles come from the folder `GCRISK_PROFILES` (or `Settings.profiles`) names, every
`*.yaml` in it, or from the set shipped in `models/profiles` when none is set. Every condition
field is checked against the feature catalogue, every indicator against the reference table.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from features.catalogue import model_feature_names
from models.rules import (
    Profile,
    ProfileError,
    ProfileSet,
    load_profiles,
    packaged_documents,
    parse_profile,
)
from pipelines.settings import Settings


def profile_documents(settings: Settings) -> dict[str, str]:
    """File name -> YAML text of the unit's profiles (the shipped set when no folder is set).

    Raises:
        ProfileError: the folder is missing, is not a folder, or holds no *.yaml file.
    """
    folder = settings.profiles
    if folder is None:
        return packaged_documents()
    if not folder.is_dir():
        raise ProfileError(f"GCRISK_PROFILES={folder}: no such folder")
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise ProfileError(f"GCRISK_PROFILES={folder}: no *.yaml profile in the folder")
    return {str(path): path.read_text(encoding="utf-8") for path in files}


def profiles_source(settings: Settings) -> str:
    """Where the profiles in force come from, for messages and reports."""
    if settings.profiles is None:
        return "the shipped set (models/profiles)"
    return str(settings.profiles)


def load_unit_profiles(settings: Settings) -> ProfileSet:
    """The unit's profile set, every status (`ProfileSet.selecting`/`shadow` pick by day).

    Raises:
        ProfileError: one line naming the file and field of the first invalid profile.
    """
    return load_profiles(profile_documents(settings), known_fields=model_feature_names())


@dataclass(frozen=True)
class ParsedFile:
    """One profile file: the profile, or the one-line reason it is invalid."""

    source: str
    profile: Profile | None
    error: str | None


def parse_each(settings: Settings) -> list[ParsedFile]:
    """Every profile file parsed on its own, so that one broken file hides no other problem;
    a profile whose id another file uses too is invalid."""
    known = model_feature_names()
    parsed = []
    for source, text in sorted(profile_documents(settings).items()):
        try:
            parsed.append(
                ParsedFile(source, parse_profile(text, source=source, known_fields=known), None)
            )
        except ProfileError as error:
            parsed.append(ParsedFile(source, None, str(error)))
    ids = Counter(item.profile.id for item in parsed if item.profile is not None)
    return [
        ParsedFile(
            item.source, None, f"{item.source}: id: {item.profile.id} is used by another file"
        )
        if item.profile is not None and ids[item.profile.id] > 1
        else item
        for item in parsed
    ]
