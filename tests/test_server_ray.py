"""``moground serve --ray``: the same ZeroMQ front end over a local Ray Serve deployment.

Skipped only when Ray Serve is not installed (extra ``farm``). Starts a local Ray on
this CPU, so it is marked slow.
"""

from __future__ import annotations

import pytest

pytest.importorskip("ray.serve", reason="Ray Serve not installed (pip install 'moground[farm]')")

from moground.wire.client import Client  # noqa: E402
from moground.wire.errors import BadMotion  # noqa: E402
from server_helpers import ServerProcess, walk_clip  # noqa: E402

pytestmark = pytest.mark.slow


def test_ray_backend_serves_the_same_protocol(tmp_path):
    srv = ServerProcess(tmp_path / "ray.log", "--ray", "--workers", "1", startup_s=300)
    try:
        with Client(srv.address, timeout_s=60, retries=0) as c:
            info = c.info()
            assert info["server"]["backend"] == "ray" and info["engine"]["encoder"] == "light"
            pos, names, parents = walk_clip(frames=90)
            r = c.ground(pos, names, parents, 30.0, 11.0, prompt="walk then jump")
            assert [s["label"] for s in r["segments"]] == ["walk", "jump"]
            assert r["segments"][0]["start_frame"] == 11.0 and r["segments"][-1]["end_frame"] == 101.0
            assert c.decompose("run, then wave") == ["run", "wave"]
            pos[0, 0, 0] = float("nan")
            with pytest.raises(BadMotion):  # still rejected by the front end, before Ray
                c.ground(pos, names, parents, 30.0, prompt="walk")
    finally:
        assert srv.stop(timeout=120) == 0
    assert "Ray Serve deployment 'moground' running" in srv.log()
