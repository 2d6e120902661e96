"""MoGround wire protocol v1: the one source of truth for both ends of the socket.

A message is a ZeroMQ multipart message: frame 0 is a UTF-8 JSON header, frames 1..N
are raw little-endian array buffers that the header's ``arrays`` list describes (name,
dtype, shape, frame index). There is no pickle anywhere, so a hostile peer can at worst
make us build a small error reply.

This module is vendored into the Blender add-on together with ``client.py`` and
``errors.py``; it therefore imports only numpy, the standard library and its siblings,
relatively (never torch, never bpy, nothing else from moground).
"""

from __future__ import annotations

import json
import math
import re
import uuid
from typing import Any, Mapping, Sequence

import numpy as np

from .methods import DEFAULT_METHOD
from .errors import (
    BadMotion,
    BadPrompt,
    BadRequest,
    Busy,
    EncoderError,
    IndexMismatch,
    MoGroundError,
    Timeout,
    TooLarge,
    UnknownIndex,
    UnmappableRig,
    UnreadableFile,
)
from .limits import LIMITS, check_motion_budget
from .options import GroundOptions, search_options

PROTOCOL_VERSION = 1
DEFAULT_ADDRESS = "tcp://127.0.0.1:5757"  # where `moground serve` binds and clients connect by default
REQUEST_KINDS: tuple[str, ...] = ("ground", "decompose", "search", "info", "health")

DTYPES: dict[str, np.dtype] = {
    "float32": np.dtype("<f4"),
    "float64": np.dtype("<f8"),
    "int32": np.dtype("<i4"),
    "int64": np.dtype("<i8"),
    "uint8": np.dtype("u1"),
}
"""Allowed array dtypes by wire name; buffers are always little-endian."""

_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_METHOD_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
INDEX_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
"""A server index name (``moground serve --index NAME=PATH``): what clients send, never a path."""


# --------------------------------------------------------------------------- errors


class ProtocolError(BadRequest):
    """A message that does not follow protocol v1 (code ``bad_request``)."""


class UnsupportedProtocol(ProtocolError):
    code = "unsupported_protocol"


class UnknownKind(ProtocolError):
    code = "unknown_kind"


class MessageTooLarge(ProtocolError, TooLarge):
    code = "too_large"


class BadMotionData(ProtocolError, BadMotion):
    code = "bad_motion"


class BadPromptData(ProtocolError, BadPrompt):
    code = "bad_prompt"


_ERRORS_BY_CODE: dict[str, type[MoGroundError]] = {
    cls.code: cls
    for cls in (
        BadRequest, BadPrompt, BadMotion, UnreadableFile, UnmappableRig, TooLarge,
        Busy, Timeout, EncoderError, UnsupportedProtocol, UnknownKind, IndexMismatch, UnknownIndex,
    )
}


def error_from_reply(header: Mapping[str, Any]) -> MoGroundError:
    """The MoGroundError a failed reply stands for, with the server's code and message.

    Unknown codes (from a newer server) keep their code on a plain MoGroundError.
    """
    err = header.get("error") if isinstance(header.get("error"), dict) else {}
    code = str(err.get("code", "internal"))
    message = str(err.get("message", "the backend reported an error without a message"))
    details = err.get("details") if isinstance(err.get("details"), dict) else {}
    cls = _ERRORS_BY_CODE.get(code, MoGroundError)
    exc = cls(message, details=details)
    if exc.code != code:
        exc.code = code
    return exc


# --------------------------------------------------------------------------- encoding


def new_request_id() -> str:
    return uuid.uuid4().hex


def encode_message(header: Mapping[str, Any], arrays: Mapping[str, np.ndarray] | None = None) -> list[bytes]:
    """Header + arrays → multipart frames. The header gains an ``arrays`` list that
    describes each buffer; arrays are converted to little-endian contiguous form."""
    out = dict(header)
    descs: list[dict[str, Any]] = []
    buffers: list[bytes] = []
    for i, (name, arr) in enumerate((arrays or {}).items(), start=1):
        a = np.asarray(arr)
        wire = next((k for k, dt in DTYPES.items() if dt == a.dtype.newbyteorder("<")), None)
        if wire is None:
            raise BadRequest(f"array {name!r} has dtype {a.dtype}, not one of {sorted(DTYPES)}")
        a = np.ascontiguousarray(a, dtype=DTYPES[wire])
        descs.append({"name": name, "dtype": wire, "shape": list(a.shape), "frame": i})
        buffers.append(a.tobytes())
    out["arrays"] = descs
    head = json.dumps(out, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return [head.encode("utf-8"), *buffers]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _frame_bytes(frame: Any) -> memoryview:
    """Accept bytes, bytearray, memoryview or zmq.Frame without copying."""
    buf = getattr(frame, "buffer", frame)
    try:
        return memoryview(buf).cast("B")
    except TypeError as exc:
        raise ProtocolError(f"frame of type {type(frame).__name__} is not a byte buffer") from exc


def decode_message(frames: Sequence[Any], *, limits: Mapping[str, int] = LIMITS) -> tuple[dict, dict[str, np.ndarray]]:
    """Frames → (header, arrays), validating everything the generic format promises.

    Checks, in order: frame count, total size, header size, UTF-8 JSON object (no NaN
    constants), ``protocol == 1``, the ``arrays`` descriptors (names, dtypes, shapes,
    frame indices) and that each buffer has exactly the declared length. Arrays are
    read-only views on the received frames. Raises ProtocolError subclasses.
    """
    if not isinstance(frames, (list, tuple)) or not frames:
        raise ProtocolError("empty message: expected a JSON header frame")
    if len(frames) > 1 + limits["max_arrays"]:
        raise ProtocolError(f"{len(frames)} frames; at most {1 + limits['max_arrays']} allowed")
    views = [_frame_bytes(f) for f in frames]
    total = sum(v.nbytes for v in views)
    if total > limits["max_message_bytes"]:
        raise MessageTooLarge(f"message is {total} bytes; the limit is {limits['max_message_bytes']}")
    if views[0].nbytes > limits["max_header_bytes"]:
        raise MessageTooLarge(f"header is {views[0].nbytes} bytes; the limit is {limits['max_header_bytes']}")
    header = _parse_header(views[0])
    _check_version(header)
    descs = header.get("arrays", [])
    if not isinstance(descs, list):
        raise ProtocolError("'arrays' must be a list of {name, dtype, shape, frame}")
    if len(descs) != len(frames) - 1:
        raise ProtocolError(f"header describes {len(descs)} arrays but {len(frames) - 1} buffer frames follow")
    arrays: dict[str, np.ndarray] = {}
    for i, desc in enumerate(descs, start=1):
        name, dtype, shape = _check_desc(desc, i, limits)
        if name in arrays:
            raise ProtocolError(f"array name {name!r} appears twice")
        need = dtype.itemsize * math.prod(shape)
        if need > limits["max_message_bytes"]:
            raise MessageTooLarge(f"array {name!r} declares shape {shape} ({need} bytes); the limit is {limits['max_message_bytes']}")
        got = views[i].nbytes
        if got != need:
            raise ProtocolError(f"array {name!r}: shape {shape} of {dtype.name} needs {need} bytes, frame {i} has {got}")
        arrays[name] = np.frombuffer(views[i], dtype=dtype).reshape(shape)
    return header, arrays


def _parse_header(view: memoryview) -> dict:
    try:
        text = bytes(view).decode("utf-8")
        header = json.loads(text, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolError(f"header frame is not UTF-8 JSON: {str(exc)[:200]}") from None
    if not isinstance(header, dict):
        raise ProtocolError(f"header must be a JSON object, got {type(header).__name__}")
    if "\\u" in text and _has_lone_surrogate(header):
        raise ProtocolError("header holds a lone UTF-16 surrogate escape (\\ud800-\\udfff), which is not text")
    return header


def _has_lone_surrogate(value: Any) -> bool:
    """True if any string (key or value) in ``value`` holds a lone surrogate, which JSON
    escapes allow but UTF-8 cannot encode (so no reply could echo it)."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            if not v.isascii():
                try:
                    v.encode("utf-8")
                except UnicodeEncodeError:
                    return True
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False


def _check_version(header: Mapping[str, Any]) -> None:
    version = header.get("protocol")
    if version is None:
        raise ProtocolError("header lacks 'protocol' (this server speaks protocol 1)")
    if type(version) is not int or version != PROTOCOL_VERSION:
        raise UnsupportedProtocol(f"protocol {version!r} is not supported; this server speaks protocol {PROTOCOL_VERSION}")


def _check_desc(desc: Any, index: int, limits: Mapping[str, int]) -> tuple[str, np.dtype, tuple[int, ...]]:
    if not isinstance(desc, dict):
        raise ProtocolError(f"arrays[{index - 1}] must be an object")
    name, dtype, shape, frame = desc.get("name"), desc.get("dtype"), desc.get("shape"), desc.get("frame")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ProtocolError(f"arrays[{index - 1}].name must be an identifier, got {str(name)[:80]!r}")
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise ProtocolError(f"array {name!r}: dtype {str(dtype)[:40]!r} is not one of {sorted(DTYPES)}")
    if type(frame) is not int or frame != index:
        raise ProtocolError(f"array {name!r}: frame must be {index}, got {str(frame)[:40]!r}")
    if not isinstance(shape, list) or len(shape) > limits["max_ndim"]:
        raise ProtocolError(f"array {name!r}: shape must be a list of at most {limits['max_ndim']} sizes")
    if not all(type(s) is int and 0 <= s for s in shape):
        raise ProtocolError(f"array {name!r}: shape {str(shape)[:80]} must hold non-negative integers")
    return name, DTYPES[dtype], tuple(shape)


# --------------------------------------------------------------------------- requests


def _base_header(kind: str, request_id: str | None) -> dict[str, Any]:
    return {"protocol": PROTOCOL_VERSION, "kind": kind, "request_id": request_id or new_request_id()}


def make_request(kind: str, request_id: str | None = None, **fields: Any) -> tuple[dict, dict]:
    """A bare request (``health``, ``info``...) as (header, arrays)."""
    header = _base_header(kind, request_id)
    header.update(fields)
    return header, {}


def make_decompose_request(prompt: str, request_id: str | None = None) -> tuple[dict, dict]:
    return make_request("decompose", request_id, prompt=prompt)


def make_ground_request(
    positions: np.ndarray,
    bone_names: Sequence[str],
    parents: Sequence[int],
    fps: float,
    frame_start: float,
    prompt: str | None,
    actions: Sequence[str] | None = None,
    method: str = DEFAULT_METHOD,
    options: GroundOptions | Mapping[str, Any] | None = None,
    request_id: str | None = None,
    *,
    up_axis: str = "Z",
    units_to_m: float = 1.0,
    rig_override: Mapping[str, str] | None = None,
) -> tuple[dict, dict]:
    """A ``ground`` request. ``positions`` are world-space joint positions ``[T, B, 3]``;
    ``up_axis`` defaults to Blender's Z-up, pass "Y" for BVH/Y-up sources."""
    header = _base_header("ground", request_id)
    header.update(
        motion={
            "bone_names": [str(n) for n in bone_names],
            "parents": [int(p) for p in parents],
            "fps": float(fps),
            "frame_start": float(frame_start),
            "up_axis": up_axis,
            "units_to_m": float(units_to_m),
        },
        prompt=prompt,
        actions=None if actions is None else [str(a) for a in actions],
        method=method,
        options=options.to_dict() if isinstance(options, GroundOptions) else dict(options or {}),
        rig_override=None if rig_override is None else dict(rig_override),
    )
    return header, {"positions": np.asarray(positions, dtype=np.float32)}


def make_search_request(
    query: str,
    *,
    index: str | None = None,
    rigs: Sequence[Mapping[str, Any]] | None = None,
    options: Mapping[str, Any] | None = None,
    request_id: str | None = None,
) -> tuple[dict, dict]:
    """A ``search`` request: ``query`` over the server index named ``index``, or over
    takes sent with it. Each rig is a ground-style motion (``bone_names``, ``parents``,
    ``fps``, optional ``up_axis`` (default Z), ``units_to_m``, ``armature``) with
    ``takes``: ``[{"action", "frame_start", "positions" [T, B, 3]}]``; a rig's takes travel
    stacked in one array, so a file's many actions fit the ``max_arrays`` budget."""
    header = _base_header("search", request_id)
    header.update(query=query, options=dict(options or {}))
    arrays: dict[str, np.ndarray] = {}
    if index is not None:
        header["index"] = index
    if rigs is not None:
        motions = []
        for i, rig in enumerate(rigs):
            name = f"positions_{i}"
            takes = list(rig["takes"])
            arrays[name] = np.concatenate([np.asarray(t["positions"], dtype=np.float32) for t in takes]) \
                if takes else np.zeros((0, len(rig["bone_names"]), 3), np.float32)
            motions.append({
                "armature": None if rig.get("armature") is None else str(rig["armature"]),
                "bone_names": [str(n) for n in rig["bone_names"]],
                "parents": [int(p) for p in rig["parents"]],
                "fps": float(rig["fps"]),
                "up_axis": str(rig.get("up_axis", "Z")),
                "units_to_m": float(rig.get("units_to_m", 1.0)),
                "array": name,
                "takes": [{"action": str(t["action"]), "frame_start": float(t["frame_start"]),
                           "frames": int(np.shape(t["positions"])[0])} for t in takes],
            })
        header["motions"] = motions
    return header, arrays


def validate_request(header: Mapping[str, Any], arrays: Mapping[str, np.ndarray], *, limits: Mapping[str, int] = LIMITS) -> None:
    """Kind-specific checks on a decoded request: everything a worker relies on.

    Runs before the request is queued, so no work starts on a request that breaks a
    limit or carries NaN/inf motion.
    """
    rid = header.get("request_id")
    if not isinstance(rid, str) or not 0 < len(rid) <= limits["max_request_id_chars"]:
        raise ProtocolError(f"request_id must be a string of 1..{limits['max_request_id_chars']} characters")
    kind = header.get("kind")
    if not isinstance(kind, str):
        raise ProtocolError("header lacks a string 'kind'")
    if kind not in REQUEST_KINDS:
        raise UnknownKind(f"unknown request kind {kind[:40]!r}; expected one of {', '.join(REQUEST_KINDS)}")
    if kind in ("health", "info"):
        if arrays:
            raise ProtocolError(f"a {kind} request carries no arrays")
        return
    if kind == "decompose":
        if arrays:
            raise ProtocolError("a decompose request carries no arrays")
        _check_prompt(header.get("prompt"), limits, required=True)
        return
    if kind == "search":
        _validate_search(header, arrays, limits)
        return
    _validate_ground(header, arrays, limits)


def _check_prompt(prompt: Any, limits: Mapping[str, int], *, required: bool, field: str = "prompt") -> None:
    if prompt is None and not required:
        return
    if not isinstance(prompt, str) or not prompt.strip():
        raise BadPromptData(f"{field} must be a non-empty string")
    if len(prompt) > limits["max_prompt_chars"]:
        raise MessageTooLarge(f"{field} has {len(prompt)} characters; the limit is {limits['max_prompt_chars']}")


def _validate_ground(header: Mapping[str, Any], arrays: Mapping[str, np.ndarray], limits: Mapping[str, int]) -> None:
    motion = header.get("motion")
    if not isinstance(motion, dict):
        raise ProtocolError("a ground request needs a 'motion' object (bone_names, parents, fps, frame_start, up_axis)")
    if set(arrays) != {"positions"}:
        raise ProtocolError(f"a ground request carries exactly one array 'positions', got {sorted(arrays)}")
    _check_motion(motion, arrays["positions"], limits)
    check_motion_budget(arrays["positions"].shape[0], motion["fps"], limits=limits)
    _check_finite(motion, arrays["positions"])
    prompt, actions = header.get("prompt"), header.get("actions")
    _check_prompt(prompt, limits, required=actions is None)
    if actions is not None:
        if not isinstance(actions, list) or not actions or not all(
            isinstance(a, str) and a.strip() for a in actions
        ):
            raise BadPromptData("actions must be a non-empty list of non-empty strings")
        if len(actions) > limits["max_sub_actions"]:
            raise MessageTooLarge(f"{len(actions)} sub-actions; the limit is {limits['max_sub_actions']}")
        if any(len(a) > limits["max_action_chars"] for a in actions):
            raise MessageTooLarge(f"a sub-action is longer than {limits['max_action_chars']} characters")
    method = header.get("method", DEFAULT_METHOD)
    if not isinstance(method, str) or not _METHOD_RE.match(method):
        raise ProtocolError(f"method must be a lower-case identifier, got {str(method)[:40]!r}")
    GroundOptions.from_mapping(header.get("options"))  # unknown or out of range: bad_request
    override = header.get("rig_override")
    if override is not None and not isinstance(override, dict):
        raise ProtocolError("rig_override must be an object or null")
    if override and not all(isinstance(k, str) and isinstance(v, str) for k, v in override.items()):
        raise ProtocolError("rig_override must map canonical joint names to bone names (strings)")


def _check_motion(motion: Mapping[str, Any], pos: np.ndarray, limits: Mapping[str, int],
                  *, frame_start: bool = True, where: str = "motion") -> None:
    """The checks of one wire motion (a ground's ``motion``, a search's ``motions[i]``)
    against its positions, except the budget and finiteness (the caller's, once)."""
    if pos.dtype != DTYPES["float32"] or pos.ndim != 3 or pos.shape[2] != 3:
        raise BadMotionData(f"positions must be float32 [T, B, 3], got {pos.dtype.name} {list(pos.shape)}")
    frames, bones = pos.shape[0], pos.shape[1]
    if frames > limits["max_frames"]:
        raise MessageTooLarge(f"{frames} frames; the limit is {limits['max_frames']}")
    if bones > limits["max_bones"]:
        raise MessageTooLarge(f"{bones} bones; the limit is {limits['max_bones']}")
    if frames < 2 or bones < 1:
        raise BadMotionData(f"motion needs at least 2 frames and 1 bone, got {frames} frames, {bones} bones")
    names, parents = motion.get("bone_names"), motion.get("parents")
    if not isinstance(names, list) or len(names) != bones or not all(
        isinstance(n, str) and 0 < len(n) <= limits["max_bone_name_chars"] for n in names
    ):
        raise BadMotionData(f"{where}.bone_names must list {bones} non-empty names (one per bone)")
    if len(set(names)) != len(names):
        raise BadMotionData(f"{where}.bone_names has duplicates")
    if not isinstance(parents, list) or len(parents) != bones or not all(
        type(p) is int and -1 <= p < bones for p in parents
    ):
        raise BadMotionData(f"{where}.parents must list {bones} integers in -1..{bones - 1}")
    keys = [("fps", 1e-3, 10_000.0), ("units_to_m", 1e-6, 1e6)] + ([("frame_start", -1e9, 1e9)] if frame_start else [])
    for key, lo, hi in keys:
        _check_number(motion.get(key, 1.0 if key == "units_to_m" else None), f"{where}.{key}", lo, hi)
    if motion.get("up_axis", "Z") not in ("Y", "Z"):
        raise BadMotionData(f"{where}.up_axis must be 'Y' or 'Z', got {str(motion.get('up_axis'))[:20]!r}")


def _check_number(val: Any, what: str, lo: float, hi: float) -> None:
    if type(val) not in (int, float) or not math.isfinite(val) or not lo <= val <= hi:
        raise BadMotionData(f"{what} must be a finite number in [{lo:g}, {hi:g}], got {str(val)[:40]}")


def _check_finite(motion: Mapping[str, Any], pos: np.ndarray, offset: float | None = None) -> None:
    """NaN/inf anywhere: bad_motion naming the first bad frame (source numbering) and bone."""
    if np.isfinite(pos).all():
        return
    bad = np.argwhere(~np.isfinite(pos))[0]
    frame = (motion.get("frame_start", 0) if offset is None else offset) + int(bad[0])
    bone = motion["bone_names"][int(bad[1])]
    raise BadMotionData(f"non-finite position at frame index {int(bad[0])}, bone {bone!r} (source frame {frame:g})",
                        details={"frame": frame, "bone": bone})


def _validate_search(header: Mapping[str, Any], arrays: Mapping[str, np.ndarray], limits: Mapping[str, int]) -> None:
    """A search names a server index or carries takes, never both and never a path."""
    _check_prompt(header.get("query"), limits, required=True, field="query")
    search_options(header.get("options"))  # unknown or out of range: bad_request naming the option
    index, motions = header.get("index"), header.get("motions")
    if (index is None) == (motions is None):
        raise ProtocolError("a search names a server 'index' or sends 'motions', exactly one of them")
    if index is not None:
        if not isinstance(index, str) or not INDEX_NAME_RE.fullmatch(index):
            raise ProtocolError(f"index must be an index name ({INDEX_NAME_RE.pattern}), got {str(index)[:80]!r}; "
                                "a search never sends a path")
        if arrays:
            raise ProtocolError("a search of a server index carries no arrays")
        return
    if not isinstance(motions, list) or not motions:
        raise ProtocolError("motions must be a non-empty list of rigs, each with its takes")
    if len(motions) > limits["max_arrays"] or not all(
            isinstance(m, dict) and isinstance(m.get("array"), str) for m in motions):
        raise ProtocolError(f"motions must list at most {limits['max_arrays']} objects, each naming its 'array'")
    used = [m["array"] for m in motions]
    if sorted(used) != sorted(arrays) or len(set(used)) != len(used):
        raise ProtocolError(f"each of motions[] names its own array; arrays sent: {sorted(arrays)}")
    n_takes = n_frames = 0
    duration = 0.0
    for i, motion in enumerate(motions):
        where = f"motions[{i}]"
        pos = arrays[motion["array"]]
        _check_motion(motion, pos, limits, frame_start=False, where=where)
        _check_name(motion.get("armature"), f"{where}.armature", limits, optional=True)
        takes = motion.get("takes")
        if not isinstance(takes, list) or not takes:
            raise ProtocolError(f"{where}.takes must be a non-empty list of {{action, frame_start, frames}}")
        n_takes += len(takes)
        if n_takes > limits["max_search_takes"]:
            raise MessageTooLarge(f"more than {limits['max_search_takes']} takes; the limit is max_search_takes",
                                  details={"limit": "max_search_takes", "max": limits["max_search_takes"]})
        row = 0
        for j, take in enumerate(takes):
            what = f"{where}.takes[{j}]"
            if not isinstance(take, dict):
                raise ProtocolError(f"{what} must be an object {{action, frame_start, frames}}")
            _check_name(take.get("action"), f"{what}.action", limits)
            _check_number(take.get("frame_start"), f"{what}.frame_start", -1e9, 1e9)
            count = take.get("frames")
            if type(count) is not int or not 2 <= count <= pos.shape[0] - row:
                raise BadMotionData(f"{what}.frames must be an integer from 2 to the rows left in "
                                    f"{motion['array']} ({pos.shape[0] - row}), got {str(count)[:40]}")
            _check_finite(motion, pos[row : row + count], offset=take["frame_start"])
            row += count
        if row != pos.shape[0]:
            raise BadMotionData(f"{where}.takes cover {row} of the {pos.shape[0]} rows of {motion['array']}")
        n_frames += pos.shape[0]
        duration += pos.shape[0] / motion["fps"]
    # the takes together cost like one ground request over their concatenation
    check_motion_budget(n_frames, n_frames / duration, limits=limits)


def _check_name(value: Any, what: str, limits: Mapping[str, int], *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or not 0 < len(value) <= limits["max_name_chars"]:
        raise BadMotionData(f"{what} must be a name of 1..{limits['max_name_chars']} characters")


# --------------------------------------------------------------------------- replies


def make_reply(request_id: str, kind: str, fields: Mapping[str, Any] | None = None,
               arrays: Mapping[str, np.ndarray] | None = None) -> list[bytes]:
    """A successful reply: ``{"protocol": 1, "kind", "request_id", "ok": true, **fields}``."""
    header = {"protocol": PROTOCOL_VERSION, "kind": kind, "request_id": request_id, "ok": True}
    header.update(fields or {})
    return encode_message(header, arrays)


def make_error_reply(request_id: str | None, code: str, message: str, *, kind: str | None = None,
                     details: Mapping[str, Any] | None = None) -> list[bytes]:
    """A failed reply: ``{"ok": false, "error": {"code", "message", "details"}}``."""
    header: dict[str, Any] = {"protocol": PROTOCOL_VERSION, "kind": kind, "request_id": request_id, "ok": False,
                              "error": {"code": code, "message": message, "details": dict(details or {})}}
    try:
        return encode_message(header)
    except (TypeError, ValueError):  # details that JSON cannot carry are dropped, not fatal
        header["error"]["details"] = {}
        return encode_message(header)


def error_reply_for(exc: MoGroundError, request_id: str | None, kind: str | None = None) -> list[bytes]:
    return make_error_reply(request_id, exc.code, exc.message, kind=kind, details=exc.details)


def peek_request_id(frames: Sequence[Any]) -> str | None:
    """Best-effort request_id of a message that failed validation, so that the error
    reply can still be matched by the client. Never raises."""
    try:
        view = _frame_bytes(frames[0])
        if view.nbytes > LIMITS["max_header_bytes"]:
            return None
        header = json.loads(bytes(view).decode("utf-8"), parse_constant=_reject_constant)
        rid = header.get("request_id") if isinstance(header, dict) else None
        if isinstance(rid, str) and 0 < len(rid) <= LIMITS["max_request_id_chars"] and not _has_lone_surrogate(rid):
            return rid
    except Exception:  # noqa: BLE001 - by contract this never fails
        pass
    return None


def decode_reply(frames: Sequence[Any]) -> tuple[dict, dict[str, np.ndarray]]:
    """Client side: decode and check the envelope of a reply (``ok`` is a bool)."""
    header, arrays = decode_message(frames)
    if not isinstance(header.get("ok"), bool):
        raise ProtocolError("reply lacks a boolean 'ok'")
    if not header["ok"] and not isinstance(header.get("error"), dict):
        raise ProtocolError("failed reply lacks an 'error' object")
    return header, arrays
