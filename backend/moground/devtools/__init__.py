"""Tools that check the project's own structure (no runtime code depends on them)."""
