"""Faults and security: a worker killed mid-request, a server restart, CURVE keys."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from moground.wire.client import BackendUnavailable, Client
from moground.wire.errors import MoGroundError
from moground.server.security import create_keys
from server_helpers import ServerProcess, free_port, sleepy_prompt, walk_clip


def test_worker_killed_mid_request(tmp_path):
    srv = ServerProcess(tmp_path / "s.log", "--workers", "1")
    try:
        pos, names, parents = walk_clip()
        out: dict[str, object] = {}

        def call() -> None:
            t0 = time.monotonic()
            with Client(srv.address, timeout_s=8, retries=0) as c:
                try:
                    out["r"] = c.ground(pos, names, parents, 30.0, prompt=sleepy_prompt("walk", 5.0))
                except MoGroundError as exc:
                    out["r"] = exc
            out["s"] = time.monotonic() - t0

        t = threading.Thread(target=call)
        t.start()
        with Client(srv.address, timeout_s=2) as c:
            deadline = time.monotonic() + 5
            while not (workers := c.health()["workers"])[0]["busy"] and time.monotonic() < deadline:
                time.sleep(0.05)
            assert workers[0]["busy"]
            os.kill(workers[0]["pid"], signal.SIGKILL)
            t.join(10)
            assert isinstance(out["r"], MoGroundError) and out["r"].code == "internal", out["r"]
            assert "restarted" in out["r"].message and out["s"] < 3.0
            # the next request succeeds on the respawned worker (queued until it is ready)
            r = c.ground(pos, names, parents, 30.0, prompt="walk then jump", timeout_s=30)
            assert r["sub_actions"] == ["walk", "jump"]
            health = c.health()
            assert health["workers"][0]["pid"] != workers[0]["pid"] and health["workers"][0]["id"] == "w0.1"
    finally:
        assert srv.stop() == 0


def test_client_reconnects_after_server_restart(tmp_path):
    first = ServerProcess(tmp_path / "a.log")
    with Client(first.address, timeout_s=2, retries=3) as c:
        pid_a = c.health()["server_pid"]
        assert first.stop() == 0
        with pytest.raises(BackendUnavailable):
            Client(first.address, timeout_s=0.3, retries=0).health()
        second = ServerProcess(tmp_path / "b.log", address=first.address)
        try:
            health = c.health()  # same Client object, same address
            assert health["server_pid"] != pid_a and health["status"] == "ok"
            assert c.decompose("run then jump") == ["run", "jump"]
        finally:
            assert second.stop() == 0


@pytest.fixture(scope="module")
def curve(tmp_path_factory):
    keys = tmp_path_factory.mktemp("keys")
    paths = create_keys(keys)
    # bound to all interfaces: allowed only because CURVE is on; tests connect via loopback
    port = free_port()
    srv = ServerProcess(keys / "server.log", "--curve-keys", str(keys), address=f"tcp://0.0.0.0:{port}",
                        wait_workers=0)
    srv.address = f"tcp://127.0.0.1:{port}"
    srv.wait_ready(curve_server_key=paths["server_public"], curve_client_keys=paths["client_secret"])
    yield srv, paths
    assert srv.stop() == 0


def test_curve_client_with_keys_is_served(curve):
    srv, paths = curve
    with Client(srv.address, timeout_s=3, curve_server_key=paths["server_public"],
                curve_client_keys=paths["client_secret"]) as c:
        assert c.info()["server"]["curve"] is True
        pos, names, parents = walk_clip()
        assert c.ground(pos, names, parents, 30.0, prompt="walk")["sub_actions"] == ["walk"]


@pytest.mark.parametrize("who", ["plain", "unauthorized_keys"])
def test_curve_server_ignores_clients_without_authorized_keys(curve, who):
    srv, paths = curve
    kw = {} if who == "plain" else {"curve_server_key": paths["server_public"]}  # ephemeral, unknown pair
    with Client(srv.address, timeout_s=0.5, retries=1, **kw) as c:
        with pytest.raises(BackendUnavailable):
            c.health()
    if who == "unauthorized_keys":  # a refused key leaves a line in the server's log
        deadline = time.monotonic() + 5
        while "refused a client at" not in srv.log() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "refused a client at" in srv.log()


def test_keys_are_not_overwritten(tmp_path):
    create_keys(tmp_path)
    with pytest.raises(MoGroundError, match="--force"):
        create_keys(tmp_path)
    assert oct(os.stat(tmp_path / "client.key_secret").st_mode & 0o777) == "0o600"


def test_keys_command_creates_a_usable_layout(tmp_path):
    out = subprocess.run([sys.executable, "-m", "moground.cli", "keys", "create", str(tmp_path / "k")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "--curve-keys" in out.stdout
    for name in ("server.key", "server.key_secret", "client.key", "client.key_secret", "authorized_clients/client.key"):
        assert (tmp_path / "k" / name).is_file(), name
