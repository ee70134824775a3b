import pytest

from sa2va_assist.tasks import choose_task, split_targets


@pytest.mark.parametrize(
    ("text", "task"),
    [
        ("Where is my red cup?", "segment"),
        ("find my keys", "segment"),
        ("the person on the left", "segment"),
        ("Track the dog", "segment"),
        ("read the sign", "read"),
        ("What does this say?", "read"),
        ("what's written on the box", "read"),
        ("Describe the scene", "caption"),
        ("what's in front of me", "caption"),
        ("What do you see?", "caption"),
        ("describe everything with masks", "gcg"),
        ("label everything", "gcg"),
        ("Is there a dog?", "ask"),
        ("how many people are there", "ask"),
        ("what colour is the car?", "ask"),
        ("", "caption"),
    ],
)
def test_choose_task(text: str, task: str) -> None:
    assert choose_task(text) == task


@pytest.mark.parametrize(
    ("text", "targets"),
    [
        ("Where is my red cup?", ["the red cup"]),
        ("find my keys and my phone", ["the keys", "the phone"]),
        ("Where are the cups, the plates and my phone please?", ["the cups", "the plates", "the phone"]),
        ("the horse and its rider", ["the horse and its rider"]),
        ("please locate the dog in this image", ["the dog"]),
        ("where\u2019s the cat", ["the cat"]),
        ("show me the bus & the car", ["the bus", "the car"]),
    ],
)
def test_split_targets(text: str, targets: list[str]) -> None:
    assert split_targets(text) == targets
