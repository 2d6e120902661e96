"""Segment one .blend with MoGround from inside Blender (batch runs and farm tasks).

    blender -b take.blend --python-exit-code 1 --python .../moground/blender/job_script.py -- \
        --input take.blend --prompt "walk, then jump" --backend tcp://127.0.0.1:5757

Ships inside the package, so a normal (non-editable) install runs it too; also runs
under a plain Python that has the ``bpy`` module. Blender's bundled Python does not
see the venv, so this bootstrap registers the ``moground`` package this file belongs
to (or the one under ``--pkg-root DIR``) without putting the venv's site-packages on
``sys.path`` (Blender keeps its own numpy), adds the pyzmq that the installed
MoGround extension brings when Blender has none, and hands over to
``moground.blender.job`` — the one implementation of the job.
"""

import importlib.util
import sys
from pathlib import Path


def _register_package(package_dir: Path) -> None:
    if "moground" in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(
        "moground", package_dir / "__init__.py", submodule_search_locations=[str(package_dir)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["moground"] = module
    spec.loader.exec_module(module)


def _bootstrap() -> None:
    here = Path(__file__).resolve().parent
    if sys.path and Path(sys.path[0] or ".").resolve() == here:  # `python job_script.py`
        sys.path.pop(0)  # this folder's modules are package modules, not top-level ones
    argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else sys.argv[1:]
    package_dir = Path(__file__).resolve().parents[1]
    if "--pkg-root" in argv:  # another checkout's backend/ (or site-packages) folder
        i = argv.index("--pkg-root")
        package_dir = Path(argv[i + 1]) / "moground"
        del argv[i:i + 2]
        sys.argv = [sys.argv[0], "--", *argv]
    _register_package(package_dir)
    try:
        import zmq  # noqa: F401
    except ImportError:  # Blender: use the wheels the MoGround extension installed
        import bpy

        site = Path(bpy.utils.user_resource("EXTENSIONS")) / ".local" / "lib"
        for sp in site.glob("python3*/site-packages"):
            sys.path.append(str(sp))


_bootstrap()

from moground.blender.job import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
