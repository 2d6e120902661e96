"""Code that runs inside Blender's Python and is not UI: the one Blender/backend boundary.

- ``motion_reader``: an armature's animation → world-space joint positions (fast).
- ``nla_writer``: a grounding result → NLA strips, all or nothing.
- ``local_backend``: start ``moground serve`` on a free loopback port and stop it.
- ``job`` (+ ``job_script``, its Blender entry point), ``mocap_import``, ``stamp``:
  segment one file headless, the unit of work of ``moground segment`` and the farm;
  ``flamenco/moground_segment.js`` is the Flamenco job type that runs it;
  ``motion_dump`` is the job's read-only mode for ``moground index`` (.blend takes),
  and ``flamenco/moground_index.js`` the job type that indexes a library in shards.

The add-on's modules (``build_addon.BLENDER_MODULES``) import only bpy, numpy, the standard library
and the wire modules (``..protocol``, ``..client``, ``..errors``); build_addon.py
vendors them byte for byte into the extension zip as ``wire/blender/``, beside the
wire modules, so the same relative imports work there. The batch modules may also
use the torch-free rest of the package. Nothing here imports torch.
"""
