"""What any English noun names among our classes, from the word lexicon ``setup`` builds out of
WordNet (``setup/lexicon.py``): "jogger" -> the class person, "sedan" -> car, "goat" -> the kind
animal (any animal class may be it; lite cannot tell which). Used by ``referring.parse`` for the
words its own lists do not have. Pure lookups over one JSON file, read once; without the file (setup
not run) every lookup is None and phrases keep the meaning the built-in lists give them.
"""

from __future__ import annotations

import json
import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from .paths import cache_root
from .spatial import COCO_CLASSES

log = logging.getLogger(__name__)

FORMAT = 1  # bump when the file's layout changes: setup rebuilds it
Kind = Literal["animal", "vehicle"]


def _span(first: str, last: str) -> tuple[str, ...]:
    return COCO_CLASSES[COCO_CLASSES.index(first) : COCO_CLASSES.index(last) + 1]


# The classes a kind of thing may be found as ("a goat": any animal the detector knows).
KIND_CLASSES: dict[Kind, tuple[str, ...]] = {
    "animal": _span("bird", "giraffe"),
    "vehicle": _span("bicycle", "boat"),
}
Meaning = tuple[Literal["class", "kind"], str]  # ("class", "person") or ("kind", "animal")


def lexicon_path(cache_dir: Path | None = None) -> Path:
    """Where the lexicon lives: ``$SA2VA_ASSIST_LEXICON`` when set (another lexicon file of the same
    format), else ``<cache_root()>/lexicon/wordnet-3.1.v<FORMAT>.json``."""
    override = os.environ.get("SA2VA_ASSIST_LEXICON")
    if override and cache_dir is None:
        return Path(override).expanduser()
    return Path(cache_dir or cache_root() / "lexicon") / f"wordnet-3.1.v{FORMAT}.json"


@lru_cache(maxsize=4)
def _load(path: str) -> tuple[dict[str, str], dict[str, str]] | None:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format')}, expected {FORMAT}")
        return dict(data["classes"]), dict(data["kinds"])
    except FileNotFoundError:
        log.debug("no word lexicon at %s (run 'sa2va-assist setup')", path)
    except (OSError, ValueError, KeyError, TypeError) as err:
        log.warning("the word lexicon %s is unreadable (%s); run 'sa2va-assist setup' again", path, err)
    return None


def available() -> bool:
    """Whether the lexicon file is there and readable."""
    return _load(str(lexicon_path())) is not None


def _singulars(word: str) -> list[str]:
    """``word`` and the singular forms it may be the plural of, most likely first."""
    forms = [word]
    for suffix, stems in (("men", ("man",)), ("ies", ("y",)), ("ves", ("f", "fe")), ("es", ("",)),
                          ("s", ("",))):  # fmt: skip
        if word.endswith(suffix) and len(word) > len(suffix) + 1:
            forms += [word[: -len(suffix)] + stem for stem in stems]
    return forms


def meaning(word: str) -> tuple[Meaning, bool] | None:
    """(what ``word`` names, whether it was said in the plural), or None when the lexicon has no
    class or kind for it (or is not there): "joggers" -> (("class", "person"), True)."""
    loaded = _load(str(lexicon_path()))
    if loaded is None or not word:
        return None
    classes, kinds = loaded
    for n, form in enumerate(_singulars(word.lower())):
        if form in classes:
            return ("class", classes[form]), n > 0
        if form in kinds:
            return ("kind", kinds[form]), n > 0
    return None
