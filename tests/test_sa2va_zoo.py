"""The Sa2VA model zoo: lookup, family detection from config.json, transformers ranges. Pure tables."""

from __future__ import annotations

from typing import Any

import pytest

from sa2va_assist.errors import ConfigError, ModelError
from sa2va_assist.vision.zoo import (
    MODELS,
    check_transformers,
    entries,
    family_from_config,
    in_range,
    lookup,
    parse_version,
)

RELEASED = [
    "ByteDance/Sa2VA-1B",
    "ByteDance/Sa2VA-4B",
    "ByteDance/Sa2VA-8B",
    "ByteDance/Sa2VA-26B",
    "ByteDance/Sa2VA-InternVL3-2B",
    "ByteDance/Sa2VA-InternVL3-8B",
    "ByteDance/Sa2VA-InternVL3-14B",
    "ByteDance/Sa2VA-Qwen2_5-VL-3B",
    "ByteDance/Sa2VA-Qwen2_5-VL-7B",
    "ByteDance/Sa2VA-Qwen3-VL-4B",
]


def test_zoo_holds_every_released_model() -> None:
    assert sorted(MODELS) == sorted(RELEASED)


@pytest.mark.parametrize(
    ("query", "model_id", "family", "kw", "transformers"),
    [
        ("ByteDance/Sa2VA-1B", "ByteDance/Sa2VA-1B", "InternVL2.5", "tokenizer", ">=4.45,<4.50"),
        ("Sa2VA-4B", "ByteDance/Sa2VA-4B", "InternVL2.5", "tokenizer", ">=4.45,<4.50"),
        ("bytedance/sa2va-8b", "ByteDance/Sa2VA-8B", "InternVL2.5", "tokenizer", ">=4.45,<4.50"),
        (" SA2VA-26B ", "ByteDance/Sa2VA-26B", "InternVL2.5", "tokenizer", ">=4.45,<4.50"),
        ("sa2va-internvl3-2b", "ByteDance/Sa2VA-InternVL3-2B", "InternVL3", "tokenizer", ">=4.57,<4.58"),
        ("Sa2VA-InternVL3-8B", "ByteDance/Sa2VA-InternVL3-8B", "InternVL3", "tokenizer", ">=4.57,<4.58"),
        ("Sa2VA-InternVL3-14B", "ByteDance/Sa2VA-InternVL3-14B", "InternVL3", "tokenizer", ">=4.57,<4.58"),
        ("Sa2VA-Qwen2_5-VL-3B", "ByteDance/Sa2VA-Qwen2_5-VL-3B", "Qwen2.5-VL", "processor", ">=4.57,<4.58"),
        ("sa2va-qwen2_5-vl-7b", "ByteDance/Sa2VA-Qwen2_5-VL-7B", "Qwen2.5-VL", "processor", ">=4.57,<4.58"),
        ("Sa2VA-Qwen3-VL-4B", "ByteDance/Sa2VA-Qwen3-VL-4B", "Qwen3-VL", "processor", ">=4.57,<4.58"),
    ],
)
def test_lookup(query: str, model_id: str, family: str, kw: str, transformers: str) -> None:
    entry = lookup(query)
    assert (entry.model_id, entry.family, entry.input_kw, entry.transformers) == (
        model_id,
        family,
        kw,
        transformers,
    )
    assert entry.params_b > 0


@pytest.mark.parametrize("query", ["Sa2VA-2B", "OpenGVLab/Sa2VA-1B", "", "kumuji/Sa2VA-i-1B"])
def test_lookup_unknown_lists_valid_ids(query: str) -> None:
    with pytest.raises(ConfigError) as info:
        lookup(query)
    assert all(model_id in info.value.hint for model_id in RELEASED)


def test_entries_per_family_smallest_first() -> None:
    assert [e.model_id for e in entries("InternVL3")] == RELEASED[4:7]
    assert [e.model_id for e in entries("InternVL2.5")] == RELEASED[:4]


def internvl(llm_arch: str, hidden: int, name: str = "") -> dict[str, Any]:
    return {
        "architectures": ["Sa2VAChatModel"],
        "model_type": "sa2va_chat",
        "auto_map": {"AutoModel": "modeling_sa2va_chat.Sa2VAChatModel"},
        "llm_config": {"architectures": [llm_arch], "hidden_size": hidden, "_name_or_path": name},
        "vision_config": {"architectures": ["InternVisionModel"], "model_type": "intern_vit_6b"},
        "template": "qwen2_chat",
    }


def qwen(vision_type: str, text_type: str, **vision: Any) -> dict[str, Any]:
    return {
        "architectures": ["Sa2VAChatModelQwen"],
        "model_type": "sa2va_chat",
        "auto_map": {"AutoModel": "modeling_sa2va_qwen.Sa2VAChatModelQwen"},
        "text_config": {"model_type": text_type},
        "vision_config": {"model_type": vision_type, **vision},
    }


@pytest.mark.parametrize(
    ("config", "family"),
    [
        (internvl("Qwen2ForCausalLM", 896), "InternVL2.5"),  # Sa2VA-1B
        (internvl("Qwen2ForCausalLM", 2048), "InternVL2.5"),  # Sa2VA-4B
        (internvl("InternLM2ForCausalLM", 4096), "InternVL2.5"),  # Sa2VA-8B
        (internvl("InternLM2ForCausalLM", 6144), "InternVL2.5"),  # Sa2VA-26B
        (internvl("Qwen2ForCausalLM", 1536), "InternVL3"),  # InternVL3-2B
        (internvl("Qwen2ForCausalLM", 3584), "InternVL3"),  # InternVL3-8B
        (internvl("Qwen2ForCausalLM", 5120), "InternVL3"),  # InternVL3-14B
        (internvl("Qwen2ForCausalLM", 4000, "OpenGVLab/InternVL3-9B"), "InternVL3"),  # name decides
        (internvl("Qwen2ForCausalLM", 1536, "OpenGVLab/InternVL2_5-2B"), "InternVL2.5"),
        (internvl("Qwen2ForCausalLM", 1234), None),  # unknown size, no name
        (qwen("qwen2_5_vl", "qwen2_5_vl_text"), "Qwen2.5-VL"),
        (qwen("qwen3_vl", "qwen3_vl_text"), "Qwen3-VL"),
        (qwen("", "", deepstack_visual_indexes=[8, 16, 24]), "Qwen3-VL"),
        (qwen("", "", fullatt_block_indexes=[7, 15], window_size=112), "Qwen2.5-VL"),
        ({**qwen("", ""), "_name_or_path": "Qwen/Qwen2.5-VL-7B-Instruct"}, "Qwen2.5-VL"),
        (qwen("", ""), None),
        ({"model_type": "llama", "architectures": ["LlamaForCausalLM"]}, None),
        ({}, None),
    ],
)
def test_family_from_config(config: dict[str, Any], family: str | None) -> None:
    assert family_from_config(config) == family


@pytest.mark.parametrize(
    ("version", "expected"),
    [("4.49.0", (4, 49, 0)), ("4.50.0.dev0", (4, 50, 0)), ("4.57", (4, 57, 0)), ("5.0.0rc1", (5, 0, 0))],
)
def test_parse_version(version: str, expected: tuple[int, int, int]) -> None:
    assert parse_version(version) == expected


@pytest.mark.parametrize(
    ("version", "spec", "ok"),
    [
        ("4.49.0", ">=4.45,<4.50", True),
        ("4.45.0", ">=4.45,<4.50", True),
        ("4.50.0", ">=4.45,<4.50", False),
        ("4.44.2", ">=4.45,<4.50", False),
        ("4.57.6", ">=4.57,<4.58", True),
        ("4.58.0", ">=4.57,<4.58", False),
        ("5.0.0", ">=4.57,<4.58", False),
        ("4.57.1", "==4.57.1", True),
    ],
)
def test_in_range(version: str, spec: str, ok: bool) -> None:
    assert in_range(version, spec) is ok


@pytest.mark.parametrize(
    ("model", "installed", "pip"),
    [
        ("Sa2VA-1B", "4.49.0", None),
        ("Sa2VA-8B", "4.46.3", None),
        ("Sa2VA-8B", "4.50.0", 'pip install "transformers==4.49.0"'),
        ("Sa2VA-26B", "4.57.6", 'pip install "transformers==4.49.0"'),
        ("Sa2VA-InternVL3-2B", "4.57.6", None),
        ("Sa2VA-InternVL3-2B", "4.49.0", 'pip install "transformers==4.57.6"'),
        ("Sa2VA-Qwen2_5-VL-3B", "4.57.1", None),
        ("Sa2VA-Qwen3-VL-4B", "4.56.2", 'pip install "transformers==4.57.6"'),
        ("Sa2VA-Qwen3-VL-4B", "5.0.0", 'pip install "transformers==4.57.6"'),
    ],
)
def test_check_transformers(model: str, installed: str, pip: str | None) -> None:
    entry = lookup(model)
    if pip is None:
        check_transformers(entry, installed)
        return
    with pytest.raises(ModelError) as info:
        check_transformers(entry, installed)
    assert pip in info.value.hint
    assert installed in info.value.message and entry.model_id in info.value.message
