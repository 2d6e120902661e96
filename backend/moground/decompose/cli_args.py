"""Command-line flags for the LLM decomposer, shared by ``decompose``, ``ground``
and ``serve`` so that every command configures the model the same way.

Flags override the MOGROUND_LLM_* environment variables; prefer the environment for
the API key, since command lines are visible to other users of the machine.
"""

from __future__ import annotations

import argparse

from .llm import APIS, LLMConfig


def add_llm_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "LLM decomposition",
        "optional; without a URL (flag or MOGROUND_LLM_URL) the offline rules are used",
    )
    group.add_argument("--llm-url", metavar="URL", help="server base URL or full endpoint [MOGROUND_LLM_URL]")
    group.add_argument("--llm-model", metavar="NAME", help="model name [MOGROUND_LLM_MODEL]")
    group.add_argument("--llm-api-key", metavar="KEY", help="bearer token [MOGROUND_LLM_API_KEY]")
    group.add_argument("--llm-api", choices=APIS, help="wire format; default: guess from the URL [MOGROUND_LLM_API]")
    group.add_argument("--llm-timeout", type=float, metavar="S", help="seconds per request (default 30) [MOGROUND_LLM_TIMEOUT]")
    group.add_argument("--no-llm", action="store_true", help="ignore MOGROUND_LLM_* and use the rules")


def llm_config_from_args(args: argparse.Namespace) -> LLMConfig | None:
    """The LLM config the flags and environment describe, or None for rules only."""
    if getattr(args, "no_llm", False):
        return None
    return LLMConfig.from_env(
        url=getattr(args, "llm_url", None),
        model=getattr(args, "llm_model", None),
        api_key=getattr(args, "llm_api_key", None),
        api=getattr(args, "llm_api", None),
        timeout_s=getattr(args, "llm_timeout", None),
    )
