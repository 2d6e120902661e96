"""SMPL / SMPL-H / SMPL-X body model files: finding them and reading them safely.

The models are licensed and never shipped: the user points ``--body-model DIR`` (or
``MOGROUND_BODY_MODELS``) at the folder they downloaded. Only what the 22 body joints
need is read: ``v_template``, ``shapedirs``, ``J_regressor`` and ``kintree_table``
(pose correctives and skinning weights move vertices, never joints).

No file runs code when read: ``.npz`` members load with ``allow_pickle=False``, and a
pickled member or ``.pkl`` file goes through an unpickler that only rebuilds numpy
arrays and scipy sparse matrices (converted to dense without importing scipy). A
chumpy-era ``.pkl`` is refused with a pointer to the clean ``.npz`` release.
"""

from __future__ import annotations

import io
import os
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..wire.errors import UnreadableFile
from ..skeleton import CANONICAL_PARENTS

BODY_MODELS_ENV = "MOGROUND_BODY_MODELS"
MODEL_TYPES = ("smpl", "smplh", "smplx")
GENDERS = ("neutral", "male", "female")
DOWNLOAD = {
    "smpl": "https://smpl.is.tue.mpg.de",
    "smplh": "https://mano.is.tue.mpg.de (SMPL+H; AMASS uses the 'Extended SMPL+H' model)",
    "smplx": "https://smpl-x.is.tue.mpg.de",
}
_SMPL_OFFICIAL = {  # SMPL's own download names, beside smplx's SMPL_<GENDER>.pkl
    "neutral": ["basicmodel_neutral_lbs_10_207_0_v1.1.0.pkl", "basicModel_neutral_lbs_10_207_0_v1.0.0.pkl"],
    "male": ["basicmodel_m_lbs_10_207_0_v1.1.0.pkl", "basicModel_m_lbs_10_207_0_v1.0.0.pkl"],
    "female": ["basicmodel_f_lbs_10_207_0_v1.1.0.pkl", "basicModel_f_lbs_10_207_0_v1.0.0.pkl"],
}
NEEDED = ("v_template", "shapedirs", "J_regressor", "kintree_table")


@dataclass
class BodyModel:
    """What FK of the 22 body joints needs from one model file.

    j_template: ``[22, 3]`` rest joints of the mean shape.
    j_shapedirs: ``[22, 3, L]`` joint displacement per shape coefficient
        (``J_regressor[:22] @ shapedirs``: exact, the regressor is linear).
    num_shape: how many of the L columns are body shape (the rest are SMPL-X expression).
    """

    model_type: str
    gender: str
    path: Path
    j_template: np.ndarray
    j_shapedirs: np.ndarray
    num_shape: int


def body_model_root(body_model: str | os.PathLike | None) -> Path:
    """``--body-model`` or ``$MOGROUND_BODY_MODELS``; a coded error if neither is set."""
    raw = body_model or os.environ.get(BODY_MODELS_ENV)
    if not raw:
        raise UnreadableFile(
            "this motion holds SMPL-family pose parameters, which need a body model: pass "
            f"--body-model DIR or set {BODY_MODELS_ENV}=DIR (the folder holding smpl/, smplh/ or smplx/)"
        )
    root = Path(raw).expanduser()
    if not root.exists():
        raise UnreadableFile(f"body model folder not found: {root}")
    return root


def candidate_files(root: Path, model_type: str, gender: str) -> list[Path]:
    """Where a model of this type and gender may sit under ``root``, most specific first:
    smplx.create's layout (``smplx/SMPLX_NEUTRAL.npz``), AMASS's (``smplh/male/model.npz``),
    and either with ``root`` already the type folder."""
    stem = f"{model_type.upper()}_{gender.upper()}"
    out: list[Path] = []
    for base in (root / model_type, root):
        out += [base / f"{stem}.npz", base / f"{stem}.pkl", base / gender / "model.npz"]
        if model_type == "smpl":
            out += [base / n for n in _SMPL_OFFICIAL[gender]]
    return out


def find_model_file(root: Path, model_type: str, gender: str) -> tuple[Path, str, list[str]]:
    """(file, gender used, warnings). A gendered model that is missing falls back to the
    neutral one with a warning; nothing found is an error naming the expected file."""
    if root.is_file():
        return root, gender, []
    for g in dict.fromkeys((gender, "neutral")):
        for cand in candidate_files(root, model_type, g):
            if cand.is_file():
                warn = [] if g == gender else [
                    f"no {gender} {model_type.upper()} model under {root}: used the neutral one ({cand.name})"
                ]
                return cand, g, warn
    expected = root / model_type / f"{model_type.upper()}_{gender.upper()}.npz"
    raise UnreadableFile(
        f"no {model_type.upper()} body model for gender {gender!r}: expected {expected} "
        f"(or .pkl, or {model_type}/{gender}/model.npz as AMASS lays it out); "
        f"body models are licensed and not shipped, download from {DOWNLOAD[model_type]}"
    )


# ---------------------------------------------------------------- safe reading

class _SparseShim:
    """Stands in for a pickled scipy.sparse matrix; ``dense()`` rebuilds it."""

    def __setstate__(self, state):
        self.__dict__.update(state if isinstance(state, dict) else {})

    def dense(self) -> np.ndarray:
        d = self.__dict__
        shape = tuple(d.get("_shape") or d.get("shape"))
        fmt = d.get("format") or ("csr" if getattr(self, "_csr", False) else "csc")
        data, indices, indptr = (np.asarray(d[k]) for k in ("data", "indices", "indptr"))
        out = np.zeros(shape, dtype=np.float64)
        major = shape[1] if fmt == "csc" else shape[0]
        for m in range(major):
            sl = slice(int(indptr[m]), int(indptr[m + 1]))
            if fmt == "csc":
                out[indices[sl], m] = data[sl]
            else:
                out[m, indices[sl]] = data[sl]
        return out


class _CsrShim(_SparseShim):
    _csr = True


_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("copyreg", "_reconstructor"),
    ("builtins", "object"), ("_codecs", "encode"),
}


class _SafeUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        if module.startswith("scipy.sparse"):
            return _CsrShim if "csr" in name else _SparseShim
        if module.startswith("chumpy"):
            raise UnreadableFile(
                "body model .pkl holds chumpy objects: use the model's .npz release or strip "
                "chumpy with smplx's tools/clean_ch.py"
            )
        raise UnreadableFile(f"body model file refers to Python object {module}.{name}; only arrays are read")


def _densify(value):
    if isinstance(value, _SparseShim):
        return value.dense()
    return value


def _safe_unpickle(fh) -> object:
    return _SafeUnpickler(fh, encoding="latin1").load()


def _npz_member(zf: zipfile.ZipFile, key: str) -> np.ndarray:
    """One ``.npy`` member; object members through the safe unpickler."""
    with zf.open(f"{key}.npy") as raw:
        fh = io.BytesIO(raw.read())
    version = np.lib.format.read_magic(fh)
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    _shape, _fortran, dtype = read_header(fh)
    if not dtype.hasobject:
        fh.seek(0)
        return np.lib.format.read_array(fh, allow_pickle=False)
    obj = _densify(_safe_unpickle(fh))
    if isinstance(obj, np.ndarray) and obj.dtype.hasobject and obj.size == 1:
        obj = _densify(obj.item())
    return np.asarray(obj)


def read_model_arrays(path: Path) -> dict[str, np.ndarray]:
    """The :data:`NEEDED` arrays of a model file (.npz or .pkl), safely."""
    try:
        if path.suffix.lower() == ".npz":
            with zipfile.ZipFile(path) as zf:
                names = {n[:-4] for n in zf.namelist() if n.endswith(".npy")}
                missing = [k for k in NEEDED if k not in names]
                if missing:
                    raise UnreadableFile(f"body model {path}: missing arrays {missing}; is this an SMPL-family model?")
                return {k: _npz_member(zf, k) for k in NEEDED}
        with open(path, "rb") as fh:
            data = _safe_unpickle(fh)
    except UnreadableFile:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, pickle.UnpicklingError, KeyError) as exc:
        raise UnreadableFile(f"cannot read body model {path}: {type(exc).__name__}: {exc}") from None
    if not isinstance(data, dict):
        raise UnreadableFile(f"body model {path}: expected a dict of arrays, got {type(data).__name__}")
    missing = [k for k in NEEDED if k not in data]
    if missing:
        raise UnreadableFile(f"body model {path}: missing arrays {missing}; is this an SMPL-family model?")
    return {k: np.asarray(_densify(data[k])) for k in NEEDED}


def _num_shape(model_type: str, columns: int) -> int:
    """Shape columns of ``shapedirs``, as smplx splits them: SMPL-X keeps 300 shape +
    100 expression columns (or 10 + 10 in the small release); SMPL/SMPL-H are all shape."""
    if model_type == "smplx":
        return 300 if columns >= 400 else min(columns, 10)
    return columns


_CACHE: dict[tuple[str, float, str], BodyModel] = {}


def load_body_model(root: Path, model_type: str, gender: str) -> tuple[BodyModel, list[str]]:
    """The joint-space model for (type, gender) under ``root``, cached per file."""
    if model_type not in MODEL_TYPES:
        raise UnreadableFile(f"unknown body model type {model_type!r}; expected one of {MODEL_TYPES}")
    path, used_gender, warnings = find_model_file(root, model_type, gender)
    key = (str(path.resolve()), path.stat().st_mtime, model_type)
    if key in _CACHE:
        return _CACHE[key], warnings
    arr = read_model_arrays(path)
    v = np.asarray(arr["v_template"], dtype=np.float64)
    sd = np.asarray(arr["shapedirs"], dtype=np.float64)
    jr = np.asarray(arr["J_regressor"], dtype=np.float64)
    kt = np.asarray(arr["kintree_table"]).astype(np.int64)
    if sd.ndim == 2:
        sd = sd[:, :, None]
    n_v = v.shape[0] if v.ndim == 2 else -1
    if (v.ndim != 2 or v.shape[1] != 3 or sd.shape[:2] != (n_v, 3) or jr.ndim != 2
            or jr.shape[1] != n_v or jr.shape[0] < 22 or kt.ndim != 2 or kt.shape[1] < 22):
        raise UnreadableFile(
            f"body model {path}: inconsistent shapes v_template {v.shape}, shapedirs {sd.shape}, "
            f"J_regressor {jr.shape}, kintree_table {kt.shape}"
        )
    parents = [int(p) for p in kt[0, :22]]
    parents[0] = -1
    if tuple(parents) != CANONICAL_PARENTS:
        raise UnreadableFile(f"body model {path}: its first 22 joints are not the SMPL body tree ({parents})")
    jr22 = jr[:22]
    model = BodyModel(
        model_type=model_type,
        gender=used_gender,
        path=path,
        j_template=(jr22 @ v).astype(np.float64),
        j_shapedirs=np.einsum("jv,vkl->jkl", jr22, sd),
        num_shape=_num_shape(model_type, sd.shape[2]),
    )
    _CACHE[key] = model
    return model, warnings
