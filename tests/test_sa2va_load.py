"""load(): finding weights without the network, and the errors that name the fix. Runs on a CPU."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from sa2va_assist.config import Config, Sa2vaConfig
from sa2va_assist.errors import ConfigError, ModelError
from sa2va_assist.vision.sa2va import load
from sa2va_assist.vision.sa2va_load import ALLOW_DOWNLOAD_ENV, cached_snapshot, locate_weights
from sa2va_assist.vision.zoo import in_range, lookup

QWEN3_CONFIG = {"text_config": {"model_type": "qwen3_vl_text"}, "vision_config": {"model_type": "qwen3_vl"}}
INTERNVL3_CONFIG = {"llm_config": {"architectures": ["Qwen2ForCausalLM"], "hidden_size": 1536}}
INTERNVL25_CONFIG = {"llm_config": {"architectures": ["Qwen2ForCausalLM"], "hidden_size": 896}}


@pytest.fixture(autouse=True)
def empty_hub_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test sees an empty Hugging Face cache of its own and no download opt-in."""
    cache = tmp_path / "hub"
    cache.mkdir()
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.delenv(ALLOW_DOWNLOAD_ENV, raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    return cache


def weights(folder: Path, config: dict[str, Any]) -> Path:
    """A folder that looks like a downloaded checkpoint (the weight file is not a real one)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    (folder / "model.safetensors").write_bytes(b"not real weights")
    return folder


def config(**sa2va: Any) -> Config:
    return replace(Config(), backend="sa2va", sa2va=Sa2vaConfig(**sa2va))


def test_no_weights_names_the_hub_id_and_model_path_quickly() -> None:
    start = time.perf_counter()
    with pytest.raises(ModelError) as info:
        load(config())
    assert time.perf_counter() - start < 1.0
    assert "ByteDance/Sa2VA-InternVL3-2B" in info.value.message
    assert "ByteDance/Sa2VA-InternVL3-2B" in info.value.hint
    assert "--model-path" in info.value.hint and "SA2VA_MODEL_PATH" in info.value.hint


def test_no_weights_imports_no_torch(empty_hub_cache: Path) -> None:
    code = (
        "import sys\n"
        "from sa2va_assist.config import Config\n"
        "from sa2va_assist.errors import ModelError\n"
        "from sa2va_assist.vision.sa2va import load\n"
        "try:\n    load(Config())\nexcept ModelError:\n    pass\n"
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.mark.parametrize("make", ["missing", "empty", "config-only"])
def test_model_path_without_weights(tmp_path: Path, make: str) -> None:
    folder = tmp_path / "weights"
    if make != "missing":
        folder.mkdir()
    if make == "config-only":
        (folder / "config.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ModelError) as info:
        load(config(model_path=str(folder)))
    assert str(folder) in info.value.message and "--model-path" in info.value.hint


def test_download_is_refused_while_hub_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError, match="HF_HUB_OFFLINE"):
        load(config(), allow_download=True)


def test_download_when_allowed_reads_from_the_hub_id() -> None:
    source = locate_weights(Sa2vaConfig(), lookup("Sa2VA-InternVL3-2B"), allow_download=True)
    assert (source.path, source.local_files_only, source.family) == (
        "ByteDance/Sa2VA-InternVL3-2B",
        False,
        "InternVL3",
    )


def test_cached_snapshot_is_used_offline(empty_hub_cache: Path) -> None:
    repo = empty_hub_cache / "models--ByteDance--Sa2VA-Qwen3-VL-4B"
    weights(repo / "snapshots" / "old", QWEN3_CONFIG)
    (repo / "snapshots" / "abc123").mkdir(parents=True)  # refs/main points at an incomplete snapshot
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("abc123", encoding="utf-8")
    assert cached_snapshot("ByteDance/Sa2VA-Qwen3-VL-4B") == repo / "snapshots" / "old"
    weights(repo / "snapshots" / "abc123", QWEN3_CONFIG)
    source = locate_weights(Sa2vaConfig(model="Sa2VA-Qwen3-VL-4B"), lookup("Sa2VA-Qwen3-VL-4B"), False)
    assert (source.path, source.local_files_only, source.family) == (
        str(repo / "snapshots" / "abc123"),
        True,
        "Qwen3-VL",
    )


def test_family_follows_the_weights_not_the_configured_id(tmp_path: Path) -> None:
    folder = weights(tmp_path / "w", QWEN3_CONFIG)
    source = locate_weights(Sa2vaConfig(model_path=str(folder)), lookup("Sa2VA-InternVL3-2B"), False)
    assert source.family == "Qwen3-VL" and source.local_files_only


@pytest.mark.parametrize(
    ("settings", "error", "match"),
    [
        ({"model": "Sa2VA-3B"}, ConfigError, "unknown Sa2VA model"),
        ({"dtype": "int4"}, ConfigError, "dtype"),
        ({"keyframes": "random"}, ConfigError, "keyframe"),
    ],
)
def test_bad_settings_fail_before_anything_loads(
    settings: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        load(config(**settings))


def test_cpu_device_is_refused(tmp_path: Path) -> None:
    folder = weights(tmp_path / "w", INTERNVL3_CONFIG)
    with pytest.raises(ModelError, match="CUDA only") as info:
        load(config(model_path=str(folder), device="cpu"))
    assert "--backend lite" in info.value.hint


@pytest.mark.slow
def test_transformers_outside_the_family_range_names_the_pip_command(tmp_path: Path) -> None:
    import transformers

    folder = weights(tmp_path / "w", INTERNVL25_CONFIG)
    if in_range(transformers.__version__, lookup("Sa2VA-1B").transformers):
        pytest.skip(f"transformers {transformers.__version__} is inside the InternVL2.5 range")
    with pytest.raises(ModelError) as info:
        load(config(model="Sa2VA-1B", model_path=str(folder)))
    assert 'pip install "transformers==4.49.0"' in info.value.hint


@pytest.mark.slow
def test_no_cuda_is_a_model_error(tmp_path: Path) -> None:
    import torch

    folder = weights(tmp_path / "w", INTERNVL3_CONFIG)
    with pytest.raises(ModelError) as info:
        load(config(model_path=str(folder)))
    if not torch.cuda.is_available():
        assert "CUDA GPU" in info.value.message and "--backend lite" in info.value.hint
    else:  # the fake weights cannot load
        assert "could not load" in info.value.message
