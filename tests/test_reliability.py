"""Bad input never crashes or loses work (issue #17): outputs whole or not at all, one line naming the
problem and the fix, exit 2, the rest of a run carried on. Every input is made here."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from sa2va_assist.agent.build import open_conversation
from sa2va_assist.cli import main
from sa2va_assist.config import Config, load_config
from sa2va_assist.errors import ConfigError, OutputError
from sa2va_assist.io.folders import whole_folder
from tests.conftest import write_rgb
from tests.fakes import ColourBackend, FrameList, PaintedBackend, painted

# --- ask --out: whole or not at all ----------------------------------------------------------------


def _ask(image: Path, text: str, out: Path) -> int:
    return main(["ask", str(image), text, "--backend", "fake", "--out", str(out)])


def test_out_that_is_a_file_keeps_the_answer_and_the_file(
    scene_png: Path, fake_backend: ColourBackend, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("mine")
    assert (
        main(["ask", str(scene_png), "where is the red square?", "--backend", "fake", "--out", str(target)])
        == 2
    )
    out, err = capsys.readouterr()
    assert out.startswith("Red square, 1 o'clock")  # the answer is still given
    assert err.strip().splitlines()[-1].startswith(f"error: --out {target} is a file, not a folder.")
    assert target.read_text() == "mine"


def test_a_second_run_replaces_the_first_runs_folder_whole(
    scene_png: Path, fake_backend: ColourBackend, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert (
        main(["ask", str(scene_png), "where is the red square?", "--backend", "fake", "--out", str(out)]) == 0
    )
    assert (
        main(["ask", str(scene_png), "where is the blue square?", "--backend", "fake", "--out", str(out)])
        == 0
    )
    assert sorted(p.name for p in (out / "masks").iterdir()) == ["01-the-blue-square"]  # no stale masks
    assert json.loads((out / "result.json").read_text())["objects"][0]["phrase"] == "the blue square"
    assert {p.name for p in tmp_path.iterdir()} == {"out", "scene.png"}  # no .partial or .old folders left


def test_a_folder_with_someone_elses_files_is_never_replaced(
    scene_png: Path, fake_backend: ColourBackend, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = tmp_path / "Documents"
    mine.mkdir()
    (mine / "letter.txt").write_text("keep me")
    assert (
        main(["ask", str(scene_png), "where is the red square?", "--backend", "fake", "--out", str(mine)])
        == 2
    )
    assert "folder with other files in it" in capsys.readouterr().err
    assert [p.name for p in mine.iterdir()] == ["letter.txt"]


def test_an_interrupted_write_leaves_the_previous_output_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with whole_folder(out, "result.json") as work:
        (work / "result.json").write_text("first")
    with pytest.raises(KeyboardInterrupt), whole_folder(out, "result.json") as work:
        (work / "result.json").write_text("second, half")
        (work / "masks").mkdir()
        raise KeyboardInterrupt  # Ctrl-C while writing
    assert [p.name for p in out.iterdir()] == ["result.json"] and (out / "result.json").read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_an_output_folder_that_cannot_be_made_is_one_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with (
        pytest.raises(OutputError, match="cannot make the output folder"),
        whole_folder(blocker / "out", "x"),
    ):
        pass


# --- eval: one bad line is one bad row ---------------------------------------------------------------


def test_bad_manifest_lines_are_reported_and_the_rest_scored(
    tmp_path: Path, fake_backend: ColourBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    write_rgb(tmp_path / "a.png", painted([("cup", (100, 300, 160, 380))]))
    lines = [
        json.dumps({"image": "a.png", "captions": ["a cup"], "objects": ["cup"]}),
        "{not json",
        "[1, 2]",
        json.dumps({"captions": ["no image"]}),
        json.dumps({"image": 7, "captions": []}),
        json.dumps({"image": "a.png", "captions": ["a cup"], "objects": 5}),  # a number, not a list
    ]
    (tmp_path / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    assert main(["eval", "describe", str(tmp_path), "--backend", "fake", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["n_items"] == 6 and doc["n_failed"] == 5
    errors = {row["id"]: row["error"] for row in doc["items"] if "error" in row}
    assert set(errors) == {"line-2", "line-3", "line-4", "line-5", "a#2"}
    assert errors["a#2"].startswith("TypeError")  # a bad value is one bad row, not a lost eval
    assert "not JSON" in errors["line-2"] and "not a JSON object" in errors["line-3"]


@pytest.mark.parametrize("limit", ["-1", "0", "two"])
def test_a_limit_that_is_not_a_positive_count_is_refused(tmp_path: Path, limit: str) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["eval", "describe", str(tmp_path), "--limit", limit])
    assert exit_.value.code == 2


# --- chat: a bad line, memory files, threads ------------------------------------------------------


def test_a_script_line_that_is_not_utf8_is_skipped_and_the_others_answered(
    tmp_path: Path, painted_backend: PaintedBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    image = write_rgb(tmp_path / "k.png", painted([("cup", (100, 300, 160, 380))]))
    script = tmp_path / "turns.txt"
    script.write_bytes(b"where is the cup\n\xff\xfe broken\nwhere is the cup\n")
    config = tmp_path / "c.yaml"
    config.write_text("agent:\n  examples: false\n")
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
    assert main([*args, "--backend", "painted"]) == 2
    out, err = capsys.readouterr()
    assert [json.loads(line)["turn"] for line in out.splitlines()] == [1, 3]
    assert f"error: line 2 of {script} is not UTF-8 text; skipped." in err


def _conversation(memory: Path, thread: str | None = "t") -> object:
    scene = FrameList(painted([("cup", (100, 300, 160, 380))]))
    return open_conversation(Config(), PaintedBackend(), scene, memory=str(memory), thread=thread)


def test_a_damaged_memory_file_is_kept_aside_and_a_new_one_started(tmp_path: Path) -> None:
    memory = tmp_path / "memory.sqlite"
    memory.write_bytes(b"\x00garbage" * 600)
    conversation = _conversation(memory)
    assert conversation.turn("where is the cup").answer  # type: ignore[attr-defined]
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("memory.sqlite.damaged-")]
    assert len(kept) == 1 and kept[0].read_bytes() == b"\x00garbage" * 600  # nothing lost


def test_another_programs_database_and_an_empty_thread_are_refused(tmp_path: Path) -> None:
    other = tmp_path / "photos.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE albums (name TEXT)")
    with pytest.raises(ConfigError, match="another program's database"):
        _conversation(other)
    with pytest.raises(ConfigError, match="--thread is empty"):
        _conversation(tmp_path / "m.sqlite", thread="  ")


def test_one_stored_conversation_is_open_in_one_place_at_a_time(tmp_path: Path) -> None:
    memory = tmp_path / "m.sqlite"
    first = _conversation(memory, "kitchen")
    with pytest.raises(ConfigError, match="open in another sa2va-assist process"):
        _conversation(memory, "kitchen")
    assert _conversation(memory, "hall")  # another thread of the same file is fine
    first.lock.close()  # type: ignore[attr-defined]  # the first conversation ends
    assert _conversation(memory, "kitchen")


# --- config -------------------------------------------------------------------------------------------


def test_a_yaml_mistake_names_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "config.yaml"
    bad.write_text("spatial:\n horizontal_fov_deg: 70\n  extra: 1\n")
    with pytest.raises(ConfigError, match="not valid YAML at line 3, column 8") as err:
        load_config(bad)
    assert err.value.hint.startswith("Fix that line")


# --- images: never decoded bigger than needed; links and damage named -------------------------------


def _png_header(width: int, height: int) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def test_an_enormous_image_is_refused_before_it_is_decoded(tmp_path: Path) -> None:
    from sa2va_assist.errors import InputError
    from sa2va_assist.io.sources import read_image

    huge = tmp_path / "huge.png"
    huge.write_bytes(_png_header(33000, 33000))  # 1089 megapixels claimed by a 100-byte file
    with pytest.raises(InputError, match=r"huge.png is 33000x33000 pixels \(1089 megapixels\)"):
        read_image(huge)


def test_a_large_jpeg_is_decoded_reduced_to_the_same_picture(tmp_path: Path) -> None:
    import cv2
    import numpy as np

    from sa2va_assist.io.sources import image_size, read_image

    big = np.zeros((3000, 4000, 3), np.uint8)
    big[:, :2000] = (200, 30, 30)  # red left half, blue right half
    big[:, 2000:] = (30, 30, 200)
    path = tmp_path / "big.jpg"
    cv2.imwrite(str(path), cv2.cvtColor(big, cv2.COLOR_RGB2BGR))
    assert image_size(path.read_bytes()[:65536]) == (4000, 3000)
    image = read_image(path, max_side=1280)
    assert image.shape == (960, 1280, 3)
    assert image[480, 100, 0] > 150 and image[480, 1200, 2] > 150  # the same picture, smaller


def test_links_and_damaged_files_are_named_for_what_they_are(tmp_path: Path) -> None:
    from sa2va_assist.errors import InputError
    from sa2va_assist.io.sources import load_frames

    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(InputError, match="loops back on itself"):
        load_frames(tmp_path / "a")
    (tmp_path / "gone").symlink_to(tmp_path / "nothing.jpg")
    with pytest.raises(InputError, match=r"is a link to .*nothing\.jpg, which does not exist"):
        load_frames(tmp_path / "gone")
    broken = tmp_path / "photo.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    with pytest.raises(InputError, match="is damaged or not an image") as err:
        load_frames(broken)
    assert err.value.hint == "Remove or replace that file."


# --- listen: one bad file is one skipped file -----------------------------------------------------------


def test_bad_audio_files_are_skipped_and_the_good_ones_heard(tmp_path: Path) -> None:
    import numpy as np

    from sa2va_assist.audio.mic import RATE, WavSource
    from sa2va_assist.audio.tts import write_pcm16
    from sa2va_assist.errors import InputError

    good = tmp_path / "good.wav"
    write_pcm16(good, np.full(RATE, 0.1, np.float32), RATE)
    (tmp_path / "text.wav").write_text("not audio")
    (tmp_path / "empty.wav").write_bytes(b"")
    source = WavSource([good, tmp_path / "text.wav", tmp_path / "empty.wav", good], gap_s=0.5)
    assert len(source.skipped) == 2 and "text.wav" in source.skipped[0]
    assert source.duration_s == pytest.approx(3.0, abs=0.05)  # both good files, each with its gap
    with pytest.raises(InputError, match="none of the 2 audio files can be read"):
        WavSource([tmp_path / "text.wav", tmp_path / "empty.wav"])


def test_answers_folder_that_is_a_file_is_one_error(tmp_path: Path) -> None:
    from sa2va_assist.audio.recorder import AnswerRecorder

    target = tmp_path / "answers"
    target.write_text("mine")
    with pytest.raises(OutputError, match="is a file, not a folder"):
        AnswerRecorder(target)
    assert target.read_text() == "mine"


def test_a_video_cut_short_is_answered_from_what_was_read_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import cv2
    import numpy as np

    from sa2va_assist.io.sources import load_frames

    whole = tmp_path / "whole.avi"
    writer = cv2.VideoWriter(str(whole), cv2.VideoWriter_fourcc(*"MJPG"), 24, (160, 120))
    for i in range(96):
        writer.write(np.full((120, 160, 3), (i * 2) % 255, np.uint8))
    writer.release()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with caplog.at_level("WARNING", logger="sa2va_assist"):
        info, frames = load_frames(cut, max_frames=96)
    assert 0 < len(frames) < 96 and info.total_frames == 96
    assert f"cut.avi ends early: {frames[-1].index + 1} of its 96 frames could be read" in caplog.text


def test_a_missing_manifest_field_is_named(
    tmp_path: Path, fake_backend: ColourBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    write_rgb(tmp_path / "a.png", painted([("cup", (100, 300, 160, 380))]))
    (tmp_path / "manifest.jsonl").write_text(json.dumps({"image": "a.png", "expression": "the cup"}) + "\n")
    assert main(["eval", "refseg", str(tmp_path), "--backend", "fake", "--json"]) == 2
    row = json.loads(capsys.readouterr().out)["items"][0]
    assert row["error"].startswith("the manifest line has no 'mask' field")


def test_a_missing_mask_is_one_line_and_nothing_leaks_to_stderr(
    tmp_path: Path, fake_backend: ColourBackend, capfd: pytest.CaptureFixture[str]
) -> None:
    write_rgb(tmp_path / "a.png", painted([("cup", (100, 300, 160, 380))]))
    line = {"image": "a.png", "expression": "the red square", "mask": "masks/none.png"}
    (tmp_path / "manifest.jsonl").write_text(json.dumps(line) + "\n")
    assert main(["eval", "refseg", str(tmp_path), "--backend", "fake", "--json"]) == 2
    out, err = capfd.readouterr()  # the process's own file descriptors: OpenCV writes there
    assert "cannot be read" in json.loads(out)["items"][0]["error"]
    assert "WARN" not in err and "findDecoder" not in err
