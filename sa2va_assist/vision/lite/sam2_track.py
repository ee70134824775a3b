"""Optional SAM2 video tracking on the CPU, used only when config names a SAM2 checkpoint.

``load_sam2_tracker(config_name, checkpoint)`` builds the sam2 (1.1.0) video predictor once; its
``track(frames, detect, select)`` is a drop-in for ``MaskTracker.track``: the detector and ``select``
run on keyframes (every ``recheck_every`` frames) only until a target is chosen, then SAM2 follows every
target from the chosen candidates' masks, forwards to the end and backwards to frame 0, and tells
when a target is gone (its mask is empty there, state "lost").

SAM2 reads a video from a JPEG folder or an MP4 file; here the frames are already in memory, so the
predictor's inference state is built the way ``SAM2VideoPredictor.init_state`` builds it, with a lazy
frame list that preprocesses each frame exactly as sam2's JPEG loader does (PIL resize to the model's
square input, /255, ImageNet mean and std) when the model first asks for it: nothing is written to
disk and only the frame in use is held at model resolution.

Far from real time on a CPU: the tiny model at its trained 1024 x 1024 input took 3.4 s a frame with 2
torch threads on 2 idle cores, 6.6 s with 1 thread on shared cores (random weights; the image encoder
dominates). With other work on the cores, 2 torch threads spin-wait and ran 30x slower than 1: the
caller sets ``torch.set_num_threads``. ``image_size`` runs the model smaller: faster, less accurate
than trained. Heavy imports (torch, sam2, hydra) happen inside the functions.
"""

from __future__ import annotations

import time
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import DependencyError, ModelError
from .tracking import Detect, Select, State, Track, TrackResult

Prompt = np.ndarray | tuple[int, int, int, int]  # an (H, W) bool mask, or a box x0, y0, x1, y1 pixels
_MEAN, _STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)  # sam2's image normalisation (ImageNet)
_PIP = "pip install sam2==1.1.0 torch==2.14.1 torchvision==0.29.1"


def sam2_configs() -> list[str]:
    """The model config names the installed sam2 package ships, e.g. configs/sam2.1/sam2.1_hiera_t.yaml."""
    from importlib.resources import files

    root = files("sam2")
    return sorted(
        f"{folder}/{item.name}"
        for folder in ("configs/sam2.1", "configs/sam2")
        for item in (root / folder).iterdir()
        if item.name.endswith(".yaml")
    )


def load_sam2_tracker(
    config_name: str,
    checkpoint: str | Path | None,
    device: str = "cpu",
    image_size: int | None = None,
    recheck_every: int = 6,
) -> Sam2Tracker:
    """Build the SAM2 video predictor once. ``checkpoint`` None builds it with random weights (tests);
    ``image_size`` (pixels, a multiple of 32) overrides the config's square input size.

    Raises ``DependencyError`` when sam2 or torch is missing, ``ModelError`` when the checkpoint file
    does not exist or does not fit the config, or the config name is unknown.
    """
    if checkpoint is not None and not Path(checkpoint).is_file():
        raise ModelError(
            f"no SAM2 checkpoint at {checkpoint}",
            "Copy the .pt file there (e.g. sam2.1_hiera_tiny.pt from the SAM2 release) and set "
            "lite.sam2_checkpoint to it, or remove lite.sam2_checkpoint to use the optical-flow tracker.",
        )
    try:
        from sam2.build_sam import build_sam2_video_predictor
    except ImportError as err:
        raise DependencyError(f"SAM2 tracking needs sam2 and torch ({err})", f"Install them: {_PIP}") from err
    known = sam2_configs()
    if config_name not in known:
        raise ModelError(
            f"unknown SAM2 config '{config_name}'", f"Set lite.sam2_config to one of: {', '.join(known)}."
        )
    overrides = [f"++model.image_size={image_size}"] if image_size else []
    try:
        predictor = build_sam2_video_predictor(
            config_name,
            str(checkpoint) if checkpoint else None,
            device=device,
            hydra_overrides_extra=overrides,
        )
    except Exception as err:  # sam2 raises a bare RuntimeError() for weights that do not fit
        raise ModelError(
            f"could not build SAM2 from {config_name} and {checkpoint}: {type(err).__name__}: {err}",
            "Use the config that matches the checkpoint (tiny: configs/sam2.1/sam2.1_hiera_t.yaml, small: "
            "..._s.yaml, base+: ..._b+.yaml, large: ..._l.yaml; sam2.1 files with sam2.1 configs).",
        ) from err
    return Sam2Tracker(predictor, recheck_every)


class Sam2Tracker:
    """Follows objects with a built ``SAM2VideoPredictor``; masks come back as numpy bool arrays."""

    def __init__(self, predictor: Any, recheck_every: int = 6) -> None:
        self.predictor = predictor
        self.recheck_every = max(1, recheck_every)  # frames between detector calls until a target is chosen

    def propagate(
        self, frames: Sequence[np.ndarray], start: int, prompts: Sequence[Prompt]
    ) -> list[np.ndarray]:
        """One (n_frames, H, W) bool mask array per prompt, each prompt (a mask or box on frame
        ``start`` of ``frames``, (H, W, 3) uint8 RGB) followed through every frame."""
        if len(frames) == 0 or len(prompts) == 0:
            raise ValueError("propagate needs frames and at least one prompt")
        if not 0 <= start < len(frames):
            raise ValueError(f"start frame {start} is outside the {len(frames)} frames")
        state = _init_state(self.predictor, frames)
        h, w = frames[0].shape[:2]
        masks = np.zeros((len(prompts), len(frames), h, w), bool)
        with warnings.catch_warnings():  # a CPU-only sam2 has no _C extension: it skips hole filling
            warnings.filterwarnings("ignore", message="cannot import name '_C'")
            for obj_id, prompt in enumerate(prompts):
                if isinstance(prompt, np.ndarray):
                    self.predictor.add_new_mask(state, start, obj_id, prompt.astype(bool))
                else:
                    box = np.asarray(prompt, np.float32)
                    self.predictor.add_new_points_or_box(state, start, obj_id, box=box)
            for reverse in (False, True) if start > 0 else (False,):
                for t, _, logits in self.predictor.propagate_in_video(state, start, reverse=reverse):
                    masks[:, t] = (logits[:, 0] > 0).cpu().numpy()
        return list(masks)

    def track(self, frames: Sequence[np.ndarray], detect: Detect, select: Select) -> TrackResult:
        """``MaskTracker.track``'s contract with SAM2 doing the following (see the module's docstring)."""
        if len(frames) == 0:
            raise ValueError("no frames to track")
        timings = {"detect": 0.0, "select": 0.0, "propagate": 0.0}
        keyframes: list[int] = []
        for t in range(0, len(frames), self.recheck_every):
            keyframes.append(t)
            start = time.perf_counter()
            cands = detect(t, frames[t])
            timings["detect"] += (time.perf_counter() - start) * 1000
            start = time.perf_counter()
            chosen = select(cands)
            timings["select"] += (time.perf_counter() - start) * 1000
            if chosen:
                break
        else:
            return TrackResult([], keyframes, len(frames), timings)
        start = time.perf_counter()
        masks = self.propagate(frames, t, [cands[j].mask for j in chosen])
        timings["propagate"] += (time.perf_counter() - start) * 1000
        tracks = []
        for j, m in zip(chosen, masks, strict=True):
            states: list[State] = [
                "keyframe" if i == t else "tracked" if m[i].any() else "lost" for i in range(len(m))
            ]
            tracks.append(Track(cands[j].label, m, states, float(cands[j].score)))
        return TrackResult(tracks, keyframes, len(frames), timings)


class _Frames:
    """Frames as the predictor reads them: ``[i]`` is a (3, S, S) float32 tensor preprocessed exactly
    like ``sam2.utils.misc.load_video_frames_from_jpg_images`` (PIL resize, /255, mean/std)."""

    def __init__(self, frames: Sequence[np.ndarray], size: int) -> None:
        import torch

        self.frames, self.size = frames, size
        self.mean = torch.tensor(_MEAN, dtype=torch.float32)[:, None, None]
        self.std = torch.tensor(_STD, dtype=torch.float32)[:, None, None]

    def __len__(self) -> int:
        return len(self.frames)

    def __getitem__(self, index: int) -> Any:
        import torch
        from PIL import Image

        image = np.array(Image.fromarray(self.frames[index]).convert("RGB").resize((self.size, self.size)))
        tensor = torch.from_numpy(image / 255.0).permute(2, 0, 1).float()
        return (tensor - self.mean) / self.std


def _init_state(predictor: Any, frames: Sequence[np.ndarray]) -> dict[str, Any]:
    """The inference state ``SAM2VideoPredictor.init_state`` (sam2 1.1.0) builds, from in-memory frames
    (frames stay on the CPU and move to the model's device one at a time, as with offloading). Unlike
    it, frame 0's features are not computed ahead: the first prompt's frame computes its own."""
    device = predictor.device
    return {
        "images": _Frames(frames, predictor.image_size),
        "num_frames": len(frames),
        "offload_video_to_cpu": True,
        "offload_state_to_cpu": False,
        "video_height": int(frames[0].shape[0]),
        "video_width": int(frames[0].shape[1]),
        "device": device,
        "storage_device": device,
        "point_inputs_per_obj": {},
        "mask_inputs_per_obj": {},
        "cached_features": {},
        "constants": {},
        "obj_id_to_idx": OrderedDict(),
        "obj_idx_to_id": OrderedDict(),
        "obj_ids": [],
        "output_dict_per_obj": {},
        "temp_output_dict_per_obj": {},
        "frames_tracked_per_obj": {},
    }
