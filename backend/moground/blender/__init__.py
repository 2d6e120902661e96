"""The batch job: what runs inside a headless Blender for each file.

- ``job`` (+ ``job_script``, its Blender entry point), ``mocap_import``, ``stamp``,
  ``blend_file``: segment one file headless, the unit of work of ``moground segment``
  and the farm; ``flamenco/moground_segment.js`` is the Flamenco job type that runs it;
- ``motion_dump`` is the job's read-only mode for ``moground index`` (.blend takes),
  and ``flamenco/moground_index.js`` the job type that indexes a library in shards.

It uses the add-on's Blender modules (``moground.wire.blender``) and the torch-free
rest of the package. Nothing here imports torch.
"""
