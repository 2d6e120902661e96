"""Ray Serve execution backend (``moground serve --ray``, extra ``farm``).

The ZeroMQ front end stays exactly the same (validation, queue, deadlines, logs); only
the workers change: each broker slot is a thread that forwards the already validated
request frames to a Ray Serve deployment of the grounding engine, so a studio can
spread requests over the GPU nodes of a Ray cluster. Ray is imported only here, only
when ``--ray`` is given.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, Sequence

import zmq

from ..wire.errors import MoGroundError
from ..wire.protocol import make_error_reply, peek_request_id
from .broker import ServerConfig
from .runners import ThreadRunner

log = logging.getLogger("moground.server")

APP_NAME = "moground"


def _import_ray():
    try:
        import ray
        from ray import serve
    except ImportError:
        raise MoGroundError("--ray needs Ray Serve: pip install 'moground[farm]' (ray[serve])") from None
    return ray, serve


class EngineDeployment:
    """One Ray Serve replica: loads the engine once, answers whole requests as frames."""

    def __init__(self, factory: str, factory_kwargs: dict) -> None:
        from .engines import resolve_factory
        from .handler import RequestHandler

        engine = resolve_factory(factory)(**factory_kwargs)
        self._info = {**(engine.info() if hasattr(engine, "info") else {}), "pid": os.getpid()}
        self._handle = RequestHandler(engine).handle

    def handle(self, frames: list[bytes]) -> list[bytes]:
        return self._handle(frames)

    def info(self) -> dict:
        return self._info


class RayRunnerFactory:
    """Starts (or joins) Ray, deploys the engine with ``workers`` replicas, and makes
    broker slots that forward to it. ``close`` tears the deployment down."""

    def __init__(self, cfg: ServerConfig) -> None:
        ray, serve = _import_ray()
        self._ray, self._serve = ray, serve
        self._started_ray = not ray.is_initialized()
        if self._started_ray:
            runtime_env = None
            if cfg.ray_address is None:  # local Ray: replicas import factories as this process does
                runtime_env = {"env_vars": {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}}
            ray.init(address=cfg.ray_address, runtime_env=runtime_env, include_dashboard=False,
                     log_to_driver=False, configure_logging=False)
        gpus = 1 if cfg.device.startswith("cuda") else 0
        deployment = serve.deployment(
            EngineDeployment, name="MoGroundEngine", num_replicas=max(1, cfg.workers),
            max_ongoing_requests=1, ray_actor_options={"num_gpus": gpus, "num_cpus": 1},
        )
        self.timeout_s = cfg.deadline_s + cfg.kill_grace_s
        serve.run(deployment.bind(cfg.engine_factory, cfg.factory_kwargs()), name=APP_NAME, route_prefix=None)
        log.info("Ray Serve deployment %r running with %d replicas", APP_NAME, max(1, cfg.workers))

    def _setup(self):
        handle = self._serve.get_app_handle(APP_NAME)
        info = handle.info.remote().result(timeout_s=self.timeout_s)

        def forward(frames: Sequence[Any]) -> list[bytes]:
            raw = [bytes(getattr(f, "bytes", f)) for f in frames]
            try:
                return list(handle.handle.remote(raw).result(timeout_s=self.timeout_s))
            except Exception as exc:  # noqa: BLE001 - a lost replica becomes a coded reply
                log.error("Ray replica failed: %s", exc)
                return make_error_reply(peek_request_id(raw), "internal",
                                        f"the Ray replica failed ({type(exc).__name__}); retry the request")

        return forward, info

    def __call__(self, ctx: zmq.Context, endpoint: str, worker_id: str) -> ThreadRunner:
        return ThreadRunner(ctx, endpoint, worker_id, self._setup)

    def close(self) -> None:
        try:
            self._serve.delete(APP_NAME)
        except Exception as exc:  # noqa: BLE001 - best effort on the way out
            log.warning("could not delete the Ray Serve app: %s", exc)
        if self._started_ray:
            self._ray.shutdown()


def ray_runner_factory(cfg: ServerConfig) -> RayRunnerFactory:
    return RayRunnerFactory(cfg)
