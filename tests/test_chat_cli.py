"""``sa2va-assist chat``: scripted turns, JSON per turn, streaming print, bad input, the real lite path."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sa2va_assist import vision
from sa2va_assist.cli import main
from tests.conftest import REPO, write_rgb
from tests.fakes import PaintedBackend, painted

NO_EXAMPLES = "agent:\n  examples: false\n"


@pytest.fixture()
def painted_backend() -> Iterator[PaintedBackend]:
    backend = PaintedBackend(text=("EXIT",))
    vision.register_backend("painted", lambda config: backend)
    yield backend
    vision.BACKENDS.pop("painted", None)


def _files(tmp_path: Path, turns: str) -> tuple[Path, Path, Path]:
    image = write_rgb(
        tmp_path / "kitchen.png", painted([("cup", (100, 300, 160, 380)), ("cup", (480, 300, 540, 380))])
    )
    script = tmp_path / "turns.txt"
    script.write_text(turns, encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text(NO_EXAMPLES, encoding="utf-8")
    return image, script, config


def test_script_json_one_object_per_turn_with_asking_back(
    tmp_path: Path, painted_backend: PaintedBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    image, script, config = _files(
        tmp_path, "# a comment\nwhere is the cup\nthe left one\nread that\nquit\nhelp\n"
    )
    args = [
        "chat",
        str(image),
        "--script",
        str(script),
        "--json",
        "--memory",
        ":memory:",
        "--config",
        str(config),
    ]
    assert main([*args, "--backend", "painted"]) == 0
    turns = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [t["turn"] for t in turns] == [1, 2, 3]  # the comment is skipped, "quit" ends it
    assert turns[0]["intent"] == "find" and turns[0]["question"].endswith("Which one?")
    assert turns[1]["answer"].startswith("Cup, 11 o'clock") and turns[1]["objects"][0]["label"] == "cup"
    assert turns[2]["intent"] == "read" and turns[2]["answer"] == '"EXIT"'
    assert {"understand_ms", "total_ms"} <= set(turns[0]["timings_ms"])


def test_typed_turns_print_sentences_as_they_come(
    tmp_path: Path,
    painted_backend: PaintedBackend,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io

    image, _, config = _files(tmp_path, "")
    monkeypatch.setattr(sys, "stdin", io.StringIO("how many cups\n\nstop\n"))
    assert (
        main(["chat", str(image), "--memory", ":memory:", "--config", str(config), "--backend", "painted"])
        == 0
    )
    assert capsys.readouterr().out.splitlines() == ["2 cups.", "Sorry, I didn't catch that."]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sa2va_assist", *args], cwd=REPO, capture_output=True, text=True, timeout=180
    )


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["chat", "no/such/image.jpg"], "does not exist"),
        (["chat", "{image}", "--script", "no/such/turns.txt"], "cannot read script"),
        (["chat", "camera:97"], "camera 97 could not be opened"),
        (
            ["chat", "{image}", "--memory", "/proc/forbidden/x.sqlite", "--backend", "nonesuch"],
            "unknown backend",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path: Path, args: list[str], needle: str) -> None:
    image, _, _ = _files(tmp_path, "")
    done = _run(*[a.format(image=image) for a in args])
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("error: ") and needle in lines[-1] and "Traceback" not in done.stderr


def test_the_real_lite_pipeline_answers_about_the_example_photo(tmp_path: Path) -> None:
    """Default backend and the sentence-embedding classifier, end to end in a fresh process."""
    script = tmp_path / "turns.txt"
    script.write_text("where is the person\nwhere is it now\nhow many people are there\nwhat's around me\n")
    done = _run("chat", "examples/astronaut.jpg", "--script", str(script), "--json", "--memory", ":memory:")
    assert done.returncode == 0, done.stderr
    turns = [json.loads(line) for line in done.stdout.splitlines()]
    assert [t["intent"] for t in turns] == ["find", "find", "count", "describe"]
    assert turns[0]["answer"].startswith("Person, 12 o'clock")
    assert turns[1]["answer"].startswith("Person, 12 o'clock")  # "it" is the same person
    assert "one person" in turns[2]["answer"].lower()
