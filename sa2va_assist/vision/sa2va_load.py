"""Build a ready ``Sa2vaBackend`` from the config: find the weights, check the environment, load once.

Order of checks, cheapest first, so a machine without weights or a GPU gets a clear answer in
milliseconds and no network traffic: model id known -> weights present (``--model-path`` folder, else
the local Hugging Face cache; downloading only when allowed and ``HF_HUB_OFFLINE`` is unset) -> device
-> torch/transformers importable -> transformers version fits the family -> CUDA present -> load.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from ..config import Config, Sa2vaConfig
from ..errors import ConfigError, DependencyError, ModelError
from .sa2va import Sa2vaBackend
from .sa2va_frames import as_strategy
from .zoo import Family, ModelEntry, check_transformers, entries, family_from_config, lookup, needs_processor

log = logging.getLogger(__name__)

ALLOW_DOWNLOAD_ENV = "SA2VA_ALLOW_DOWNLOAD"  # "1": fetch missing weights from the hub into its cache
DTYPES = ("bfloat16", "float16", "float32")
_WEIGHT_FILES = ("*.safetensors", "*.bin", "*.safetensors.index.json")


@dataclass(frozen=True)
class WeightsSource:
    """Where ``from_pretrained`` reads from."""

    path: str  # a local folder, or the hub id when downloading is allowed
    local_files_only: bool  # True unless the weights are to be downloaded
    family: Family  # detected from the folder's config.json, else the zoo entry's


def hub_cache_dir() -> Path:
    """The Hugging Face hub cache, resolved from the environment as huggingface_hub does."""
    for var in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if os.environ.get(var):
            return Path(os.environ[var]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg).expanduser() / "huggingface" / "hub"


def has_weights(folder: Path) -> bool:
    """Whether ``folder`` holds a config.json and at least one weight file."""
    return (folder / "config.json").is_file() and any(any(folder.glob(p)) for p in _WEIGHT_FILES)


def cached_snapshot(model_id: str, cache_dir: Path | None = None) -> Path | None:
    """The cached snapshot folder of ``model_id`` holding weights (``refs/main`` first), or None."""
    repo = (cache_dir or hub_cache_dir()) / f"models--{model_id.replace('/', '--')}"
    ref = repo / "refs" / "main"
    if ref.is_file():
        snap = repo / "snapshots" / ref.read_text(encoding="utf-8").strip()
        if has_weights(snap):
            return snap
    snapshots = sorted((repo / "snapshots").glob("*"), key=lambda p: p.stat().st_mtime, reverse=True)
    return next((s for s in snapshots if has_weights(s)), None)


def download_hint(entry: ModelEntry) -> str:
    """What to download and where to put it."""
    return (
        f"Download {entry.model_id} on a machine with hub access (huggingface-cli download "
        f"{entry.model_id} --local-dir DIR), then pass --model-path DIR, set SA2VA_MODEL_PATH=DIR or "
        f"sa2va.model_path in config.yaml; or set {ALLOW_DOWNLOAD_ENV}=1 to download into the cache."
    )


def locate_weights(cfg: Sa2vaConfig, entry: ModelEntry, allow_download: bool) -> WeightsSource:
    """Find the weights without touching the network; ``ModelError`` naming the fix when absent."""
    if cfg.model_path:
        folder = Path(cfg.model_path).expanduser()
        if not folder.is_dir():
            raise ModelError(f"no Sa2VA weights at {folder}: not a folder", download_hint(entry))
        if not has_weights(folder):
            raise ModelError(
                f"no Sa2VA weights at {folder}: it needs config.json and *.safetensors files",
                download_hint(entry),
            )
        return WeightsSource(str(folder), True, _family_of(folder, entry))
    snapshot = cached_snapshot(entry.model_id)
    if snapshot is not None:
        return WeightsSource(str(snapshot), True, _family_of(snapshot, entry))
    offline = os.environ.get("HF_HUB_OFFLINE", "").strip().lower() not in ("", "0", "false", "no")
    if allow_download and not offline:
        log.info("downloading %s from the hub (this can take a while)", entry.model_id)
        return WeightsSource(entry.model_id, False, entry.family)
    why = " and HF_HUB_OFFLINE is set" if allow_download and offline else ""
    raise ModelError(
        f"no Sa2VA weights for {entry.model_id}: no --model-path given and it is not in the "
        f"Hugging Face cache at {hub_cache_dir()}{why}",
        download_hint(entry),
    )


def _family_of(folder: Path, entry: ModelEntry) -> Family:
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ModelError(f"{folder / 'config.json'} is not readable JSON ({err.__class__.__name__})") from err
    family = family_from_config(config) if isinstance(config, dict) else None
    if family is None:
        log.warning("could not tell the Sa2VA family from %s; assuming %s", folder, entry.family)
        return entry.family
    if family != entry.family:
        log.warning("%s holds a %s checkpoint, not %s (%s)", folder, family, entry.model_id, entry.family)
    return family


def load(config: Config, *, allow_download: bool | None = None) -> Sa2vaBackend:
    """Load the model, tokenizer (and processor for Qwen families) once; return a ready backend.

    ``allow_download``: fetch weights missing locally from the hub (default: env
    ``SA2VA_ALLOW_DOWNLOAD`` == "1"; never while ``HF_HUB_OFFLINE`` is set). Raises ``ConfigError``
    (unknown model/dtype/keyframes), ``ModelError`` (no weights, no CUDA, transformers out of range,
    unloadable checkpoint) or ``DependencyError`` (torch, transformers or a remote-code import missing).
    """
    cfg = config.sa2va
    entry = lookup(cfg.model)
    as_strategy(cfg.keyframes)
    if cfg.dtype not in DTYPES:
        raise ConfigError(f"unknown sa2va.dtype '{cfg.dtype}'", f"Choose one of: {', '.join(DTYPES)}.")
    if allow_download is None:
        allow_download = os.environ.get(ALLOW_DOWNLOAD_ENV, "") == "1"
    source = locate_weights(cfg, entry, allow_download)
    if not cfg.device.startswith("cuda"):
        raise ModelError(
            f"sa2va.device is '{cfg.device}', but the released Sa2VA code runs on CUDA only",
            "Set sa2va.device to cuda on a machine with an NVIDIA GPU, or use --backend lite.",
        )
    if source.family != entry.family:
        entry = entries(source.family)[0]  # version range and input keyword follow the weights

    try:
        import torch
        import transformers
        from transformers import AutoModel, AutoProcessor, AutoTokenizer
    except ImportError as err:
        raise DependencyError(
            f"the sa2va backend needs torch and transformers ({err.name or err} is missing)",
            f"In the sa2va-assist checkout: pip install -e '.[sa2va]' (this model family needs "
            f'"transformers=={entry.transformers_pin}")',
        ) from err
    check_transformers(entry, transformers.__version__)
    if not torch.cuda.is_available():
        raise ModelError(
            "Sa2VA needs a CUDA GPU: its released code calls .cuda() and builds SAM2 state on cuda",
            "Run on a machine with an NVIDIA GPU, or use --backend lite (CPU, offline).",
        )
    use_flash = cfg.use_flash_attn and importlib.util.find_spec("flash_attn") is not None
    if cfg.use_flash_attn and not use_flash:
        log.info("flash-attn is not installed; Sa2VA falls back to eager attention")

    local = source.local_files_only
    log.info("loading %s (%s) from %s", entry.model_id, source.family, source.path)
    try:
        model = AutoModel.from_pretrained(
            source.path,
            torch_dtype=getattr(torch, cfg.dtype),
            low_cpu_mem_usage=True,
            use_flash_attn=use_flash,
            trust_remote_code=True,
            local_files_only=local,
        ).eval()
        model = model.cuda() if cfg.device == "cuda" else model.to(cfg.device)
        tokenizer = AutoTokenizer.from_pretrained(
            source.path, trust_remote_code=True, use_fast=False, local_files_only=local
        )
        processor = None
        if needs_processor(source.family):
            processor = AutoProcessor.from_pretrained(
                source.path, trust_remote_code=True, local_files_only=local
            )
    except ImportError as err:
        raise DependencyError(
            f"the Sa2VA remote code needs a package that is missing: {str(err).splitlines()[0][:200]}",
            "Install what it names; the [sa2va] extra has what the released checkpoints import: "
            "pip install -e '.[sa2va]' in the sa2va-assist checkout.",
        ) from err
    except Exception as err:
        if type(err).__name__ == "OutOfMemoryError":
            raise ModelError(
                f"{entry.model_id} does not fit in GPU memory",
                "Choose a smaller model (e.g. ByteDance/Sa2VA-1B or ByteDance/Sa2VA-InternVL3-2B).",
            ) from err
        detail = (str(err).strip().splitlines() or [""])[0][:200]
        raise ModelError(
            f"could not load {entry.model_id} from {source.path}: {type(err).__name__}: {detail}",
            f"Check the folder holds the complete download and transformers is {entry.transformers}.",
        ) from err
    if not needs_processor(source.family):
        processor = None  # InternVL's predict_forward rejects processor=
    return Sa2vaBackend(
        model,
        tokenizer=tokenizer,
        processor=processor,
        family=source.family,
        config=config,
        grad_guard=torch.no_grad,
        empty_cache=torch.cuda.empty_cache,
    )


__all__ = [
    "ALLOW_DOWNLOAD_ENV",
    "WeightsSource",
    "cached_snapshot",
    "download_hint",
    "has_weights",
    "hub_cache_dir",
    "load",
    "locate_weights",
]
