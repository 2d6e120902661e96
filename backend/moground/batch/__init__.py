"""Batch segmentation of many .blend files (or mocap takes) with one backend.

The driver (``driver``, ``discover``, ``report``, ``flamenco``) runs in the normal
venv; what runs inside Blender for each file lives in ``moground.blender`` (``job``,
``mocap_import``, ``stamp``). ``safe_save`` is plain Python, used by both.
"""
