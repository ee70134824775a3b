"""The prompts Sa2VA was trained on, read from ``prompts/*.txt`` and filled per task.

The folder is found, in order, at env ``SA2VA_ASSIST_PROMPTS``, next to the package (a source checkout:
``<repo>/prompts``), or under ``<sys.prefix>/share/sa2va-assist/prompts`` (an installed data folder).
When none exists (a wheel without the data folder) the built-in copy below is used; a test pins the
files and the copy to each other, so they cannot drift. Every template holds ``<image>`` exactly once,
as ``predict_forward`` requires.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from ..errors import ConfigError, InputError
from ..types import Task

PROMPTS_ENV = "SA2VA_ASSIST_PROMPTS"
# <repo>/prompts in a checkout (the package's parent); the data folder of an installed package.
DEFAULT_DIRS: tuple[Path, ...] = (
    Path(__file__).resolve().parents[2] / "prompts",
    Path(sys.prefix) / "share" / "sa2va-assist" / "prompts",
)

# The trained templates (shared/docs/SA2VA.md); identical to prompts/<name>.txt.
BUILTIN: dict[str, str] = {
    "segment_image": "<image>Please segment {expression} in this image.",
    "segment_video": "<image>Please segment {expression}.",
    "segment_question": "<image>{question} Please respond with a segmentation mask.",
    "gcg": (
        "<image>Could you please give me a brief description of the image? Please respond with "
        "interleaved segmentation masks for the corresponding parts of the answer."
    ),
    "caption_image": "<image>Please describe the image.",
    "caption_video": "<image>Please describe the video.",
    "question": "<image>{question}",
    "region_caption": (
        "<image>Can you provide me with a detailed description of the region in the picture marked by "
        "region1."
    ),
}
TEMPLATE_NAMES: tuple[str, ...] = tuple(BUILTIN)

# "read" has no trained template: it is the question template asking for the text verbatim.
READ_QUESTION = {
    False: "Please read all the text in this image exactly as written, line by line.",
    True: "Please read all the text in this video exactly as written, line by line.",
}

_QUESTION_START = re.compile(
    r"^(which|what|who|whom|whose|where|when|why|how|is|are|was|were|do|does|did|can|could|should|"
    r"would|will)\b",
    re.IGNORECASE,
)


def prompts_dir(candidates: Sequence[Path] | None = None) -> Path | None:
    """The folder the templates are read from, or None when only the built-in copy is available.

    ``candidates``: folders to try after env ``SA2VA_ASSIST_PROMPTS`` (default: ``DEFAULT_DIRS``).
    Raises ``ConfigError`` when the env variable names a folder that does not exist.
    """
    override = os.environ.get(PROMPTS_ENV)
    if override:
        path = Path(override).expanduser()
        if not path.is_dir():
            raise ConfigError(
                f"{PROMPTS_ENV} points to {path}, which is not a folder",
                f"Point it at a folder holding {', '.join(n + '.txt' for n in TEMPLATE_NAMES)}, or unset it.",
            )
        return path
    for candidate in DEFAULT_DIRS if candidates is None else candidates:
        if (candidate / "question.txt").is_file():
            return candidate
    return None


def template(name: str) -> str:
    """The raw template ``name`` (one of ``TEMPLATE_NAMES``), read once per folder and cached."""
    if name not in BUILTIN:
        raise ConfigError(f"unknown prompt template '{name}'", f"Choose one of: {', '.join(TEMPLATE_NAMES)}.")
    folder = prompts_dir()
    return _read(name, str(folder) if folder else None)


@lru_cache(maxsize=64)
def _read(name: str, folder: str | None) -> str:
    if folder is None:
        return BUILTIN[name]
    path = Path(folder) / f"{name}.txt"
    if not path.is_file():
        return BUILTIN[name]  # an override folder may hold only the templates it changes
    text = path.read_text(encoding="utf-8").strip("\n")
    if text.count("<image>") != 1:
        raise ConfigError(
            f"prompt template {path} must contain <image> exactly once",
            "Sa2VA expands one <image> per request; restore the file from the repository.",
        )
    return text


def is_question(text: str) -> bool:
    """Whether ``text`` is phrased as a question ("which cup is closest?", "is there a dog")."""
    stripped = text.strip()
    return stripped.endswith("?") or bool(_QUESTION_START.match(stripped))


def clean_expression(text: str) -> str:
    """A referring expression as the segmentation templates expect it: one line, no trailing "?"/"."
    or "!", first letter lower-cased unless the first word is an acronym ("TV")."""
    expr = re.sub(r"\s+", " ", text).strip().rstrip("?.!").strip()
    if len(expr) > 1 and expr[0].isupper() and not expr[1].isupper():
        expr = expr[0].lower() + expr[1:]
    return expr


def as_question(text: str) -> str:
    """``text`` as one capitalised question ending with "?"."""
    q = re.sub(r"\s+", " ", text).strip().rstrip("?.!").strip()
    return f"{q[:1].upper()}{q[1:]}?" if q else ""


def render(task: Task, text: str, is_video: bool) -> str:
    """The prompt for one ``predict_forward`` call; it holds ``<image>`` exactly once.

    ``segment``: ``text`` is one object's expression; a video question ("which dog jumps first?") uses
    the question form, anything else the image/video expression template. ``ask``: ``text`` is the
    question. ``caption``/``gcg`` ignore ``text``; ``read`` asks for every line of text verbatim.
    Raises ``InputError`` when ``segment`` or ``ask`` gets no words.
    """
    if task == "segment":
        if not clean_expression(text):
            raise InputError(
                "nothing to segment: the request names no object", 'Say what to find, e.g. "the red cup".'
            )
        if is_video and is_question(text):
            return _fill(template("segment_question"), "{question}", as_question(text))
        name = "segment_video" if is_video else "segment_image"
        return _fill(template(name), "{expression}", clean_expression(text))
    if task == "ask":
        question = re.sub(r"\s+", " ", text).strip()
        if not question:
            raise InputError(
                "nothing to ask: the request has no question", 'Ask something, e.g. "Is the door open?"'
            )
        return _fill(template("question"), "{question}", question)
    if task == "read":
        return _fill(template("question"), "{question}", READ_QUESTION[is_video])
    if task == "caption":
        return template("caption_video" if is_video else "caption_image")
    if task == "gcg":
        return template("gcg")
    raise ConfigError(f"unknown task '{task}'", "Choose one of: segment, caption, ask, gcg, read.")


def _fill(text: str, placeholder: str, value: str) -> str:
    # str.replace, not str.format: the user's words may hold braces; "<image>" in them would add a
    # second image slot, so it is removed.
    return text.replace(placeholder, value.replace("<image>", "").strip())


__all__ = [
    "BUILTIN",
    "DEFAULT_DIRS",
    "PROMPTS_ENV",
    "READ_QUESTION",
    "TEMPLATE_NAMES",
    "as_question",
    "clean_expression",
    "is_question",
    "prompts_dir",
    "render",
    "template",
]
