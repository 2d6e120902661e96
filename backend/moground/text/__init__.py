"""Text helpers: the action lexicon that expands prompt phrases."""
