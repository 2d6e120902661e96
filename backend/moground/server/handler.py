"""Turns one request's frames into one reply's frames using a grounding engine.

Shared by process workers and the Ray Serve deployment, so every execution backend
answers identically. The broker decoded and validated each request before queueing it
(and answers ``info``/``health`` itself), so only ``ground``, ``decompose`` and
``search`` arrive here, already valid: the handler reads them and does not check them again. ``handle``
never raises: every failure becomes a coded reply.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Sequence

import numpy as np

from ..wire.methods import DEFAULT_METHOD
from ..wire.errors import MoGroundError
from ..motion import MotionClip
from ..wire.protocol import decode_message, error_reply_for, make_error_reply, make_reply

log = logging.getLogger("moground.server")


def clip_from_request(header: dict, arrays: dict[str, np.ndarray]) -> MotionClip:
    """Validated wire motion → MotionClip (a private writable copy: engines may work in
    place), marked checked so the engine does not scan it again."""
    motion = header["motion"]
    return MotionClip(
        positions=np.array(arrays["positions"], dtype=np.float32, copy=True),
        joint_names=list(motion["bone_names"]),
        parents=list(motion["parents"]),
        fps=float(motion["fps"]),
        frame_start=float(motion["frame_start"]),
        units_to_m=float(motion.get("units_to_m", 1.0)),
        up_axis=str(motion.get("up_axis", "Z")),
        source=f"wire:{header['request_id']}",
        checked=True,
    )


def takes_from_request(header: dict, arrays: dict[str, np.ndarray]) -> list:
    """A validated search's inline takes (``motions[].takes``, stacked per rig) as
    ``library.sources.Take``s named "armature/action" (or "action" without an armature)."""
    from ..library.take import Take

    takes = []
    for motion in header["motions"]:
        pos, row, armature = arrays[motion["array"]], 0, motion.get("armature")
        for take in motion["takes"]:
            count, action = take["frames"], take["action"]
            clip = MotionClip(
                positions=np.array(pos[row : row + count], dtype=np.float32, copy=True),
                joint_names=list(motion["bone_names"]), parents=list(motion["parents"]),
                fps=float(motion["fps"]), frame_start=float(take["frame_start"]),
                units_to_m=float(motion.get("units_to_m", 1.0)), up_axis=str(motion.get("up_axis", "Z")),
                source=f"wire:{header['request_id']}", checked=True,
            )
            takes.append(Take(f"{armature}/{action}" if armature else action, clip, armature, action))
            row += count
    return takes


def _as_dict(result: Any) -> dict:
    return result.to_dict() if hasattr(result, "to_dict") else dict(result)


class RequestHandler:
    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def handle(self, frames: Sequence[Any]) -> list[bytes]:
        rid = kind = None
        try:
            header, arrays = decode_message(frames)  # the frames, as the broker validated them
            rid, kind = header.get("request_id"), header.get("kind")
            return make_reply(rid, kind, self._run(kind, header, arrays))
        except MoGroundError as exc:
            return error_reply_for(exc, rid, kind)
        except Exception as exc:  # noqa: BLE001 - a bug must become a reply, not a dead worker
            log.exception("request %s (%s) failed", rid, kind)
            return make_error_reply(rid, "internal", f"internal error: {type(exc).__name__}: {exc}"[:500], kind=kind)

    def _run(self, kind: str, header: dict, arrays: dict[str, np.ndarray]) -> dict:
        t0 = time.perf_counter()
        if kind == "ground":
            result = _as_dict(self.engine.ground(
                clip_from_request(header, arrays),
                prompt=header.get("prompt"),
                actions=header.get("actions"),
                method=header.get("method", DEFAULT_METHOD),
                rig_override=header.get("rig_override"),
                options=header.get("options") or {},
            ))
            result.setdefault("timings_ms", {})["worker"] = round((time.perf_counter() - t0) * 1000, 3)
            return result
        if kind == "search":
            takes = takes_from_request(header, arrays) if header.get("motions") else None
            result = dict(self.engine.search(header["query"], header.get("options"), index=header.get("index"),
                                             takes=takes))
            result.setdefault("timings_ms", {})["worker"] = round((time.perf_counter() - t0) * 1000, 3)
            return result
        # decompose: engines may return phrases or a Decomposition (phrases, source, warnings)
        out = self.engine.decompose(header["prompt"])
        return _as_dict(out) if hasattr(out, "to_dict") else {"sub_actions": list(out)}
