"""Grounding benchmark: evaluation sets from the test split and a runner that scores
every method on the same clips in one run."""
