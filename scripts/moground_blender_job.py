"""Segment one .blend with MoGround from inside Blender (batch runs and farm tasks).

    blender -b take.blend --python-exit-code 1 --python scripts/moground_blender_job.py -- \
        --input take.blend --prompt "walk, then jump" --backend tcp://127.0.0.1:5555

Also runs under a plain Python that has the ``bpy`` module. Blender's bundled
Python does not see the venv, so this bootstrap puts the repository's
``backend/`` folder (or ``--pkg-root DIR``) on ``sys.path`` and the pyzmq that
the installed MoGround extension brings, then hands over to
``moground.batch.job`` — the one implementation of the job.
"""

import sys
from pathlib import Path


def _bootstrap() -> None:
    argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else sys.argv[1:]
    roots = [Path(__file__).resolve().parents[1] / "backend"]
    if "--pkg-root" in argv:
        i = argv.index("--pkg-root")
        roots.insert(0, Path(argv[i + 1]))
        del argv[i:i + 2]
        sys.argv = [sys.argv[0], "--", *argv]
    for root in reversed(roots):
        if (root / "moground").is_dir() and str(root) not in sys.path:
            sys.path.insert(0, str(root))
    try:
        import zmq  # noqa: F401
    except ImportError:  # Blender: use the wheels the MoGround extension installed
        import bpy

        site = Path(bpy.utils.user_resource("EXTENSIONS")) / ".local" / "lib"
        for sp in site.glob("python3*/site-packages"):
            sys.path.append(str(sp))


_bootstrap()

from moground.batch.job import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
