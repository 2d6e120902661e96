"""Errors with stable codes, shared by the CLI, the server and the wire protocol.

Kept free of torch and bpy so that the protocol module and the Blender add-on can
import it.
"""

from __future__ import annotations


class MoGroundError(Exception):
    """Base error: ``code`` is stable and travels over the wire unchanged."""

    code = "internal"

    def __init__(self, message: str, *, details: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class BadRequest(MoGroundError):
    code = "bad_request"


class BadPrompt(MoGroundError):
    code = "bad_prompt"


class BadMotion(MoGroundError):
    code = "bad_motion"


class UnreadableFile(MoGroundError):
    code = "unreadable_file"


class UnmappableRig(MoGroundError):
    """The rig lacks joints that cannot be filled; ``details['missing']`` names them."""

    code = "unmappable_rig"


class NotWritable(MoGroundError):
    """A file the batch would replace is read-only, or its folder refuses writes."""

    code = "not_writable"


class TooLarge(MoGroundError):
    code = "too_large"


class Busy(MoGroundError):
    code = "busy"


class Timeout(MoGroundError):
    code = "timeout"


class EncoderError(MoGroundError):
    code = "encoder_error"


class IndexMismatch(MoGroundError):
    """A library index built with other encoder weights than the ones loaded."""

    code = "index_mismatch"


class UnknownIndex(MoGroundError):
    """A search names an index the server was not started with (or none exists there)."""

    code = "unknown_index"


ERROR_CODES: tuple[str, ...] = (
    "bad_request",
    "bad_prompt",
    "bad_motion",
    "unreadable_file",
    "not_writable",
    "unmappable_rig",
    "too_large",
    "busy",
    "timeout",
    "encoder_error",
    "index_mismatch",
    "unknown_index",
    "unsupported_protocol",
    "unknown_kind",
    "internal",
)
