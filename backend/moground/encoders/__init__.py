"""Motion-text encoders behind one interface (see ``base``)."""

from .base import MotionTextEncoder, available_encoders, load_encoder, register_encoder

__all__ = ["MotionTextEncoder", "available_encoders", "load_encoder", "register_encoder"]
