"""The add-on's Blender-side modules that are not UI: bpy, numpy, the standard library
and the wire modules only (``..protocol``, ``..client``, ``..errors``), so the add-on
zip (``wire/blender/``) holds them byte for byte and the same relative imports work there.

- ``motion_reader``: an armature's animation → world-space joint positions (fast).
- ``nla_writer``: a grounding result → NLA strips, all or nothing.
- ``local_backend``: start ``moground serve`` on a free loopback port and stop it.
- ``actions``: which actions are playable (the .blend dump and the add-on's Find).
- ``markers``, ``bake``: timeline markers and baked actions of a result.
Nothing here imports torch.
"""
