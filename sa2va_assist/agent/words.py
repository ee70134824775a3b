"""Cleaning what speech recognition hands over, before any intent rule sees it. Pure.

Transcripts arrive lowercase or capitalised, with or without punctuation, with fillers ("um", "uh"),
stutters ("the the"), tags a recogniser writes for noise ("[inaudible]", "(music)") and words misheard
as their homophones ("wear is my cup", "reed the sign"). ``clean`` maps all of them onto one plain form:
lowercase words separated by single spaces, apostrophes kept ("where's", "o'clock").
"""

from __future__ import annotations

import re

from ..vocabulary import spelled_out

# Sounds that carry no request; removed wherever they stand.
FILLERS = frozenset(
    {"um", "umm", "uh", "uhh", "uhm", "er", "erm", "ah", "ahh", "hmm", "hm", "mm", "mmm", "eh"}
)
# Lines a speech recogniser writes for silence or noise (Whisper's known hallucinations among them).
NOISE_LINES = frozenset({
    "", "you", "thank you", "thanks", "thank you very much", "thanks for watching", "bye", "okay", "ok",
    "so", "yeah", "yes", "no", "oh", "right", "well", "alright", "hello", "hi", "hey",
})  # fmt: skip
# Misheard words -> what was said, applied to whole words only. Each is a homophone or a spelling a
# recogniser produces for a word that the request vocabulary needs; none is a word a request would
# use in its own sense at that place ("were is", not "were").
HOMOPHONES: dict[str, str] = {
    "wheres": "where's", "wears": "where's", "whats": "what's", "wheres's": "where's",
    "reed": "read", "rede": "read", "discribe": "describe", "descibe": "describe", "describ": "describe",
    "menny": "many", "meny": "many", "mony": "many", "cont": "count", "fined": "find", "fynd": "find",
    "quite": "quiet", "quiete": "quiet", "repete": "repeat", "repeet": "repeat", "slowe": "slower",
    "fasta": "faster", "colour": "color", "colours": "colors", "folow": "follow", "fallow": "follow",
    "sine": "sign", "lable": "label", "sayin": "saying", "gonna": "going to", "wanna": "want to",
    "gimme": "give me", "lemme": "let me", "u": "you", "r": "are", "im": "i'm", "dont": "don't",
    "cant": "can't", "didnt": "didn't", "doesnt": "doesn't", "isnt": "isn't", "thats": "that's",
    "theres": "there's", "whos": "who's", "wat": "what", "wot": "what", "wut": "what", "pls": "please",
    "plz": "please", "tv's": "tvs",
}  # fmt: skip
# Two-word mishearings: "were is" (where is), "red the" (read the), "fine my" (find my).
_PAIRS = (
    (re.compile(r"\b(?:were|wear) (is|are|did|does|do|was|'s)\b"), r"where \1"),
    (re.compile(r"^(?:can you |please )?red (the|that|this|it|me|out|aloud|what)\b"), r"read \1"),
    (re.compile(r"\bfine (my|the|me|a|an|our)\b"), r"find \1"),
    (re.compile(r"\bhow much (people|persons|cars|chairs|cups|bottles|dogs|cats)\b"), r"how many \1"),
    (re.compile(r"\bwhat'?s is\b"), "what is"),
    (re.compile(r"\bwhere'?s is\b"), "where is"),
)
_TAGS = re.compile(r"\[[^\]]*\]|\([^)]*\)|\*[^*]*\*|♪")
_NON_WORD = re.compile(r"[^a-z0-9' ]+")


# Request words a recogniser drops or doubles a letter of ("trak", "folow", "descibe", "repeet"): a word
# one letter short or long of one of these, same first letter, is read as it. Only words of 5+
# letters, whose one-letter neighbours are rarely other words a request would use.
KEYWORDS = (
    "track",
    "follow",
    "describe",
    "repeat",
    "slower",
    "faster",
    "count",
    "where",
    "guide",
    "read out",
)


def _one_off(word: str, keyword: str) -> bool:
    """``word`` is ``keyword`` with exactly one letter missing or one letter extra (an extra s, d, y or
    r at the end makes an inflection or another word: "tracks", "county")."""
    short, long_ = (word, keyword) if len(word) < len(keyword) else (keyword, word)
    if len(long_) - len(short) != 1 or word[:1] != keyword[:1]:
        return False
    if word.startswith(keyword) and word[-1] in "sdyr":  # "tracks", "guided", "county", "faster"
        return False
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _respelled(word: str) -> str:
    if len(word) < 4 or word in _COMMON:
        return word
    return next((k for k in KEYWORDS if _one_off(word, k)), word)


_COMMON = frozenset({"were", "faste", "coun"})  # real words one letter off a keyword


def clean(text: str) -> str:
    """Lowercase words with fillers, stutters, noise tags and known mishearings removed or fixed."""
    text = _TAGS.sub(" ", spelled_out(text).lower().replace("’", "'").replace("‘", "'"))
    text = _NON_WORD.sub(" ", text.replace("-", " "))
    words = [_respelled(HOMOPHONES.get(w.strip("'"), w.strip("'"))) for w in text.split()]
    kept: list[str] = []
    for w in " ".join(words).split():
        if w in FILLERS or (kept and w == kept[-1] and w not in ("no", "very")):
            continue  # "the the door" -> "the door"; "stop stop" -> "stop"
        kept.append(w)
    out = " ".join(kept)
    for pattern, repl in _PAIRS:
        out = pattern.sub(repl, out)
    return out


# Words that carry no request on their own; an utterance made only of them is noise ("okay so", "well yeah").
_EMPTY_WORDS = frozenset(" ".join(NOISE_LINES).split()) | {
    "like",
    "very",
    "much",
    "for",
    "watching",
    "and",
    "but",
    "the",
    "a",
    "uh",
}


def is_noise(cleaned: str) -> bool:
    """True for input with no request in it: empty, politeness or filler words only, a hallucinated line."""
    return (
        cleaned in NOISE_LINES or not re.search(r"[a-z0-9]", cleaned) or set(cleaned.split()) <= _EMPTY_WORDS
    )
