"""Add-on preferences: where the backend is, how long to wait, keys, defaults."""

from __future__ import annotations

import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, StringProperty

from .wire.methods import DEFAULT_METHOD, METHODS
from .wire.protocol import DEFAULT_ADDRESS

# How each method reads in the UI; the list itself is the backend's (wire.methods).
_LABELS = {
    "zomg": ("ZOMG", "Optimise soft masks against the sub-action phrases (best quality)"),
    "fused": ("Fused", "Text and motion change decoded together: ZOMG's starting point, faster"),
    "window": ("Sliding windows", "Score windows of several lengths with the same encoder (baseline)"),
    "changepoint": ("Change points", "Text-free change points, labelled in prompt order (baseline)"),
    "uniform": ("Uniform", "Equal parts in prompt order (baseline)"),
}
# Scenes store a method by its position here: the first four keep the numbers older
# files stored, methods added later come after them.
_STORED_ORDER = ("zomg", "window", "changepoint", "uniform")
METHOD_ITEMS = [
    (m, *_LABELS.get(m, (m.title(), f"The backend's {m!r} method")))
    for m in sorted(METHODS, key=lambda m: (_STORED_ORDER.index(m) if m in _STORED_ORDER else len(_STORED_ORDER),
                                           METHODS.index(m)))
]


class MoGroundPreferences(bpy.types.AddonPreferences):
    bl_idname = __package__

    address: StringProperty(
        name="Backend address",
        description=f"ZeroMQ address of `moground serve`, e.g. {DEFAULT_ADDRESS}",
        default=DEFAULT_ADDRESS,
    )
    timeout_s: FloatProperty(
        name="Timeout (s)",
        description="Longest wait for one grounding request before giving up",
        default=120.0, min=1.0, max=3600.0,
    )
    curve_server_key: StringProperty(
        name="Server public key",
        description="CURVE public key of the backend (Z85 text or a .key file); empty for localhost",
        default="", subtype="FILE_PATH",
    )
    curve_client_keys: StringProperty(
        name="Client key pair",
        description="This machine's CURVE .key_secret file, when the backend authorises clients",
        default="", subtype="FILE_PATH",
    )
    default_method: EnumProperty(name="Default method", items=METHOD_ITEMS, default=DEFAULT_METHOD)
    start_local: BoolProperty(
        name="Start a local backend",
        description="When no backend answers, run `moground serve` on a free loopback port",
        default=False,
    )
    backend_command: StringProperty(
        name="moground command",
        description="Path of the `moground` executable (from the MoGround Python environment)",
        default="moground", subtype="FILE_PATH",
    )
    startup_wait_s: FloatProperty(
        name="Startup wait (s)",
        description="How long a local backend may take to load its models",
        default=60.0, min=1.0, max=600.0,
    )

    def draw(self, context) -> None:
        layout = self.layout
        col = layout.column()
        col.prop(self, "address")
        col.prop(self, "timeout_s")
        col.prop(self, "default_method")
        box = layout.box()
        box.label(text="Encryption (only needed beyond localhost)")
        box.prop(self, "curve_server_key")
        box.prop(self, "curve_client_keys")
        box = layout.box()
        box.prop(self, "start_local")
        sub = box.column()
        sub.active = self.start_local
        sub.prop(self, "backend_command")
        sub.prop(self, "startup_wait_s")


def get_preferences(context=None):
    """The add-on's preferences (None while the add-on is not registered)."""
    context = context or bpy.context
    addon = context.preferences.addons.get(__package__)
    return addon.preferences if addon is not None else None


def register() -> None:
    bpy.utils.register_class(MoGroundPreferences)


def unregister() -> None:
    bpy.utils.unregister_class(MoGroundPreferences)
