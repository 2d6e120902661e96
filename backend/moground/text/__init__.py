"""Text helpers: ``words`` (verb forms, stop words, the one stemmer; used by the prompt
decomposers) and ``actions`` (the action lexicon that expands prompt phrases)."""
