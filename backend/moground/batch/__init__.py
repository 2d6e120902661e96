"""Batch segmentation of many .blend files (or mocap takes) with one backend.

Split in small modules so that the parts that run inside Blender's own Python
(``job``, ``stamp``, ``safe_save``, ``addon_loader``, ``mocap_import``) import
nothing beyond bpy, numpy, pyzmq and the torch-free parts of moground, while the
driver (``runner``, ``local_backend``, ``report``) runs in the normal venv.
"""
