"""End to end: Client → real server subprocess with the real GroundingEngine (default
factory, builtin encoder) on a real Bandai clip sent the way the add-on sends it."""

from __future__ import annotations

import numpy as np
import pytest

from moground.wire.client import Client
from moground.wire.errors import UnmappableRig
from moground.paths import data_root
from server_helpers import ServerProcess

pytestmark = pytest.mark.skipif(data_root(required=False) is None, reason="shared motion data not found")


def y_up_to_z_up(pos: np.ndarray) -> np.ndarray:
    """Rotate +90° about X, as Blender does on BVH import: Y-up (x, y, z) becomes Z-up (x, -z, y)."""
    return np.stack([pos[..., 0], -pos[..., 2], pos[..., 1]], axis=-1).astype(np.float32)


@pytest.fixture(scope="module")
def real_server(tmp_path_factory):
    srv = ServerProcess(tmp_path_factory.mktemp("engine") / "server.log", factory=None, startup_s=180)
    yield srv
    assert srv.stop() == 0


def test_real_engine_grounds_a_real_clip_over_the_wire(real_server):
    from moground.io.shards import load_bandai_clip

    clip = load_bandai_clip("dataset-1_bow_active_001")
    opts = {"steps": 5}
    prompt = "walk forward, then bow, then wave"
    with Client(real_server.address, timeout_s=120, retries=0) as c:
        info = c.info()
        assert info["engine"]["device"] == "cpu" and "zomg" in info["engine"]["methods"]
        z = c.ground(y_up_to_z_up(clip.positions), clip.joint_names, clip.parents, clip.fps, 1001.0,
                     prompt=prompt, options=opts)
        y = c.ground(clip.positions, clip.joint_names, clip.parents, clip.fps, 1001.0,
                     prompt=prompt, options=opts, up_axis="Y")
    assert z["sub_actions"] == ["walk forward", "bow", "wave"] and z["method"] == "zomg"
    starts = [s["start_frame"] for s in z["segments"]]
    assert [s["label"] for s in z["segments"]] == z["sub_actions"] and starts == sorted(starts)
    assert 1001.0 <= starts[0] and z["segments"][-1]["end_frame"] <= 1001.0 + clip.num_frames
    # the same motion, Z-up (Blender) or Y-up (BVH), lands on the same frames
    for a, b in zip(z["segments"], y["segments"]):
        assert a["start_frame"] == pytest.approx(b["start_frame"], abs=1.0)
        assert a["end_frame"] == pytest.approx(b["end_frame"], abs=1.0)


def test_real_engine_errors_keep_their_codes(real_server):
    pos = np.random.default_rng(0).normal(size=(40, 3, 3)).astype(np.float32)
    with Client(real_server.address, timeout_s=60, retries=0) as c:
        with pytest.raises(UnmappableRig):
            c.ground(pos, ["a", "b", "c"], [-1, 0, 1], 30.0, prompt="walk then jump")
        assert c.decompose("walk forward, then jump and wave") == ["walk forward", "jump", "wave"]
