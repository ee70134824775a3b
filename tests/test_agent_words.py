"""Cleaning speech-recognition transcripts (agent/words.py): fillers, stutters, noise tags, homophones,
one-letter-off request words, and telling noise lines from requests."""

from __future__ import annotations

import pytest

from sa2va_assist.agent.words import clean, is_noise


@pytest.mark.parametrize(
    ("heard", "cleaned"),
    [
        # fillers go wherever they stand
        ("um where is my cup", "where is my cup"),
        ("uh, erm, read the sign", "read the sign"),
        ("where is hmm the door", "where is the door"),
        ("describe the room uhh", "describe the room"),
        # stutters collapse to one word
        ("the the door", "the door"),
        ("where where is my cup", "where is my cup"),
        ("stop stop stop", "stop"),
        ("uh uh the the door", "the door"),
        # tags a recogniser writes for noise
        ("[inaudible] where is the door", "where is the door"),
        ("(music) describe the room", "describe the room"),
        ("where is the door [BLANK_AUDIO]", "where is the door"),
        ("*coughs* read this", "read this"),
        ("♪ what's around me ♪", "what's around me"),
        # punctuation, case, spacing; apostrophes kept
        ("Where's my CUP?!", "where's my cup"),
        ("What\u2019s in front of me?", "what's in front of me"),
        ("Is it 2 o'clock?", "is it 2 o'clock"),
        ("  where   is\tmy cup  ", "where is my cup"),
        ("the left-hand door", "the left hand door"),
        ("Read the sign, please.", "read the sign please"),
    ],
)
def test_clean_removes_fillers_stutters_tags_and_punctuation(heard: str, cleaned: str) -> None:
    assert clean(heard) == cleaned


@pytest.mark.parametrize(
    ("heard", "cleaned"),
    [
        ("wear is my cup", "where is my cup"),
        ("Wear is my cup?", "where is my cup"),
        ("were is the door", "where is the door"),
        ("wheres my phone", "where's my phone"),
        ("reed the label", "read the label"),
        ("red the sign", "read the sign"),
        ("Red the sign.", "read the sign"),
        ("red it again", "read it again"),
        ("fine my keys", "find my keys"),
        ("how much people are here", "how many people are here"),
        ("how menny chairs", "how many chairs"),
        ("repete that", "repeat that"),
        ("wat is that", "what is that"),
    ],
)
def test_clean_fixes_homophones(heard: str, cleaned: str) -> None:
    assert clean(heard) == cleaned


@pytest.mark.parametrize(
    "heard",
    [
        "the red cup",
        "where is the red cup",
        "is the light red",
        "that looks fine",
        "is the red car moving",
        pytest.param("were the lights on"),
        pytest.param("what should i wear today"),
    ],
)
def test_clean_leaves_the_same_words_in_their_own_sense(heard: str) -> None:
    assert clean(heard) == heard


@pytest.mark.parametrize(
    ("heard", "cleaned"),
    [
        ("trak the dog", "track the dog"),
        ("trackk the bus", "track the bus"),
        ("folow the man", "follow the man"),
        ("follw the man", "follow the man"),
        ("descrbe the room", "describe the room"),
        ("repat that", "repeat that"),
        ("guid me to the door", "guide me to the door"),
        ("slowr please", "slower please"),
        ("fastr", "faster"),
        ("wher is the door", "where is the door"),
    ],
)
def test_clean_respells_one_letter_off_request_words(heard: str, cleaned: str) -> None:
    assert clean(heard) == cleaned


@pytest.mark.parametrize(
    "heard",
    [
        "where is the truck",
        "the train tracks",
        "is the kitchen counter clean",
        "what counts here",
        "is there a trace of water",
        "the rack is empty",
        "lower the blind",
        "is it here",
        "the guides are waiting",
        "is the dog following me",
        pytest.param("what county am i in"),
    ],
)
def test_clean_leaves_ordinary_words_alone(heard: str) -> None:
    assert clean(heard) == heard


@pytest.mark.parametrize(
    "heard",
    [
        "Um, where's my CUP?!",
        "uh uh the the door",
        "red the sign",
        "wear is my cup",
        "trak the dog",
        "[music] what's is that",
        "how much people are here",
    ],
)
def test_clean_is_idempotent(heard: str) -> None:
    once = clean(heard)
    assert clean(once) == once


@pytest.mark.parametrize(
    "heard",
    [
        "",
        "   ",
        "um",
        "uh um",
        "...",
        "[MUSIC]",
        "(inaudible)",
        "♪",
        "*coughs*",
        "you",
        "Thank you.",
        "thanks",
        "Thank you very much!",
        "Thanks for watching!",
        "bye",
        "okay",
        "ok so",
        "well yeah",
        "yes",
        "no no",
        "oh right",
        "so um like",
    ],
)
def test_noise_lines_and_fillers_are_noise(heard: str) -> None:
    assert is_noise(clean(heard))


@pytest.mark.parametrize(
    "heard",
    [
        "where is my cup",
        "stop",
        "help",
        "more",
        "again",
        "what",
        "no more",
        "describe",
        "read the sign",
        "okay stop",
        "thank you, stop talking",
        "yes read it",
        "um what's around me",
        "[inaudible] where is the door",
    ],
)
def test_requests_are_not_noise(heard: str) -> None:
    assert not is_noise(clean(heard))
