"""The trained Sa2VA prompt templates: the files, where they are found, how they are filled."""

from __future__ import annotations

from pathlib import Path

import pytest

from sa2va_assist.errors import ConfigError, InputError
from sa2va_assist.vision import prompts
from sa2va_assist.vision.prompts import (
    BUILTIN,
    PROMPTS_ENV,
    READ_QUESTION,
    TEMPLATE_NAMES,
    clean_expression,
    is_question,
    prompts_dir,
    render,
    template,
)

REPO_PROMPTS = Path(__file__).resolve().parent.parent / "prompts"


@pytest.fixture(autouse=True)
def _no_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PROMPTS_ENV, raising=False)


def test_checkout_folder_is_found_and_matches_the_builtin_copy() -> None:
    assert prompts_dir() == REPO_PROMPTS
    assert sorted(p.stem for p in REPO_PROMPTS.glob("*.txt")) == sorted(TEMPLATE_NAMES)
    for name in TEMPLATE_NAMES:
        text = (REPO_PROMPTS / f"{name}.txt").read_text(encoding="utf-8")
        assert text.rstrip("\n") == BUILTIN[name] == template(name)
        assert text.count("<image>") == 1 and text.startswith("<image>")


@pytest.mark.parametrize(
    ("task", "text", "is_video", "prompt"),
    [
        ("segment", "the red cup", False, "<image>Please segment the red cup in this image."),
        ("segment", "The red cup.", False, "<image>Please segment the red cup in this image."),
        ("segment", "TV remote?", False, "<image>Please segment TV remote in this image."),
        ("segment", "the dog", True, "<image>Please segment the dog."),
        ("segment", "the  man\nin red!", True, "<image>Please segment the man in red."),
        (
            "segment",
            "which dog jumps first?",
            True,
            "<image>Which dog jumps first? Please respond with a segmentation mask.",
        ),
        (
            "segment",
            "which dog jumps first?",
            False,
            "<image>Please segment which dog jumps first in this image.",
        ),
        ("ask", "  Is the door open? ", False, "<image>Is the door open?"),
        ("ask", "what is {this}?", True, "<image>what is {this}?"),
        ("ask", "<image>what is this", False, "<image>what is this"),
        ("caption", "ignored", False, "<image>Please describe the image."),
        ("caption", "", True, "<image>Please describe the video."),
        ("read", "", False, f"<image>{READ_QUESTION[False]}"),
        ("read", "", True, f"<image>{READ_QUESTION[True]}"),
        ("gcg", "", False, BUILTIN["gcg"]),
    ],
)
def test_render(task: str, text: str, is_video: bool, prompt: str) -> None:
    rendered = render(task, text, is_video)  # type: ignore[arg-type]
    assert rendered == prompt
    assert rendered.count("<image>") == 1


@pytest.mark.parametrize(("task", "text"), [("segment", ""), ("segment", " ?. "), ("ask", "  ")])
def test_render_needs_words(task: str, text: str) -> None:
    with pytest.raises(InputError):
        render(task, text, False)  # type: ignore[arg-type]


def test_unknown_template_or_task() -> None:
    with pytest.raises(ConfigError):
        template("nope")
    with pytest.raises(ConfigError):
        render("dance", "x", False)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("which cup?", True),
        ("Is there a dog", True),
        ("the red cup", False),
        ("where is it", True),
        ("", False),
    ],
)
def test_is_question(text: str, question: bool) -> None:
    assert is_question(text) is question


@pytest.mark.parametrize(
    ("text", "expr"), [("The cup.", "the cup"), ("DVD player", "DVD player"), ("a", "a")]
)
def test_clean_expression(text: str, expr: str) -> None:
    assert clean_expression(text) == expr


def test_env_folder_overrides_and_falls_back_per_template(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "question.txt").write_text("<image>Answer briefly: {question}\n", encoding="utf-8")
    monkeypatch.setenv(PROMPTS_ENV, str(tmp_path))
    assert prompts_dir() == tmp_path
    assert render("ask", "Is it raining?", False) == "<image>Answer briefly: Is it raining?"
    assert template("gcg") == BUILTIN["gcg"]  # not in the override folder


def test_env_folder_must_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PROMPTS_ENV, str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="not a folder"):
        template("question")


def test_template_with_two_image_slots_is_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "question.txt").write_text("<image><image>{question}", encoding="utf-8")
    monkeypatch.setenv(PROMPTS_ENV, str(tmp_path))
    with pytest.raises(ConfigError, match="exactly once"):
        template("question")


def test_no_folder_means_the_builtin_copy(tmp_path: Path) -> None:
    # An installed package whose parent holds no prompts/ (a wheel without the data folder).
    assert prompts_dir([tmp_path, tmp_path / "share"]) is None
    assert prompts.DEFAULT_DIRS[0] == REPO_PROMPTS
