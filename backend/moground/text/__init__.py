"""Text helpers: ``actions`` (the action lexicon that expands prompt phrases). Verb forms,
stop words and the stemmer live in ``wire.prompt.words``, beside the prompt rules."""
