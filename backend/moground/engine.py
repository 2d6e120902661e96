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
from contextlib import contextmanager
from typing import Any, Iterator, Mapping

import numpy as np
import torch

from .wire.methods import DEFAULT_METHOD, METHODS
from . import __version__
from .decompose import Decomposition, LLMConfig, decompose
from .encoders import available_encoders, load_encoder
from .wire.errors import BadMotion, BadPrompt
from .grounding.confidence import confidence_flag
from .grounding.cuts import fit_min_len
from .grounding.methods import MethodOutput, check_method, run_method
from .grounding.phrases import encode_phrases
from .grounding.result import GroundingResult, Segment
from .grounding.settings import decoder_settings_for
from .grounding.trace import build_trace
from .grounding.masks import ZomgConfig
from .canonical import canonical_motion
from .motion import MotionClip
from .wire.options import GroundOptions
from .preprocess import PreparedMotion
from .wire.limits import check_motion_budget

log = logging.getLogger(__name__)


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
        # the decoder settings tuned for these weights (grounding.settings), looked up once
        self.fused, self.fused_tuned_for = decoder_settings_for(self.encoder)

    def decompose(self, prompt: str) -> Decomposition:
        """The prompt's phrases with their ``source`` (rules/llm) and any warnings."""
        return decompose(prompt, self.llm)

    def info(self) -> dict[str, Any]:
        return {
            "moground": __version__,
            "torch": torch.__version__,
            "python": platform.python_version(),
            "device": self.device,
            "default_method": DEFAULT_METHOD,
            "methods": list(METHODS),
            "encoders": available_encoders(),
            "encoder": self.encoder.describe(),
            "decoder": {"settings": ("tuned for " + self.fused_tuned_for if self.fused_tuned_for
                                     else "defaults (tuned for the packaged builtin.pt)"),
                        "span_term": self.fused.w_span, "text_term": self.fused.w_text},
            "llm": None if self.llm is None else {"url": self.llm.url, "model": self.llm.model},
        }

    def ground(
        self,
        clip: MotionClip,
        prompt: str | None = None,
        actions: list[str] | None = None,
        method: str = DEFAULT_METHOD,
        rig_override: dict | None = None,
        options: GroundOptions | Mapping[str, Any] | None = None,
        trace: bool = False,
    ) -> GroundingResult:
        """Ground a prompt (or explicit ordered ``actions``) in ``clip``.

        Stages: phrases → motion → encode → method → result. ``options`` is a
        :class:`GroundOptions` (a mapping is checked into one: unknown or out-of-range
        options are a ``bad_request``). ``trace=True`` also attaches the per-frame
        signals a timeline picture draws (``result.trace``, see ``moground.grounding.trace``);
        it costs a few extra pooling calls, so only pictures ask for it.
        """
        opts = options if isinstance(options, GroundOptions) else GroundOptions.from_mapping(options)
        check_method(method)  # before any work
        check_motion_budget(clip.num_frames, clip.fps, model_fps=self.encoder.fps)
        timings: dict[str, float] = {}
        warnings: list[str] = []
        t_all = time.perf_counter()
        with _timed(timings, "decompose_ms"):
            phrases = self._phrases(prompt, actions, warnings)
        with _timed(timings, "preprocess_ms"):
            prepared, min_len = self._motion(clip, rig_override, len(phrases), opts, warnings)
            motion = torch.from_numpy(np.ascontiguousarray(prepared.positions)).to(self.device)
        with _timed(timings, "text_ms"):
            text = encode_phrases(self.encoder, phrases, expand=opts.expand_phrases)
        zcfg = ZomgConfig(seed=self.seed, **opts.zomg_overrides())
        feats = None
        if trace:
            with _timed(timings, "encoder_ms"):
                with torch.no_grad():
                    feats = self.encoder.frame_features(motion)
        out = run_method(method, self.encoder, motion, text, min_len, feats=feats, zomg=zcfg, fused=self.fused)
        timings.update(out.timings_ms)
        timings["total_ms"] = (time.perf_counter() - t_all) * 1e3
        if self.untrained:
            warnings.append("the builtin encoder has no trained weights: results are not meaningful")
        signals = None
        if trace:
            signals = build_trace(
                self.encoder, motion, feats, text, phrases, prepared.times_s, clip.fps,
                clip.frame_start, clip.duration_s, method, out.info.get("masks"),
            )
        return GroundingResult(
            trace=signals,
            sub_actions=phrases,
            segments=_segments(phrases, out, prepared, clip),
            fps=clip.fps,
            method=method,
            encoder=self.encoder_name,
            timings_ms=timings,
            warnings=warnings,
        )

    def _motion(self, clip: MotionClip, rig_override: dict | None, k_count: int,
                opts: GroundOptions, warnings: list[str]) -> tuple[PreparedMotion, int]:
        """Rig mapping, unit check, resampling and canonicalisation; the minimum
        segment length in encoder frames, shrunk for a clip that is short for K."""
        prepared = canonical_motion(clip, rig_override, self.encoder.fps, warnings)
        t_count = prepared.positions.shape[0]
        if t_count < k_count * 2:
            raise BadMotion(
                f"the clip is {clip.duration_s:.2f} s long: too short for {k_count} sub-actions"
            )
        min_len = fit_min_len(t_count, k_count, opts.min_frames(self.encoder.fps))
        if min_len < opts.min_frames(self.encoder.fps):
            warnings.append("clip is short for this many sub-actions; minimum segment length reduced")
        return prepared, min_len

    def _phrases(self, prompt: str | None, actions: list[str] | None, warnings: list[str]) -> list[str]:
        """The ordered sub-action phrases: ``actions`` as given, or the prompt decomposed."""
        if actions:
            cleaned = [a.strip() for a in actions if a and a.strip()]
            if not cleaned:
                raise BadPrompt("the sub-action list is empty")
            return cleaned
        if prompt is None or not prompt.strip():
            raise BadPrompt("the prompt is empty: describe the sub-actions, e.g. 'walk, then jump, then wave'")
        result = decompose(prompt, self.llm)
        warnings += result.warnings + [f"prompt: {note}" for note in result.notes]
        return result.phrases


@contextmanager
def _timed(timings: dict[str, float], key: str) -> Iterator[None]:
    t0 = time.perf_counter()
    yield
    timings[key] = (time.perf_counter() - t0) * 1e3


def _segments(phrases: list[str], out: MethodOutput, prepared: PreparedMotion,
              clip: MotionClip) -> list[Segment]:
    """The method's segments (model frames, end exclusive) as whole source frames and seconds."""
    segments = []
    sharpness = out.info.get("cut_sharpness", [1.0] * len(out.segments))
    for i, ((s, e), score) in enumerate(zip(out.segments, out.scores)):
        flag, reason = confidence_flag(float(score), cut_sharpness=sharpness[i])
        first = prepared.to_source_offset(s)
        stop = max(prepared.to_source_offset(e), first)
        segments.append(Segment(
            label=phrases[i],
            index=i,
            start_frame=float(clip.frame_start + first),
            end_frame=float(clip.frame_start + stop),
            start_s=round(first / clip.fps, 6),
            end_s=round(stop / clip.fps, 6),
            score=round(float(score), 4),
            low_confidence=flag,
            reason=reason,
        ))
    return segments
