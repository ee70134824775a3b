"""`sa2va-assist transcribe`: real Whisper on speech made by espeak-ng; a bad file is skipped."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from sa2va_assist.cli import main

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


def test_transcribe_reports_each_file_and_skips_a_bad_one(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    speech = tmp_path / "q.wav"
    subprocess.run(["espeak-ng", "-w", str(speech), "where is my red cup"], check=True)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    assert main(["transcribe", str(speech), str(empty), "--json"]) == 2  # one file failed
    out, err = capsys.readouterr()
    (row,) = [json.loads(line) for line in out.strip().splitlines()]
    words = "".join(c for c in row["text"].lower() if c.isalpha() or c == " ").split()
    assert row["audio"] == str(speech) and {"where", "red", "cup"} <= set(words)
    assert row["duration_s"] > 0.5 and row["language"] == "en"
    assert err.startswith("error: ") and "empty" in err and err.count("\n") == 1
