"""A tiny WordNet in the database's own text format (``data.noun``, ``index.noun``, ``index.adj``) for
the lexicon builder: a handful of meanings under the anchors of person, bird, dog and car and the
kinds animal and vehicle, so tests know exactly what every word means whether or not ``setup`` has
fetched the real WordNet."""

from __future__ import annotations

import json
from pathlib import Path

# offset: (words, hypernym offsets)
SYNSETS: dict[str, tuple[list[str], list[str]]] = {
    "00000001": (["entity"], []),
    "00000002": (["organism"], ["00000001"]),
    "00000003": (["person", "individual"], ["00000002"]),
    "00000004": (["runner"], ["00000003"]),
    "00000005": (["jogger"], ["00000004"]),
    "00000006": (["animal", "beast"], ["00000002"]),
    "00000007": (["bird"], ["00000006"]),
    "00000008": (["swan"], ["00000007"]),
    "00000009": (["goat"], ["00000006"]),
    "00000010": (["dog"], ["00000006"]),
    "00000011": (["puppy"], ["00000010"]),
    "00000012": (["artifact"], ["00000001"]),
    "00000013": (["conveyance", "transport"], ["00000012"]),
    "00000014": (["car", "auto"], ["00000013"]),
    "00000015": (["sedan"], ["00000014"]),
    "00000016": (["tram", "streetcar"], ["00000013"]),
    "00000017": (["white_person", "white"], ["00000003"]),
    "00000018": (["document"], ["00000001"]),
    "00000019": (["key"], ["00000012"]),
    "00000020": (["mouse"], ["00000006"]),  # the animal: sense 1, as in WordNet
}
# lemma: senses, most common first ("conveyance" is sense 3 in WordNet: the anchor says so)
SENSES: dict[str, list[str]] = {
    "entity": ["00000001"], "organism": ["00000002"], "person": ["00000003"], "individual": ["00000003"],
    "runner": ["00000004"], "jogger": ["00000005"], "animal": ["00000006"], "beast": ["00000006"],
    "bird": ["00000007"], "swan": ["00000008"], "goat": ["00000009"], "dog": ["00000010"],
    "puppy": ["00000011"], "artifact": ["00000012"], "conveyance": ["00000018", "00000018", "00000013"],
    "transport": ["00000013"], "car": ["00000014"], "auto": ["00000014"], "sedan": ["00000015"],
    "tram": ["00000016"], "streetcar": ["00000016"], "white": ["00000017"], "document": ["00000018"],
    "key": ["00000019"], "mouse": ["00000020"],
}  # fmt: skip
ADJECTIVES = ("white",)


def data_noun() -> list[str]:
    lines = ["  1 This is a stand-in for the WordNet licence header."]
    for offset, (words, ups) in SYNSETS.items():
        named = " ".join(f"{w} 0" for w in words)
        pointers = " ".join(f"@ {up} n 0000" for up in ups)
        lines.append(f"{offset} 03 n {len(words):02x} {named} {len(ups):03d} {pointers} | a gloss")
    return lines


def index_noun() -> list[str]:
    return [f"{lemma} n {len(s)} 1 @ {len(s)} 0 {' '.join(s)}" for lemma, s in sorted(SENSES.items())]


def index_adj() -> list[str]:
    return [f"{word} a 1 0 1 0 00000099" for word in ADJECTIVES]


def write_lexicon(path: Path) -> Path:
    """The lexicon the real builder makes from this WordNet, written to ``path``."""
    from sa2va_assist.setup.lexicon import WordNet, build

    path.write_text(json.dumps(build(WordNet(data_noun(), index_noun(), index_adj()), strict=False)))
    return path
