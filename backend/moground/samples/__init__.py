"""Sample clips: the procedural walk/jump/wave (made here, for tests) and one real CMU
take with its human boundaries (free for all uses; see real_take.py)."""
