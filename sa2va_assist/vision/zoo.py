"""The released Sa2VA checkpoints and what each needs to load. Pure: no I/O, no torch.

Every entry comes from the model zoo in ``shared/docs/SA2VA.md``. Two facts decide how a checkpoint is
driven: its *family* (which vision-language model it was built on) and, from that, whether
``predict_forward`` wants ``tokenizer=`` (InternVL families) or ``processor=`` (Qwen families), and
which transformers release its remote code runs on (InternVL2.5-era: 4.49.x or older, because 4.50+
breaks InternLM2 ``generate``, upstream issue #124; InternVL3 and Qwen families: 4.57.x).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import ConfigError, ModelError

Family = Literal["InternVL2.5", "InternVL3", "Qwen2.5-VL", "Qwen3-VL"]
FAMILIES: tuple[Family, ...] = ("InternVL2.5", "InternVL3", "Qwen2.5-VL", "Qwen3-VL")
HUB_OWNER = "ByteDance"

# family -> (transformers version range, the release to pin when outside it)
TRANSFORMERS_RANGE: dict[Family, tuple[str, str]] = {
    "InternVL2.5": (">=4.45,<4.50", "4.49.0"),
    "InternVL3": (">=4.57,<4.58", "4.57.6"),
    "Qwen2.5-VL": (">=4.57,<4.58", "4.57.6"),
    "Qwen3-VL": (">=4.57,<4.58", "4.57.6"),
}


@dataclass(frozen=True)
class ModelEntry:
    """One released checkpoint."""

    model_id: str  # hub id, e.g. "ByteDance/Sa2VA-InternVL3-2B"
    family: Family  # the vision-language model it was built on
    llm: str  # its language model
    params_b: float  # approximate parameter count, billions (language + vision + SAM2)
    note: str = ""  # what it is good for / what to expect

    @property
    def input_kw(self) -> Literal["processor", "tokenizer"]:
        """The keyword ``predict_forward`` needs: Qwen families assert ``processor``, InternVL ones
        take ``tokenizer`` and reject ``processor``."""
        return "processor" if needs_processor(self.family) else "tokenizer"

    @property
    def transformers(self) -> str:
        """The transformers version range its remote code runs on, e.g. ">=4.57,<4.58"."""
        return TRANSFORMERS_RANGE[self.family][0]

    @property
    def transformers_pin(self) -> str:
        """The release to install when the installed one is outside :attr:`transformers`."""
        return TRANSFORMERS_RANGE[self.family][1]


_ENTRIES = (
    ModelEntry("ByteDance/Sa2VA-1B", "InternVL2.5", "Qwen2.5-0.5B", 1.0, "smallest; ~4 GB of weights"),
    ModelEntry("ByteDance/Sa2VA-4B", "InternVL2.5", "Qwen2.5-3B", 4.0, "RefCOCO cIoU 82.4"),
    ModelEntry("ByteDance/Sa2VA-8B", "InternVL2.5", "InternLM2.5-7B", 8.0, "RefCOCO cIoU 82.6"),
    ModelEntry("ByteDance/Sa2VA-26B", "InternVL2.5", "InternLM2.5-20B", 26.0, "largest; several GPUs"),
    ModelEntry("ByteDance/Sa2VA-InternVL3-2B", "InternVL3", "Qwen2.5-1.5B", 2.0, "default; RefCOCO 81.4"),
    ModelEntry("ByteDance/Sa2VA-InternVL3-8B", "InternVL3", "Qwen2.5-7B", 8.0, ""),
    ModelEntry("ByteDance/Sa2VA-InternVL3-14B", "InternVL3", "Qwen2.5-14B", 14.0, ""),
    ModelEntry("ByteDance/Sa2VA-Qwen2_5-VL-3B", "Qwen2.5-VL", "Qwen2.5-3B", 3.0, "needs processor="),
    ModelEntry("ByteDance/Sa2VA-Qwen2_5-VL-7B", "Qwen2.5-VL", "Qwen2.5-7B", 7.0, "needs processor="),
    ModelEntry("ByteDance/Sa2VA-Qwen3-VL-4B", "Qwen3-VL", "Qwen3-4B", 4.0, "MeViS 57.1; needs processor="),
)
MODELS: dict[str, ModelEntry] = {entry.model_id: entry for entry in _ENTRIES}


def needs_processor(family: Family) -> bool:
    """True for the Qwen-based families, whose ``predict_forward`` asserts ``processor``."""
    return family.startswith("Qwen")


def lookup(model_id: str) -> ModelEntry:
    """The zoo entry for ``model_id``, with or without the "ByteDance/" prefix, any case.

    Raises ``ConfigError`` listing every valid id when it is not a released checkpoint.
    """
    key = model_id.strip().lower()
    if "/" not in key:
        key = f"{HUB_OWNER.lower()}/{key}"
    for entry in _ENTRIES:
        if entry.model_id.lower() == key:
            return entry
    raise ConfigError(
        f"unknown Sa2VA model '{model_id}'",
        f"Choose one of: {', '.join(MODELS)} (set sa2va.model in config.yaml).",
    )


def entries(family: Family) -> list[ModelEntry]:
    """Every released checkpoint of ``family``, smallest first."""
    return sorted((e for e in _ENTRIES if e.family == family), key=lambda e: e.params_b)


# Qwen2.5 hidden sizes: InternVL2.5-1B/4B use 0.5B (896) and 3B (2048); InternVL3-2B/8B/14B use 1.5B
# (1536), 7B (3584) and 14B (5120). The two generations share every other key of the exported config.
_INTERNVL25_QWEN_HIDDEN = {896, 2048}
_INTERNVL3_QWEN_HIDDEN = {1536, 3584, 5120}


def family_from_config(config: Mapping[str, Any]) -> Family | None:
    """The family of a local checkpoint, from its ``config.json`` as a dict; None when undecidable.

    What it keys on, in order (the exported configs: tools/convert_to_hf.py upstream):

    1. Qwen families have a ``text_config`` (the config subclasses Qwen2_5_VLConfig / Qwen3VLConfig)
       and ``auto_map.AutoModel`` = ``modeling_sa2va_qwen.Sa2VAChatModelQwen``. Qwen3-VL vs Qwen2.5-VL:
       ``model_type`` of ``vision_config``/``text_config`` ("qwen3_vl*" / "qwen2_5_vl*"), else a
       "qwen3"/"qwen2_5" hint in ``architectures`` or ``_name_or_path``, else Qwen3-VL's vision key
       ``deepstack_visual_indexes`` vs Qwen2.5-VL's ``fullatt_block_indexes``/``window_size``.
    2. InternVL families have an ``llm_config`` (``Sa2VAChatModel``). An "internvl3" or "internvl2_5"
       hint in any ``_name_or_path`` decides; else an ``InternLM2ForCausalLM`` LLM means InternVL2.5
       (Sa2VA-8B/26B); else a Qwen2 LLM's ``hidden_size`` separates InternVL2.5 (896, 2048) from
       InternVL3 (1536, 3584, 5120).
    """
    text = _section(config, "text_config")
    vision = _section(config, "vision_config")
    llm = _section(config, "llm_config")
    auto_model = str(_section(config, "auto_map").get("AutoModel", ""))
    names = " ".join(
        str(part)
        for part in (
            config.get("_name_or_path", ""),
            llm.get("_name_or_path", ""),
            vision.get("_name_or_path", ""),
            " ".join(map(str, config.get("architectures") or [])),
        )
    ).lower()

    if text or "sa2vachatmodelqwen" in auto_model.lower():
        types = f"{vision.get('model_type', '')} {text.get('model_type', '')}".lower()
        for hay in (types, names):
            if "qwen3" in hay:
                return "Qwen3-VL"
            if re.search(r"qwen2[._]5", hay):
                return "Qwen2.5-VL"
        if "deepstack_visual_indexes" in vision:
            return "Qwen3-VL"
        if "fullatt_block_indexes" in vision or "window_size" in vision:
            return "Qwen2.5-VL"
        return None

    if llm or "sa2vachatmodel" in auto_model.lower():
        if "internvl3" in names:
            return "InternVL3"
        if re.search(r"internvl2[._]5", names):
            return "InternVL2.5"
        arch = " ".join(map(str, llm.get("architectures") or [])).lower()
        if "internlm2" in arch:
            return "InternVL2.5"
        hidden = llm.get("hidden_size")
        if hidden in _INTERNVL25_QWEN_HIDDEN:
            return "InternVL2.5"
        if hidden in _INTERNVL3_QWEN_HIDDEN:
            return "InternVL3"
    return None


def _section(config: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = config.get(key)
    return value if isinstance(value, Mapping) else {}


def parse_version(version: str) -> tuple[int, int, int]:
    """(major, minor, micro) of a version string; "4.50.0.dev0" -> (4, 50, 0), "4.57" -> (4, 57, 0)."""
    match = re.match(r"\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?", version)
    if not match:
        raise ValueError(f"not a version: {version!r}")
    major, minor, micro = (int(part) if part else 0 for part in match.groups())
    return major, minor, micro


def in_range(version: str, spec: str) -> bool:
    """Whether ``version`` satisfies ``spec``, a comma-separated list of ``>=``/``<``/``==``/… bounds."""
    have = parse_version(version)
    for clause in filter(None, (part.strip() for part in spec.split(","))):
        match = re.match(r"(>=|<=|==|!=|>|<)\s*(.+)", clause)
        if not match:
            raise ValueError(f"not a version bound: {clause!r}")
        op, want = match.group(1), parse_version(match.group(2))
        ok = {
            ">=": have >= want,
            "<=": have <= want,
            ">": have > want,
            "<": have < want,
            "==": have == want,
            "!=": have != want,
        }[op]
        if not ok:
            return False
    return True


def check_transformers(entry: ModelEntry, installed_version: str) -> None:
    """Raise ``ModelError`` naming the pip command to run when ``installed_version`` of transformers is
    outside the range ``entry``'s remote code runs on; return None when it is inside."""
    if in_range(installed_version, entry.transformers):
        return
    why = (
        "4.50+ breaks InternLM2 generate (upstream issue #124)"
        if entry.family == "InternVL2.5"
        else "its remote code was released against 4.57.x"
    )
    raise ModelError(
        f"{entry.model_id} ({entry.family}) needs transformers {entry.transformers}, "
        f"but {installed_version} is installed: {why}",
        f'Run: pip install "transformers=={entry.transformers_pin}" (or choose a model of another family).',
    )


__all__ = [
    "FAMILIES",
    "MODELS",
    "TRANSFORMERS_RANGE",
    "Family",
    "ModelEntry",
    "check_transformers",
    "entries",
    "family_from_config",
    "in_range",
    "lookup",
    "needs_processor",
    "parse_version",
]
