"""Shared helpers for the server tests: free ports, a server subprocess, a light engine.

The light engine stands in for the real GroundingEngine where a test is about the
service (framing, queueing, faults), not about grounding quality: it splits the clip
uniformly, can be told to sleep (to hold a worker mid-request) and uses the real
rule-based decomposition when that module exists.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from moground.wire.blender.local_backend import free_port  # noqa: F401  (re-exported for the tests)
from moground.wire.client import Client
from moground.wire.errors import MoGroundError
from moground.grounding.result import GroundingResult, Segment

TESTS_DIR = Path(__file__).resolve().parent
LIGHT_FACTORY = "server_helpers:light_engine"


def _split_prompt(prompt: str) -> list[str]:
    try:
        from moground.decompose import decompose_phrases as decompose
    except ImportError:
        decompose = None
    if decompose is not None:
        return list(decompose(prompt))
    parts = [p.strip() for p in prompt.replace(" then ", ",").split(",")]
    return [p for p in parts if p]


class LightEngine:
    def __init__(self, encoder: str = "light", encoder_path=None, device: str = "cpu", seed: int = 0,
                 encoder_options: dict | None = None, llm: dict | None = None, indexes: dict | None = None) -> None:
        self.encoder, self.device = encoder, device
        self.encoder_options, self.llm = encoder_options or {}, llm
        self.indexes = dict(indexes or {})

    def decompose(self, prompt: str) -> list[str]:
        return _split_prompt(prompt)

    def info(self) -> dict:
        return {"encoder": "light", "device": self.device, "methods": ["uniform"],
                "encoder_options": self.encoder_options, "llm": self.llm}

    def ground(self, clip, prompt=None, actions=None, method="zomg", rig_override=None, options=None):
        match = re.match(r"\[sleep ([0-9.]+)\] ", prompt or "")
        if match:  # a slow request: see sleepy_prompt()
            time.sleep(float(match.group(1)))
            prompt = prompt[match.end():]
        subs = list(actions) if actions else self.decompose(prompt or "")
        if not subs:
            raise MoGroundError("nothing to ground")
        T = clip.num_frames
        edges = np.linspace(0, T, len(subs) + 1).round().astype(int)
        segs = [
            Segment(label=s, index=i, start_frame=float(clip.frame_start + edges[i]),
                    end_frame=float(clip.frame_start + edges[i + 1]), start_s=edges[i] / clip.fps,
                    end_s=edges[i + 1] / clip.fps, score=0.5)
            for i, s in enumerate(subs)
        ]
        return GroundingResult(subs, segs, clip.fps, "uniform", "light", {"total": 0.1},
                               [f"up_axis={clip.up_axis} bones={len(clip.joint_names)}"])


    def search(self, query, options=None, *, index=None, takes=None) -> dict:
        """One whole-take hit per inline take, none for an index: enough for framing tests."""
        hits = [{"rank": i + 1, "score": 0.5, "file": "", "take": t.name, "armature": t.armature,
                 "action": t.action, "start_frame": t.clip.frame_start,
                 "end_frame": t.clip.frame_start + t.clip.num_frames} for i, t in enumerate(takes or [])]
        return {"index": index, "hits": hits, "searched": {"takes": len(takes or [])}}


def sleepy_prompt(prompt: str, seconds: float) -> str:
    """A prompt the light engine works on for ``seconds`` before answering."""
    return f"[sleep {seconds}] {prompt}"


def light_engine(**kwargs) -> LightEngine:
    return LightEngine(**kwargs)


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class ServerProcess:
    """``python -m moground.commands.serve`` as a subprocess, logging to a file."""

    def __init__(self, log_path: Path, *args: str, factory: str | None = LIGHT_FACTORY,
                 address: str | None = None, wait_workers: int = 1, startup_s: float = 60.0,
                 env_extra: dict | None = None) -> None:
        self.address = address or f"tcp://127.0.0.1:{free_port()}"
        self.log_path = log_path
        cmd = [sys.executable, "-m", "moground.commands.serve", "--bind", self.address, *args]
        if factory:
            cmd += ["--engine-factory", factory]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(TESTS_DIR), env.get("PYTHONPATH", "")])
        env.update(env_extra or {})
        self._log = open(log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, env=env)
        if wait_workers:
            self.wait_ready(wait_workers, startup_s)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, workers: int = 1, within_s: float = 60.0, **client_kw) -> dict:
        deadline = time.monotonic() + within_s
        with Client(self.address, timeout_s=0.5, retries=0, **client_kw) as c:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise AssertionError(f"server exited with {self.proc.returncode}:\n{self.log()[-3000:]}")
                try:
                    health = c.health()
                    if health["workers_ready"] >= workers:
                        return health
                except MoGroundError:
                    pass
                time.sleep(0.1)
        raise AssertionError(f"server not ready within {within_s} s:\n{self.log()[-3000:]}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode


def walk_clip(frames: int = 60, bones: int = 4, fps: float = 30.0) -> tuple[np.ndarray, list[str], list[int]]:
    """A small synthetic chain moving along +X (Z-up): enough for framing tests."""
    t = np.arange(frames, dtype=np.float32)[:, None]
    pos = np.zeros((frames, bones, 3), np.float32)
    pos[:, :, 0] = t * 0.05
    pos[:, :, 2] = np.arange(bones, dtype=np.float32)[None, :] * 0.3 + 1.0
    return pos, [f"bone{i}" for i in range(bones)], [-1] + list(range(bones - 1))


def synthetic_index(folder: Path, takes: int = 3) -> Path:
    """A small well-formed library index of random features (encoder "light"), for
    service tests whose engine never reads it: the front end only opens it."""
    from moground.library.store import EncodedTake, FileRecord, Manifest, write_index

    rng = np.random.default_rng(0)
    files = []
    for i in range(takes):
        enc = EncodedTake(take="", armature=None, action=None, source_fps=30.0, frame_start=0.0,
                          source_frames=90, frames=rng.standard_normal((60, 4)).astype(np.float16),
                          windows=rng.standard_normal((3, 4)).astype(np.float16),
                          spans=np.array([[0, 20], [20, 40], [40, 60]], np.int32))
        files.append((FileRecord(f"/library/take_{i}.bvh", f"{i:064x}"), [enc]))
    manifest = Manifest(encoder={"name": "light", "weights_sha256": None, "fps": 20.0, "embed_dim": 4,
                                 "frame_dim": 4}, scales_s=[1.0])
    write_index(folder, manifest, files, 4, 4)
    return folder


def search_frames(rid: str = "s", *, takes: int = 2, frames: int = 30, bones: int = 3, **changes) -> list[bytes]:
    """A valid inline ``search`` (one rig, ``takes`` takes) with header fields replaced by
    ``changes`` (``options.X`` and ``motions.X`` reach inside)."""
    from moground.wire import protocol as P

    pos, names, parents = walk_clip(frames=frames, bones=bones)
    rig = {"armature": "Rig", "bone_names": names, "parents": parents, "fps": 30.0,
           "takes": [{"action": f"act{i}", "frame_start": 1.0 + i, "positions": pos} for i in range(takes)]}
    header, arrays = P.make_search_request("a person walks", rigs=[rig], request_id=rid)
    for key, val in changes.items():
        if key.startswith("options."):
            header["options"][key[8:]] = val
        elif key.startswith("motions."):
            header["motions"][0][key[8:]] = val
        else:
            header[key] = val
    return P.encode_message(header, arrays)
