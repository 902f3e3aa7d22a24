"""API keys: salted hashes in settings, a match by any entry, refusals for the rest."""

from __future__ import annotations

import pytest

from pipelines.service.auth import hash_key, key_id_for, new_key, parse_keys


def test_an_entry_holds_no_key_and_a_fresh_salt() -> None:
    key = new_key()
    first, second = hash_key("post-1", key), hash_key("post-1", key)
    assert key not in first.entry()
    assert first.salt != second.salt and first.digest != second.digest
    assert key_id_for(key, (first,)) == key_id_for(key, (second,)) == "post-1"


def test_each_key_finds_its_own_id() -> None:
    keys = {name: new_key() for name in ("a", "b", "c")}
    entries = parse_keys(",".join(hash_key(name, key).entry() for name, key in keys.items()))
    assert {key_id_for(key, entries) for key in keys.values()} == {"a", "b", "c"}
    for refused in (None, "", "x", keys["a"] + " ", keys["a"][:-1]):
        assert key_id_for(refused, entries) is None
    assert key_id_for(keys["a"], ()) is None  # no entries: nothing is accepted


@pytest.mark.parametrize("text", ["name", "a:b", "a::" + "0" * 64, "a:s:short", ":s:" + "0" * 64])
def test_malformed_entries_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="id:salt:sha256"):
        parse_keys(text)


@pytest.mark.parametrize("name", ["", "a:b", "a,b", "a b"])
def test_key_ids_are_plain_names(name: str) -> None:
    with pytest.raises(ValueError):
        hash_key(name, new_key())


def test_blank_settings_mean_no_keys() -> None:
    assert parse_keys("") == () and parse_keys(" , ") == ()
