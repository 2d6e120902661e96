"""LLM decomposition against a real HTTP server on 127.0.0.1 that speaks the
OpenAI chat-completions and Ollama chat wire formats; the model's answers are
scripted per test (the only thing that cannot run here is a real model)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest

from moground.wire.blender.local_backend import free_port
from moground.cli import main
from moground.decompose import LLMConfig, decompose
from moground.decompose.llm import SYSTEM_PROMPT, LLMFailure, validate_answer
from moground.wire.errors import BadPrompt, BadRequest

PROMPT = "a person walks forward, then picks up the box and turns left"
RULES = ["walk forward", "pick up the box", "turn left"]


class FakeModelServer(ThreadingHTTPServer):
    """Answers each request with the next scripted (status, content, delay_s)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script: list[tuple[int, str, float]] = []
        self.requests: list[dict] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeModelServer

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
        status, content, delay = self.server.script.pop(0) if self.server.script else (500, "", 0.0)
        time.sleep(delay)
        if self.path == "/v1/chat/completions":
            payload = {
                "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": body.get("model", ""),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
            }
        elif self.path == "/api/chat":
            payload = {
                "model": body.get("model", ""), "created_at": "2024-01-01T00:00:00Z",
                "message": {"role": "assistant", "content": content}, "done": True, "done_reason": "stop",
            }
        else:
            status, payload = 404, {"error": "not found"}
        if status != 200:
            payload = {"error": {"message": "scripted failure"}}
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)


@pytest.fixture
def server() -> Iterator[FakeModelServer]:
    srv = FakeModelServer()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def answer(*phrases: str) -> str:
    return json.dumps({"sub_actions": list(phrases)})


def config(server: FakeModelServer, **kw: object) -> LLMConfig:
    kw.setdefault("model", "test-model")
    kw.setdefault("timeout_s", 5.0)
    kw.setdefault("backoff_s", 0.01)
    return LLMConfig(url=server.url, **kw)  # type: ignore[arg-type]


def test_openai_good_answer(server: FakeModelServer) -> None:
    server.script = [(200, answer("walks forward", "picking up the box", "turn left"), 0.0)]
    result = decompose(PROMPT, config(server, api_key="sk-test"))
    assert result.source == "llm" and result.warnings == []
    assert result.phrases == ["walk forward", "pick up the box", "turn left"]
    (req,) = server.requests
    assert req["path"] == "/v1/chat/completions"
    assert req["headers"]["Authorization"] == "Bearer sk-test"
    assert req["body"]["model"] == "test-model"
    assert req["body"]["messages"] == [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": PROMPT},
    ]


def test_ollama_good_answer_auto_detected(server: FakeModelServer) -> None:
    server.script = [(200, answer("wave with the left hand", "jump twice"), 0.0)]
    cfg = LLMConfig(url=server.url + "/api/chat", model="llama3")
    result = decompose("jump twice after waving with the left hand", cfg)
    # the LLM's phrases get the same repetition shorthand as the rules'
    assert (result.source, result.phrases) == ("llm", ["wave with the left hand", "jump", "jump"])
    assert result.warnings == [] and "expanded 'jump twice'" in result.notes[0]
    (req,) = server.requests
    assert req["path"] == "/api/chat"
    assert req["body"]["stream"] is False and req["body"]["format"] == "json"
    assert req["body"]["model"] == "llama3"
    assert "Authorization" not in req["headers"]


def test_explicit_ollama_api_on_base_url(server: FakeModelServer) -> None:
    server.script = [(200, answer("walk"), 0.0)]
    assert decompose("a person walks", config(server, api="ollama")).source == "llm"
    assert server.requests[0]["path"] == "/api/chat"


def test_fenced_json_is_accepted(server: FakeModelServer) -> None:
    server.script = [(200, "```json\n" + answer("walk forward", "turn left") + "\n```", 0.0)]
    result = decompose("walk forward and turn left", config(server))
    assert (result.source, result.phrases) == ("llm", ["walk forward", "turn left"])


def test_invented_action_falls_back_to_rules(server: FakeModelServer) -> None:
    server.script = [(200, answer("walk forward", "do a backflip", "turn left"), 0.0)]
    result = decompose(PROMPT, config(server))
    assert (result.source, result.phrases) == ("rules", RULES)
    assert len(result.warnings) == 1 and "backflip" in result.warnings[0]
    assert len(server.requests) == 1  # a bad answer is not retried


def test_malformed_json_falls_back(server: FakeModelServer) -> None:
    server.script = [(200, '{"sub_actions": ["walk forward", ', 0.0)]
    result = decompose(PROMPT, config(server))
    assert result.source == "rules" and result.phrases == RULES
    assert "not JSON" in result.warnings[0]


@pytest.mark.parametrize(
    "content",
    [json.dumps(["walk"]), json.dumps({"sub_actions": []}), json.dumps({"sub_actions": ["walk", ""]}),
     json.dumps({"sub_actions": ["walk", 3]}), json.dumps({"steps": ["walk"]})],
)
def test_wrong_shapes_are_rejected(content: str) -> None:
    with pytest.raises(LLMFailure):
        validate_answer(content, "walk and turn")


def test_http_500_then_success_retries(server: FakeModelServer) -> None:
    server.script = [(500, "", 0.0), (200, answer("walk forward", "turn left"), 0.0)]
    result = decompose("walk forward and turn left", config(server, retries=2))
    assert result.source == "llm"
    assert len(server.requests) == 2


def test_http_500_forever_gives_up_after_retries(server: FakeModelServer) -> None:
    server.script = [(503, "", 0.0)] * 5
    result = decompose("walk forward and turn left", config(server, retries=2))
    assert result.source == "rules" and "HTTP 503" in result.warnings[0] and "3 attempts" in result.warnings[0]
    assert len(server.requests) == 3


def test_client_error_is_not_retried(server: FakeModelServer) -> None:
    server.script = [(401, "", 0.0), (200, answer("walk"), 0.0)]
    result = decompose("a person walks", config(server, retries=2))
    assert result.source == "rules" and "HTTP 401" in result.warnings[0]
    assert len(server.requests) == 1


def test_slow_server_times_out_and_falls_back(server: FakeModelServer) -> None:
    server.script = [(200, answer("walk"), 1.5)]
    start = time.monotonic()
    result = decompose("he walks, then jumps", config(server, timeout_s=0.2, retries=2))
    elapsed = time.monotonic() - start
    assert (result.source, result.phrases) == ("rules", ["walk", "jump"])
    assert "within 0.2 s" in result.warnings[0]
    assert elapsed < 1.0 and len(server.requests) == 1


def test_unreachable_server_falls_back() -> None:
    port = free_port()  # a port that nobody listens on
    result = decompose("a person walks", LLMConfig(url=f"http://127.0.0.1:{port}", retries=1, backoff_s=0.01))
    assert result.source == "rules" and "cannot reach" in result.warnings[0]


def test_bad_prompt_is_not_sent(server: FakeModelServer) -> None:
    with pytest.raises(BadPrompt):
        decompose("   ", config(server))
    assert server.requests == []


def test_inflections_are_grounded_but_new_words_are_not() -> None:
    assert validate_answer(answer("walking", "waved", "ran twice"), "he walks, waves and runs two times") == [
        "walk", "wave", "run twice"]
    with pytest.raises(LLMFailure, match="sprint"):
        validate_answer(answer("sprint"), "he runs")


def test_config_from_env_and_overrides() -> None:
    env = {"MOGROUND_LLM_URL": "http://localhost:11434", "MOGROUND_LLM_MODEL": "llama3",
           "MOGROUND_LLM_API_KEY": "k", "MOGROUND_LLM_TIMEOUT": "7"}
    cfg = LLMConfig.from_env(env)
    assert cfg is not None
    assert (cfg.model, cfg.api_key, cfg.timeout_s, cfg.resolved_api) == ("llama3", "k", 7.0, "ollama")
    assert cfg.endpoint == "http://localhost:11434/api/chat"
    over = LLMConfig.from_env(env, url="http://h:8000/v1", api=None, model="m")
    assert over is not None and (over.model, over.resolved_api, over.endpoint) == (
        "m", "openai", "http://h:8000/v1/chat/completions")
    assert LLMConfig.from_env({}) is None
    with pytest.raises(BadRequest):
        LLMConfig.from_env({"MOGROUND_LLM_URL": "http://h", "MOGROUND_LLM_API": "gemini"})
    with pytest.raises(BadRequest):
        LLMConfig.from_env({"MOGROUND_LLM_URL": "http://h", "MOGROUND_LLM_TIMEOUT": "soon"})


def test_cli_json_with_llm(server: FakeModelServer, capsys: pytest.CaptureFixture[str],
                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOGROUND_LLM_URL", raising=False)
    server.script = [(200, answer("walk forward", "pick up the box", "turn left"), 0.0)]
    rc = main(["decompose", "--prompt", PROMPT, "--json", "--llm-url", server.url,
               "--llm-model", "m", "--llm-api-key", "secret", "--llm-timeout", "5"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert {k: out[k] for k in ("sub_actions", "source", "warnings", "notes")} == {
        "sub_actions": RULES, "source": "llm", "warnings": [], "notes": []}
    assert [PROMPT[s:e] for s, e in out["spans"]][0].lower().startswith("walk")
    assert server.requests[0]["headers"]["Authorization"] == "Bearer secret"


def test_cli_table_and_fallback_warning(server: FakeModelServer, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOGROUND_LLM_URL", server.url)
    monkeypatch.setenv("MOGROUND_LLM_API", "openai")
    server.script = [(200, "no json here", 0.0)]
    assert main(["decompose", "--prompt", PROMPT]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines() == ["1. walk forward     chars 9-22, from 'walks forward'",
                                         "2. pick up the box  chars 29-45, from 'picks up the box'",
                                         "3. turn left        chars 50-60, from 'turns left'"]
    assert "warning: LLM decomposition failed" in captured.err
    assert main(["decompose", "--prompt", PROMPT, "--no-llm", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["source"] == "rules"
    assert len(server.requests) == 1


def test_cli_empty_prompt_is_clean_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["decompose", "--prompt", " ", "--no-llm"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("moground: error [bad_prompt]") and "Traceback" not in err


# --------------------------------------------------------------------------- hostile model servers


class _HostileHandler(BaseHTTPRequestHandler):
    """Speaks the OpenAI chat-completions API, but badly: ``server.mode`` picks how."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        mode = self.server.mode  # type: ignore[attr-defined]
        good = json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": answer("walk")}}]})
        try:
            if mode == "drip":  # a valid answer, one byte every 0.1 s
                data = good.encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                for b in data:
                    self.wfile.write(bytes([b]))
                    self.wfile.flush()
                    time.sleep(0.1)
            elif mode in ("gzip_bomb", "deflate_bomb"):  # 64 MB of JSON whitespace, ~64 KB on the wire
                data = self.server.bomb  # type: ignore[attr-defined]  (built before memory is traced)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Encoding", "gzip" if mode == "gzip_bomb" else "deflate")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            elif mode == "huge_chunked":  # 32 MB with no Content-Length (chunked)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                block = b" " * (1 << 20)
                head = b"%x\r\n" % len(block)
                for _ in range(32):
                    self.wfile.write(head)
                    self.wfile.write(block)
                    self.wfile.write(b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture
def hostile() -> Iterator[ThreadingHTTPServer]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _HostileHandler)
    srv.daemon_threads = True
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def test_a_dripping_server_is_cut_off_at_the_total_deadline(hostile) -> None:
    """Each byte arrives well within the timeout; the whole answer would take ~10 s."""
    hostile.mode = "drip"
    start = time.monotonic()
    result = decompose("he walks, then jumps", LLMConfig(url=f"http://127.0.0.1:{hostile.server_port}",
                                                    timeout_s=1.0, retries=2, backoff_s=0.01))
    elapsed = time.monotonic() - start
    assert (result.source, result.phrases) == ("rules", ["walk", "jump"])
    assert "within 1 s" in result.warnings[0]
    assert elapsed < 1.6, elapsed


@pytest.mark.parametrize("mode", ["gzip_bomb", "deflate_bomb", "huge_chunked"])
def test_huge_or_inflating_answers_are_capped_while_streaming(hostile, mode) -> None:
    import tracemalloc

    hostile.mode = mode
    if mode.endswith("bomb"):
        import gzip
        import zlib

        plain = b'{"choices": [{"message": {"content": "walk"}}]' + b" " * (64 << 20) + b"}"
        hostile.bomb = gzip.compress(plain, 6) if mode == "gzip_bomb" else zlib.compress(plain, 6)
        del plain
    tracemalloc.start()
    try:
        result = decompose("he walks, then jumps", LLMConfig(url=f"http://127.0.0.1:{hostile.server_port}",
                                                        timeout_s=20.0, retries=0))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.source == "rules" and "too large" in result.warnings[0]
    assert peak < 8 << 20, f"peak {peak / 2**20:.0f} MiB while reading a capped answer"


def test_llm_timeout_must_be_finite_and_bounded() -> None:
    for bad in (float("inf"), float("nan"), 0.0, -1.0, 1e9):
        with pytest.raises(BadRequest, match="LLM timeout"):
            LLMConfig(url="http://127.0.0.1:9", timeout_s=bad)
