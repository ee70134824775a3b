"""Config: file lookup order, every value's type and range, and the CLI's one-line error for a bad one.

Environment variables are set with monkeypatch; nothing in the package is patched."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import fields, is_dataclass, replace
from pathlib import Path

import pytest

from sa2va_assist import cli, paths
from sa2va_assist.agent.conversation import open_checkpointer
from sa2va_assist.config import CONFIG_ENV, REPO_CONFIG, Config, config_file, load_config, validate
from sa2va_assist.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No config or override from the machine running the tests leaks in."""
    for name in (CONFIG_ENV, "SA2VA_ASSIST_BACKEND", "SA2VA_MODEL_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_repository_config_matches_defaults() -> None:
    # config.yaml documents the defaults: loading it must give exactly the built-in values
    assert load_config(REPO_CONFIG) == Config()


def test_values_are_read_and_an_int_is_fine_for_a_float_key(tmp_path: Path) -> None:
    text = "backend: sa2va\ninput:\n  max_frames: 12\nspatial:\n  horizontal_fov_deg: 90\n"
    path = _write(tmp_path / "c.yaml", text)
    config = load_config(path)
    assert config.backend == "sa2va" and config.input.max_frames == 12
    assert config.spatial.horizontal_fov_deg == 90.0 and isinstance(config.spatial.horizontal_fov_deg, float)
    assert config.input.max_side == Config().input.max_side


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("agent:\n  hazard_scan: off\n", "hazard_scan", "off"),  # YAML reads a bare off as false
        ("agent:\n  hazard_scan: on\n", "hazard_scan", "on"),
        ("stt:\n  language: null\n", "language", None),
        ("sa2va:\n  device: cuda:1\n", "device", "cuda:1"),
    ],
)
def test_yaml_spellings_that_are_accepted(tmp_path: Path, text: str, field: str, value: object) -> None:
    config = load_config(_write(tmp_path / "c.yaml", text))
    section = config.agent if field == "hazard_scan" else config.stt if field == "language" else config.sa2va
    assert getattr(section, field) == value


BAD_VALUES = [
    # (yaml, key, the value as the message shows it, what the message says is valid)
    ("input:\n  max_side: 0\n", "input.max_side", "got 0", "at least 1"),
    ("input:\n  max_side: -5\n", "input.max_side", "got -5", "at least 1"),
    ("input:\n  max_frames: 0\n", "input.max_frames", "got 0", "at least 1"),
    ("input:\n  max_frames: 1.5\n", "input.max_frames", "got 1.5", "a whole number"),
    ("input:\n  max_frames: '12'\n", "input.max_frames", "got '12'", "a whole number"),
    ("input:\n  max_frames: many\n", "input.max_frames", "got 'many'", "a whole number"),
    ("input:\n  max_frames: true\n", "input.max_frames", "got true", "a whole number"),
    ("input:\n  max_frames: null\n", "input.max_frames", "got null", "at least 1"),
    ("spatial:\n  horizontal_fov_deg: -70\n", "spatial.horizontal_fov_deg", "got -70", "more than 0 and"),
    ("spatial:\n  horizontal_fov_deg: 180\n", "spatial.horizontal_fov_deg", "got 180.", "less than 180"),
    ("lite:\n  ocr_min_confidence: 1.5\n", "lite.ocr_min_confidence", "got 1.5", "from 0 to 1"),
    ("lite:\n  person_threshold: -0.1\n", "lite.person_threshold", "got -0.1", "from 0 to 1"),
    ("lite:\n  detect_threshold: 2\n", "lite.detect_threshold", "got 2", "from 0 to 1"),
    ("lite:\n  scan_threshold: -1\n", "lite.scan_threshold", "got -1", "from 0 to 1"),
    ("lite:\n  min_person_area: 3\n", "lite.min_person_area", "got 3", "from 0 to 1"),
    ("lite:\n  threads: 0\n", "lite.threads", "got 0", "at least 1"),
    ("lite:\n  keyframe_every: 0\n", "lite.keyframe_every", "got 0", "at least 1"),
    ("lite:\n  ocr_spelling: 'yes'\n", "lite.ocr_spelling", "got 'yes'", "true or false"),
    ("lite:\n  sam2_checkpoint: 2\n", "lite.sam2_checkpoint", "got 2", "non-empty text or null"),
    ("lite:\n  sam2_config: ''\n", "lite.sam2_config", "got ''", "non-empty text"),
    ("agent:\n  unsure_below: 1.01\n", "agent.unsure_below", "got 1.01", "from 0 to 1"),
    ("agent:\n  hazard_scan: sometimes\n", "agent.hazard_scan", "got 'sometimes'", "auto, on, off"),
    ("agent:\n  frames_per_look: 0\n", "agent.frames_per_look", "got 0", "at least 1"),
    ("agent:\n  sentences: 0\n", "agent.sentences", "got 0", "at least 1"),
    ("agent:\n  more_sentences: -1\n", "agent.more_sentences", "got -1", "at least 1"),
    ("agent:\n  memory: null\n", "agent.memory", "got null", "non-empty text"),
    ("agent:\n  examples: 'false'\n", "agent.examples", "got 'false'", "true or false"),
    ("sa2va:\n  dtype: float64\n", "sa2va.dtype", "got 'float64'", "bfloat16, float16, float32"),
    ("sa2va:\n  keyframes: middle\n", "sa2va.keyframes", "got 'middle'", "uniform, first, last"),
    ("sa2va:\n  device: gpu\n", "sa2va.device", "got 'gpu'", "cuda, cuda:N, cpu or mps"),
    ("sa2va:\n  num_keyframes: 0\n", "sa2va.num_keyframes", "got 0", "at least 1"),
    ("sa2va:\n  use_flash_attn: maybe\n", "sa2va.use_flash_attn", "got 'maybe'", "true or false"),
    ("sa2va:\n  model: null\n", "sa2va.model", "got null", "non-empty text"),
    ("sa2va:\n  model_path: 5\n", "sa2va.model_path", "got 5", "non-empty text or null"),
    ("speech:\n  rate_wpm: 79\n", "speech.rate_wpm", "got 79", "from 80 to 500"),
    ("speech:\n  rate_wpm: 501\n", "speech.rate_wpm", "got 501", "from 80 to 500"),
    ("speech:\n  rate_step: 0\n", "speech.rate_step", "got 0", "from 1 to 420"),
    ("speech:\n  volume: 1.2\n", "speech.volume", "got 1.2", "from 0 to 1"),
    ("speech:\n  voice: ''\n", "speech.voice", "got ''", "non-empty text or null"),
    ("stt:\n  engine: vosk\n", "stt.engine", "got 'vosk'", "ct2, openai-whisper"),
    ("stt:\n  threads: 0\n", "stt.threads", "got 0", "at least 1"),
    ("stt:\n  language: english\n", "stt.language", "got 'english'", "a language code such as en"),
    ("stt:\n  language: no\n", "stt.language", "got false", "language code such as en"),  # Norwegian, bare
    ("stt:\n  short_context: 1\n", "stt.short_context", "got 1", "true or false"),
    ("stt:\n  model: ''\n", "stt.model", "got ''", "non-empty text"),
    ("listen:\n  silence_s: 0\n", "listen.silence_s", "got 0", "more than 0"),
    ("listen:\n  max_question_s: -1\n", "listen.max_question_s", "got -1", "more than 0"),
    ("listen:\n  vad_threshold: 1.5\n", "listen.vad_threshold", "got 1.5", "from 0 to 1"),
    ("listen:\n  earcons: 'on'\n", "listen.earcons", "got 'on'", "true or false"),
    ("listen:\n  early_end: 2\n", "listen.early_end", "got 2", "true or false"),
    ("listen:\n  spoken_earcons: null\n", "listen.spoken_earcons", "got null", "true or false"),
    ("backend: null\n", "backend", "got null", "non-empty text"),
]


@pytest.mark.parametrize(("text", "key", "got", "valid"), BAD_VALUES)
def test_a_bad_value_names_its_key_the_value_and_what_is_valid(
    tmp_path: Path, text: str, key: str, got: str, valid: str
) -> None:
    path = _write(tmp_path / "c.yaml", text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    line = caught.value.one_line()
    assert f"config key {key} must be" in line and got in line and valid in line, line
    assert str(path) in caught.value.hint and "\n" not in line


def test_every_field_has_a_bad_value_case() -> None:
    """A new config field gets its rule and its row in BAD_VALUES (bools: a string; text: empty)."""
    keys = set()
    for top in fields(Config):
        value = getattr(Config(), top.name)
        names = [f"{top.name}.{f.name}" for f in fields(value)] if is_dataclass(value) else [top.name]
        keys.update(names)
    assert keys - {key for _, key, _, _ in BAD_VALUES} == set()


def test_quoting_is_the_hint_when_yaml_read_a_word_as_true_or_false(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path / "c.yaml", "stt:\n  language: no\n"))
    assert "quote" in caught.value.hint


@pytest.mark.parametrize(
    ("changed", "key"),
    [
        (lambda c: replace(c, input=replace(c.input, max_frames=0)), "input.max_frames"),
        (lambda c: replace(c, speech=replace(c.speech, rate_wpm=1000)), "speech.rate_wpm"),
        (lambda c: replace(c, stt=replace(c.stt, engine="whisper.cpp")), "stt.engine"),
        (lambda c: replace(c, sa2va=replace(c.sa2va, use_flash_attn="yes")), "sa2va.use_flash_attn"),
    ],
)
def test_validate_checks_values_set_in_code(changed, key: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=f"config key {key} must be"):
        validate(changed(Config()))
    assert validate(Config()) == Config()


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("bakend: lite\n", "unknown config key bakend"),
        ("input:\n  max_frame: 3\n", "unknown config key input.max_frame"),
        ("input: 5\n", "config section 'input' must be a mapping"),
        ("- a\n- b\n", "the config file must be a mapping"),
        ("backend: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_config_names_the_problem(tmp_path: Path, text: str, needle: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path / "c.yaml", text))
    assert needle in str(caught.value)


def test_unknown_key_lists_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path / "c.yaml", "input:\n  max_frame: 3\n"))
    assert "max_frames" in caught.value.hint and "max_side" in caught.value.hint


def test_environment_overrides_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path / "c.yaml", "backend: lite\n")
    monkeypatch.setenv("SA2VA_ASSIST_BACKEND", "sa2va")
    monkeypatch.setenv("SA2VA_MODEL_PATH", "/models/Sa2VA-1B")
    config = load_config(path)
    assert config.backend == "sa2va" and config.sa2va.model_path == "/models/Sa2VA-1B"


# ---------------------------------------------------------------- which file is read


def test_lookup_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--config > $SA2VA_ASSIST_CONFIG > $XDG_CONFIG_HOME/sa2va-assist/config.yaml > the repository's."""
    assert config_file() == REPO_CONFIG  # no user file yet
    user = _write(tmp_path / "xdg-config" / "sa2va-assist" / "config.yaml", "input:\n  max_frames: 7\n")
    assert config_file() == user and load_config().input.max_frames == 7
    env = _write(tmp_path / "env.yaml", "input:\n  max_frames: 8\n")
    monkeypatch.setenv(CONFIG_ENV, str(env))
    assert config_file() == env and load_config().input.max_frames == 8
    flag = _write(tmp_path / "flag.yaml", "input:\n  max_frames: 9\n")
    assert config_file(flag) == flag and load_config(flag).input.max_frames == 9


def test_a_relative_xdg_config_home_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/dir")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert paths.user_config() == tmp_path / ".config" / "sa2va-assist" / "config.yaml"


@pytest.mark.parametrize(("use_env", "hint"), [(False, "--config"), (True, CONFIG_ENV)])
def test_a_named_file_that_is_missing_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, use_env: bool, hint: str
) -> None:
    missing = tmp_path / "nope.yaml"
    if use_env:
        monkeypatch.setenv(CONFIG_ENV, str(missing))
    with pytest.raises(ConfigError, match="does not exist") as caught:
        load_config(None if use_env else missing)
    assert hint in caught.value.hint


# ---------------------------------------------------------------- state under XDG_STATE_HOME


def test_state_root_honours_xdg_state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert paths.state_root() == tmp_path / "state" / "sa2va-assist"
    assert Config().agent.memory == "auto"
    open_checkpointer("auto").conn.close()  # the default memory opens its SQLite file there
    assert (tmp_path / "state" / "sa2va-assist" / "conversations.sqlite").is_file()


def test_state_root_without_xdg_state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert paths.conversation_memory() == tmp_path / ".local/state/sa2va-assist/conversations.sqlite"


# ---------------------------------------------------------------- the command line


SUBCOMMANDS = [
    ["ask", "examples/astronaut.jpg", "where is the person"],
    ["chat", "examples/astronaut.jpg"],
    ["listen"],
    ["setup"],
    ["eval", "refseg", "data"],
    ["transcribe", "a.wav"],
    ["models"],
]


@pytest.mark.parametrize("command", SUBCOMMANDS, ids=lambda c: c[0])
def test_every_subcommand_reads_its_config_through_one_path(tmp_path: Path, command: list[str]) -> None:
    path = _write(tmp_path / "c.yaml", "speech:\n  rate_wpm: 320\n")
    args = cli.build_parser().parse_args([*command, "--config", str(path)])
    assert cli._config(args).speech.rate_wpm == 320


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "sa2va_assist", *args]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120, env=env)


@pytest.mark.parametrize(
    ("source", "flags", "needle"),
    [
        ("examples/astronaut.jpg", ["--config", "{bad}"], "config key spatial.horizontal_fov_deg must be"),
        ("no/such/image.jpg", ["--config", "{bad}"], "key spatial.horizontal_fov_deg"),  # not the image
        ("examples/astronaut.jpg", ["--max-frames", "0"], "--max-frames must be a whole number, at least 1"),
    ],
)
def test_the_cli_says_one_line_and_exits_2_before_any_work(
    tmp_path: Path, source: str, flags: list[str], needle: str
) -> None:
    bad = _write(tmp_path / "bad.yaml", "spatial:\n  horizontal_fov_deg: -70\n")
    done = _run("ask", source, "where is the person", *[f.format(bad=bad) for f in flags])
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], done.stderr
    assert done.stdout == ""


def test_the_cli_reads_the_users_config_under_xdg_config_home(tmp_path: Path) -> None:
    _write(tmp_path / "xdg" / "sa2va-assist" / "config.yaml", "speech:\n  rate_wpm: 20\n")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    done = _run("ask", "examples/astronaut.jpg", "where is the person", env=env)
    assert done.returncode == 2 and "config key speech.rate_wpm" in done.stderr, done.stderr
    assert str(tmp_path / "xdg") in done.stderr


@pytest.mark.parametrize(
    ("old", "new"), [("listen.stt_model", "stt.model"), ("listen.short_context", "stt.short_context")]
)
def test_a_key_that_moved_says_where_it_went(tmp_path: Path, old: str, new: str) -> None:
    section, key = old.split(".")
    path = tmp_path / "old.yaml"
    path.write_text(f"{section}:\n  {key}: base\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=f"{re.escape(old)} has moved to {re.escape(new)}"):
        load_config(path)


def test_a_config_file_that_is_not_utf8_is_one_config_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("speech:\n  voice: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path)
