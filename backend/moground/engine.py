"""The grounding engine: motion clip + prompt → named segments in source frames.

One object per process (CLI run, server worker): it loads the encoder once and
runs the whole chain — rig mapping, resampling and canonicalisation, prompt
decomposition, encoding, the chosen grounding method, and the mapping of segment
boundaries back to the source's frame numbers.
"""

from __future__ import annotations

import logging
import platform
import time
from typing import Any

import numpy as np
import torch

from . import __version__
from .decompose import LLMConfig, decompose
from .encoders import available_encoders, load_encoder
from .errors import BadMotion, BadPrompt, BadRequest
from .grounding.confidence import confidence_flag
from .grounding.methods import METHODS, run_method
from .grounding.phrases import encode_phrases
from .grounding.result import GroundingResult, Segment
from .grounding.zomg import ZomgConfig
from .motion import MotionClip
from .protocol import check_motion_budget
from .preprocess import prepare
from .rigmap import CanonicalMotion, map_to_canonical
from .io.units import guess_units_to_m
from .skeleton import CANONICAL_PARENTS

log = logging.getLogger(__name__)

MIN_SEGMENT_S = 0.5


class GroundingEngine:
    def __init__(
        self,
        encoder: str = "builtin",
        encoder_path: str | None = None,
        device: str = "cpu",
        seed: int = 0,
        llm: LLMConfig | None = None,
        **encoder_options: Any,
    ) -> None:
        self.device = device
        self.seed = seed
        self.llm = llm
        self.encoder_name = encoder
        self.encoder = load_encoder(encoder, encoder_path, device=device, **encoder_options)
        # describe() counts parameters: ask once, not on every request
        self.untrained = not self.encoder.describe().get("trained", True)

    def decompose(self, prompt: str) -> list[str]:
        return decompose(prompt, self.llm).phrases

    def info(self) -> dict[str, Any]:
        return {
            "moground": __version__,
            "torch": torch.__version__,
            "python": platform.python_version(),
            "device": self.device,
            "methods": list(METHODS),
            "encoders": available_encoders(),
            "encoder": self.encoder.describe(),
            "llm": None if self.llm is None else {"url": self.llm.url, "model": self.llm.model},
        }

    def ground(
        self,
        clip: MotionClip,
        prompt: str | None = None,
        actions: list[str] | None = None,
        method: str = "zomg",
        rig_override: dict | None = None,
        options: dict | None = None,
    ) -> GroundingResult:
        """Ground a prompt (or explicit ordered ``actions``) in ``clip``."""
        opts = dict(options or {})
        timings: dict[str, float] = {}
        warnings: list[str] = []
        if method not in METHODS:
            raise BadRequest(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
        check_motion_budget(clip.num_frames, clip.fps, model_fps=self.encoder.fps)  # before any work
        t_all = time.perf_counter()

        t0 = time.perf_counter()
        phrases, more = self._phrases(prompt, actions)
        warnings += more
        timings["decompose_ms"] = (time.perf_counter() - t0) * 1e3

        t0 = time.perf_counter()
        clip.check_finite()
        if clip.num_frames < 2:
            raise BadMotion(f"the clip has {clip.num_frames} frame(s); at least 2 are needed")
        canon = map_to_canonical(clip, rig_override)
        warnings += _fix_implausible_scale(canon)
        if canon.filled:
            warnings.append(f"joints missing from the rig were filled from neighbours: {', '.join(canon.filled)}")
        prepared = prepare(canon, self.encoder.fps)
        motion = torch.from_numpy(np.ascontiguousarray(prepared.positions)).to(self.device)
        t_count = motion.shape[0]
        min_len = max(1, int(round(float(opts.get("min_segment_s", MIN_SEGMENT_S)) * self.encoder.fps)))
        if t_count < len(phrases) * 2:
            raise BadMotion(
                f"the clip is {clip.duration_s:.2f} s long: too short for {len(phrases)} sub-actions"
            )
        if t_count < len(phrases) * min_len:
            min_len = max(1, t_count // len(phrases))
            warnings.append("clip is short for this many sub-actions; minimum segment length reduced")
        timings["preprocess_ms"] = (time.perf_counter() - t0) * 1e3

        t0 = time.perf_counter()
        text = encode_phrases(self.encoder, phrases, expand=bool(opts.get("expand_phrases", False)))
        timings["text_ms"] = (time.perf_counter() - t0) * 1e3

        zcfg = ZomgConfig(seed=self.seed, **{k: opts[k] for k in ("steps", "lr", "tau") if k in opts})
        out = run_method(method, self.encoder, motion, text, min_len, zomg=zcfg)
        timings.update(out.timings_ms)
        timings["total_ms"] = (time.perf_counter() - t_all) * 1e3

        segments = []
        for i, ((s, e), score) in enumerate(zip(out.segments, out.scores)):
            flag, reason = confidence_flag(float(score))
            t_s, t_e = float(prepared.times_s[s]), float(prepared.times_s[e - 1]) + 1.0 / prepared.fps
            t_e = min(t_e, clip.duration_s)
            segments.append(
                Segment(
                    label=phrases[i],
                    index=i,
                    start_frame=round(clip.frame_start + t_s * clip.fps, 3),
                    end_frame=round(clip.frame_start + t_e * clip.fps, 3),
                    start_s=round(t_s, 4),
                    end_s=round(t_e, 4),
                    score=round(float(score), 4),
                    low_confidence=flag,
                    reason=reason,
                )
            )
        if self.untrained:
            warnings.append("the builtin encoder has no trained weights: results are not meaningful")
        return GroundingResult(
            sub_actions=phrases,
            segments=segments,
            fps=clip.fps,
            method=method,
            encoder=self.encoder_name,
            timings_ms=timings,
            warnings=warnings,
        )

    def _phrases(self, prompt: str | None, actions: list[str] | None) -> tuple[list[str], list[str]]:
        if actions:
            cleaned = [a.strip() for a in actions if a and a.strip()]
            if not cleaned:
                raise BadPrompt("the sub-action list is empty")
            return cleaned, []
        if prompt is None or not prompt.strip():
            raise BadPrompt("the prompt is empty: describe the sub-actions, e.g. 'walk, then jump, then wave'")
        result = decompose(prompt, self.llm)
        return result.phrases, list(result.warnings)


def _fix_implausible_scale(canon: CanonicalMotion) -> list[str]:
    """A rig whose declared units make a person 170 m (or 1.7 cm) tall is almost always
    a unit mistake (a centimetre BVH imported at scale 1.0); rescale it and say so."""
    factor = guess_units_to_m(canon.positions, list(CANONICAL_PARENTS))
    if factor == 1.0:
        return []
    canon.positions = (canon.positions * factor).astype(np.float32)
    return [f"the skeleton's size is implausible in the units given; rescaled by {factor:g} (check the unit scale)"]
