"""MoGround: segment the active armature's action into named NLA strips.

Registration uses ``__package__`` only, so the extension works under whatever module
name Blender gives it (``bl_ext.<repo>.moground``). The wire protocol client is
vendored into ``wire/`` by build_addon.py; it is not kept in the source tree.
"""

from __future__ import annotations

from . import backend, find, operators, panels, preferences, prompt_list, properties

_MODULES = (preferences, properties, operators, prompt_list, find, panels)


def register() -> None:
    for module in _MODULES:
        module.register()


def unregister() -> None:
    for module in reversed(_MODULES):
        module.unregister()
    backend.stop_local_backend()
