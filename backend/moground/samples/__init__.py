"""Samples the project makes itself (no third-party mocap is shipped)."""
