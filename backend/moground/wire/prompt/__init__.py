"""The prompt rules: prompt text → ordered sub-actions, in pure Python.

They live inside ``wire`` because the Blender add-on vendors this folder and previews
the split as the artist types, with the same code the backend grounds with. The LLM
decomposer (``moground.decompose``) stays outside: it needs ``requests``.
"""
