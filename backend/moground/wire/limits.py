"""The resource budget of one request, in a module of its own: the wire protocol
enforces it on receipt, and the file readers, the prompt rules and the engine check
the same numbers before any work (docs/protocol.md, *Limits*)."""

from __future__ import annotations

import math
from typing import Mapping

from .errors import TooLarge

MAX_SEARCH_TOP = 1000
MAX_SUB_ACTIONS = 32  # K: explicit actions and a decomposed prompt alike (a 10-minute take may hold 20)
MAX_PROMPT_CHARS = 2_000

LIMITS: dict[str, int] = {
    "max_frames": 72_000,          # 10 minutes at 120 fps
    "max_duration_s": 1_200,       # frames / fps: 20 minutes of motion
    "max_model_frames": 24_000,    # after resampling to the encoder's rate (20 min at 20 fps)
    "max_bones": 256,
    "max_prompt_chars": MAX_PROMPT_CHARS,
    "max_sub_actions": MAX_SUB_ACTIONS,
    "max_action_chars": 200,
    "max_message_bytes": 128 * 1024 * 1024,
    "max_header_bytes": 256 * 1024,
    "max_arrays": 8,
    "max_ndim": 4,
    "max_request_id_chars": 128,
    "max_bone_name_chars": 128,
    "max_name_chars": 128,         # index, armature and action names in a search
    "max_search_takes": 512,       # takes sent inline with one search
    "max_search_top": MAX_SEARCH_TOP,
    "upload_stall_s": 30,          # a connection silent this long (e.g. mid-upload) is dropped
    "llm_max_reply_bytes": 1_048_576,  # LLM reply body, on the wire and after decompression
    "llm_max_s": 300,              # ceiling of the LLM total deadline (--llm-timeout, default 30)
}
"""The resource budget (docs/protocol.md, *Limits*): enforced by :func:`decode_message`,
:func:`validate_request` and :func:`check_motion_budget` before any work, reported by
the ``info`` request. Frame and bone limits bound a 10-minute take of a dense rig; the
duration and model-frame limits bound the work, whatever the frame rate; the byte limit
bounds memory per request."""


def check_motion_budget(n_frames: int, fps: float, *, model_fps: float | None = None,
                        limits: Mapping[str, int] = LIMITS) -> None:
    """The one check of a take's size against the budget, before any work on it: the
    front end (on receipt), every file reader (before parsing frames) and the engine
    (before resampling to ``model_fps``) call it. TooLarge names the limit."""
    def over(limit: str, value: float, what: str) -> TooLarge:
        return TooLarge(f"{what}; the limit {limit} is {limits[limit]:,}",
                        details={"limit": limit, "value": value, "max": limits[limit]})

    if n_frames > limits["max_frames"]:
        raise over("max_frames", n_frames, f"{n_frames:,} frames")
    if not (fps > 0 and math.isfinite(fps)):
        return  # an unusable rate is the caller's bad_motion, not a size problem
    duration = n_frames / fps
    if duration > limits["max_duration_s"]:
        raise over("max_duration_s", round(duration, 3),
                   f"{n_frames:,} frames at {fps:g} fps last {duration:,.1f} s")
    if model_fps is not None:
        resampled = int(round(n_frames * model_fps / fps))
        if resampled > limits["max_model_frames"]:
            raise over("max_model_frames", resampled,
                       f"{duration:,.1f} s resampled to {model_fps:g} fps make {resampled:,} frames")
