"""MoGround: zero-shot open-vocabulary motion grounding for Blender."""

__version__ = "0.1.0"
