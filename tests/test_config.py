from pathlib import Path

import pytest

from sa2va_assist.config import REPO_CONFIG, Config, load_config
from sa2va_assist.errors import ConfigError


def test_repository_config_matches_defaults() -> None:
    # config.yaml documents the defaults: loading it must give exactly the built-in values
    assert load_config(REPO_CONFIG) == Config()


def test_values_are_read_and_coerced(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("backend: sa2va\ninput:\n  max_frames: '12'\nspatial:\n  horizontal_fov_deg: 90\n")
    config = load_config(path)
    assert config.backend == "sa2va" and config.input.max_frames == 12
    assert config.spatial.horizontal_fov_deg == 90.0 and config.input.max_side == Config().input.max_side


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("bakend: lite\n", "unknown config key bakend"),
        ("input:\n  max_frame: 3\n", "unknown config key input.max_frame"),
        ("input: 5\n", "must be a mapping"),
        ("input:\n  max_frames: many\n", "must be a int"),
        ("sa2va:\n  use_flash_attn: maybe\n", "true or false"),
        ("backend: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_config_names_the_problem(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert needle in str(caught.value)


def test_unknown_key_lists_valid_ones(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("input:\n  max_frame: 3\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "max_frames" in caught.value.hint and "max_side" in caught.value.hint


def test_environment_overrides_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("backend: lite\n")
    monkeypatch.setenv("SA2VA_ASSIST_BACKEND", "sa2va")
    monkeypatch.setenv("SA2VA_MODEL_PATH", "/models/Sa2VA-1B")
    config = load_config(path)
    assert config.backend == "sa2va" and config.sa2va.model_path == "/models/Sa2VA-1B"


def test_missing_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")
