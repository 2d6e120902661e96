"""Prompt decomposition by a language model behind an HTTP API.

Speaks two wire formats with ``requests``: OpenAI-compatible ``POST /v1/chat/completions``
(OpenAI, vLLM, llama.cpp server, LM Studio, ...) and Ollama's ``POST /api/chat``.
A model may split long, free-form prompts better than rules, but it may also invent
actions; so its answer is accepted only as strict JSON whose every phrase is made of
the prompt's own words (inflections allowed). Anything else raises LLMFailure, and the
caller falls back to the rules.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import zlib
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import urlsplit

import requests

from ..wire.errors import BadRequest
from ..wire.limits import LIMITS
from ..wire.prompt.words import STOPWORDS, stem
from ..wire.prompt.rules import MAX_SUB_ACTIONS, normalize_phrase

log = logging.getLogger(__name__)

APIS = ("openai", "ollama")
MAX_PHRASE_CHARS = 200
MAX_RESPONSE_CHARS = 20000
MAX_REPLY_BYTES = LIMITS["llm_max_reply_bytes"]  # body as received and after decompression
MAX_TIMEOUT_S = LIMITS["llm_max_s"]

SYSTEM_PROMPT = (
    "You split a description of a human body motion into the ordered list of "
    "sub-actions it contains, in the order they happen in time. Rules: use only words "
    "from the description (you may change verb forms, e.g. 'walks' -> 'walk'); never "
    "add an action that is not described; keep qualifiers with their action (how many "
    "times, which limb, direction, speed); keep actions that happen at the same time "
    "(while, as, at the same time) in one sub-action; put 'X after Y' in time order "
    "(Y first); drop the subject ('a person', 'he'). Answer with JSON only, exactly "
    '{"sub_actions": ["...", "..."]}, and nothing else.'
)


class LLMFailure(Exception):
    """The model could not be reached or its answer was not acceptable."""


@dataclass(frozen=True)
class LLMConfig:
    """Where and how to ask a model. ``api`` None means: guess from the URL
    (a path with /api/ or port 11434 means Ollama, anything else OpenAI-compatible)."""

    url: str
    model: str = ""
    api_key: str | None = None
    api: str | None = None
    timeout_s: float = 30.0
    retries: int = 2
    backoff_s: float = 0.5

    def __post_init__(self) -> None:
        if not self.url or not urlsplit(self.url).scheme.startswith("http"):
            raise BadRequest(f"LLM URL must start with http:// or https://, got {self.url!r}")
        if self.api is not None and self.api not in APIS:
            raise BadRequest(f"LLM API must be one of {', '.join(APIS)}, got {self.api!r}")
        if not 0 < self.timeout_s <= MAX_TIMEOUT_S:
            raise BadRequest(f"LLM timeout must be a number of seconds in (0, {MAX_TIMEOUT_S}], got {self.timeout_s}")
        if self.retries < 0:
            raise BadRequest(f"LLM retries must be >= 0, got {self.retries}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> "LLMConfig | None":
        """Config from MOGROUND_LLM_URL / _MODEL / _API_KEY / _API / _TIMEOUT, with
        non-None ``overrides`` taking precedence; None when no URL is set anywhere."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {
            "url": env.get("MOGROUND_LLM_URL") or None,
            "model": env.get("MOGROUND_LLM_MODEL") or None,
            "api_key": env.get("MOGROUND_LLM_API_KEY") or None,
            "api": (env.get("MOGROUND_LLM_API") or "").lower() or None,
            "timeout_s": _env_float(env, "MOGROUND_LLM_TIMEOUT"),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        if not values["url"]:
            return None
        return cls(**{k: v for k, v in values.items() if v is not None})

    @property
    def resolved_api(self) -> str:
        if self.api:
            return self.api
        parts = urlsplit(self.url)
        return "ollama" if "/api/" in parts.path + "/" or parts.port == 11434 else "openai"

    @property
    def endpoint(self) -> str:
        """The full request URL; a base URL gets the API's path appended."""
        base = self.url.rstrip("/")
        if self.resolved_api == "ollama":
            return base if base.endswith("/api/chat") else re.sub(r"/api$", "", base) + "/api/chat"
        if base.endswith("/chat/completions"):
            return base
        return base + ("/chat/completions" if base.endswith("/v1") else "/v1/chat/completions")


def _env_float(env: Mapping[str, str], name: str) -> float | None:
    raw = env.get(name)
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a number of seconds, got {raw!r}") from None


def llm_split(prompt: str, config: LLMConfig, session: requests.Session | None = None) -> list[str]:
    """Phrases from the model, validated and normalised; raises LLMFailure."""
    content = _request(prompt, config, session or requests.Session())
    return validate_answer(content, prompt)


def validate_answer(content: str, prompt: str) -> list[str]:
    """Parse the model's text and check it against the prompt; raises LLMFailure."""
    text = content.strip()
    fenced = re.match(r"^```(?:json)?\s*(.*?)\s*```$", text, re.DOTALL | re.IGNORECASE)
    if fenced:
        text = fenced.group(1)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LLMFailure(f"answer is not JSON ({exc.msg}): {content[:80]!r}") from None
    items = data.get("sub_actions") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise LLMFailure('answer lacks a "sub_actions" list')
    if not 1 <= len(items) <= MAX_SUB_ACTIONS:
        raise LLMFailure(f"answer has {len(items)} sub-actions; expected 1 to {MAX_SUB_ACTIONS}")
    prompt_stems = {stem(w) for w in _words(prompt)}
    phrases: list[str] = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise LLMFailure(f"sub-action {item!r} is not a non-empty string")
        if len(item) > MAX_PHRASE_CHARS:
            raise LLMFailure(f"sub-action is longer than {MAX_PHRASE_CHARS} characters")
        invented = [w for w in _words(item) if w not in STOPWORDS and stem(w) not in prompt_stems]
        if invented:
            raise LLMFailure(f"sub-action {item!r} uses words not in the prompt: {', '.join(invented)}")
        phrase = normalize_phrase(item)
        if not phrase:
            raise LLMFailure(f"sub-action {item!r} names no action")
        phrases.append(phrase)
    return phrases


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _request(prompt: str, config: LLMConfig, session: requests.Session) -> str:
    """POST with bounded retries on connection errors, HTTP 429 and 5xx, all within one
    total deadline of ``timeout_s`` (connect, waiting, every retry and the whole body).
    A read timeout is not retried: a model too slow once is too slow again, and the user
    should wait at most about one timeout before the rules take over."""
    api = config.resolved_api
    messages = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": prompt}]
    body: dict[str, Any] = {"messages": messages}
    if api == "ollama":
        if not config.model:
            raise LLMFailure("no model set for Ollama (--llm-model or MOGROUND_LLM_MODEL)")
        body.update(model=config.model, stream=False, format="json", options={"temperature": 0})
    else:
        body.update(temperature=0, stream=False)
        if config.model:
            body["model"] = config.model
    headers = {"Content-Type": "application/json", "Accept-Encoding": "gzip, deflate"}
    if config.api_key:
        headers["Authorization"] = f"Bearer {config.api_key}"

    deadline = time.monotonic() + config.timeout_s
    too_slow = f"no complete answer from {config.endpoint} within {config.timeout_s:g} s"
    last = "no attempt made"
    for attempt in range(config.retries + 1):
        if attempt:
            pause = config.backoff_s * 2 ** (attempt - 1)
            if time.monotonic() + pause >= deadline:
                break
            time.sleep(pause)
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            reply = session.post(config.endpoint, json=body, headers=headers, timeout=(left, left), stream=True)
        except requests.ReadTimeout:
            raise LLMFailure(too_slow) from None
        except requests.RequestException as exc:
            last = f"cannot reach {config.endpoint}: {type(exc).__name__}"
            log.debug("LLM attempt %d failed: %s", attempt + 1, exc)
            continue
        with reply:
            if reply.status_code == 429 or reply.status_code >= 500:
                last = f"{config.endpoint} answered HTTP {reply.status_code}"
                log.debug("LLM attempt %d failed: %s", attempt + 1, last)
                continue
            raw = _read_body(reply, deadline, too_slow)
            if reply.status_code != 200:
                raise LLMFailure(f"{config.endpoint} answered HTTP {reply.status_code}: "
                                 f"{raw[:120].decode('utf-8', 'replace')!r}")
            return _content(raw, api)
    if time.monotonic() >= deadline:
        raise LLMFailure(f"{too_slow} ({last})")
    raise LLMFailure(f"{last} (after {config.retries + 1} attempts)")


def _read_body(reply: requests.Response, deadline: float, too_slow: str) -> bytes:
    """The body, streamed: at most MAX_REPLY_BYTES as received and as decompressed, and
    done by ``deadline`` (each socket read waits only for the time left), so neither a
    server dripping bytes nor a small gzip that inflates to gigabytes can hold us."""
    declared = reply.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_REPLY_BYTES:
        raise LLMFailure(f"answer is too large ({int(declared):,} bytes; the limit is {MAX_REPLY_BYTES:,})")
    encoding = reply.headers.get("Content-Encoding", "").strip().lower()
    if encoding in ("", "identity"):
        inflate = None
    elif encoding in ("gzip", "x-gzip", "deflate"):
        inflate = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib, by header
    else:
        raise LLMFailure(f"answer uses an unsupported Content-Encoding {encoding!r}")
    sock = _socket_of(reply)
    received, out = 0, bytearray()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise LLMFailure(too_slow)
        if sock is not None:
            sock.settimeout(left)
        try:
            chunk = reply.raw.read1(64 * 1024, decode_content=False)
        except (requests.RequestException, OSError, ValueError) as exc:
            if time.monotonic() >= deadline or "timed out" in str(exc).lower():
                raise LLMFailure(too_slow) from None
            raise LLMFailure(f"the answer broke off: {type(exc).__name__}") from None
        except Exception as exc:  # urllib3's ProtocolError / ReadTimeoutError and friends
            if time.monotonic() >= deadline or "timed out" in str(exc).lower():
                raise LLMFailure(too_slow) from None
            raise LLMFailure(f"the answer broke off: {type(exc).__name__}") from None
        if not chunk:
            break
        received += len(chunk)
        if received > MAX_REPLY_BYTES:
            raise LLMFailure(f"answer is too large (over {MAX_REPLY_BYTES:,} bytes)")
        if inflate is None:
            out += chunk
        else:
            try:
                out += inflate.decompress(chunk, MAX_REPLY_BYTES + 1 - len(out))
            except zlib.error:
                raise LLMFailure(f"answer is not valid {encoding} data") from None
            if inflate.unconsumed_tail:
                raise LLMFailure(f"answer is too large (over {MAX_REPLY_BYTES:,} bytes decompressed)")
        if len(out) > MAX_REPLY_BYTES:
            raise LLMFailure(f"answer is too large (over {MAX_REPLY_BYTES:,} bytes decompressed)")
    return bytes(out)


def _socket_of(reply: requests.Response) -> Any:
    """The TCP socket under a streamed response, to bound each read by the time left
    (None where the transport hides it; reads are then bounded by the request timeout)."""
    conn = getattr(reply.raw, "_connection", None) or getattr(reply.raw, "connection", None)
    sock = getattr(conn, "sock", None)
    return sock if hasattr(sock, "settimeout") else None


def _content(raw: bytes, api: str) -> str:
    try:
        data = json.loads(raw.decode("utf-8"))
        if api == "ollama":
            content = data["message"]["content"]
        else:
            content = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError, RecursionError):
        raise LLMFailure(f"unexpected {api} response shape: {raw[:120].decode('utf-8', 'replace')!r}") from None
    if not isinstance(content, str):
        raise LLMFailure(f"{api} response content is not text")
    return content[:MAX_RESPONSE_CHARS]
