"""Motion-text encoders behind one interface (see ``base``)."""

from .base import MotionTextEncoder, available_encoders, load_encoder, register_encoder

# The encoders this package ships, imported only when loaded; others register through
# the "moground.encoders" entry-point group or register_encoder().
register_encoder("builtin", "moground.encoders.builtin:load_builtin")
register_encoder("builtin-nc", "moground.encoders.builtin:load_builtin_nc")
register_encoder("tmr", "moground.encoders.tmr.encoder:load_tmr")

__all__ = ["MotionTextEncoder", "available_encoders", "load_encoder", "register_encoder"]
