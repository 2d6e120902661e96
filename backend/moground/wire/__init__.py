"""What the Blender add-on vendors, laid out as in its zip (``build_addon.py`` copies this
folder as ``wire/``): the request protocol and its limits, the client, the coded
errors, the request options, the method names, and the Blender-side modules in
``wire/blender/``. Nothing here imports torch or anything outside this folder."""
