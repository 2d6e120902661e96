"""Small fake SMPL / SMPL-H / SMPL-X body model files (the real ones are licensed and
never in the repository) and a hand-written forward kinematics to check readers against.

A fake model has the keys and shapes ``smplx.create`` loads, a human-like rest skeleton
(Y up, facing +Z, the body's left on +X, as SMPL's template stands), joints regressed
exactly from a few vertices each, and random shape directions. Enough vertices that
smplx's extra vertex joints (nose, toes, finger tips) index into the mesh.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
from smplx.vertex_ids import vertex_ids as VERTEX_IDS

NUM_JOINTS = {"smpl": 24, "smplh": 52, "smplx": 55}
REST_22 = np.array([
    [0, 0.95, 0], [0.08, 0.87, 0], [-0.08, 0.87, 0], [0, 1.05, 0], [0.09, 0.50, 0],
    [-0.09, 0.50, 0], [0, 1.18, 0], [0.09, 0.08, 0], [-0.09, 0.08, 0], [0, 1.24, 0],
    [0.10, 0.02, 0.12], [-0.10, 0.02, 0.12], [0, 1.45, 0], [0.07, 1.38, 0], [-0.07, 1.38, 0],
    [0, 1.55, 0.03], [0.18, 1.40, 0], [-0.18, 1.40, 0], [0.45, 1.40, 0], [-0.45, 1.40, 0],
    [0.70, 1.40, 0], [-0.70, 1.40, 0],
], dtype=np.float64)
PARENTS_22 = [-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19]


def _parents(model_type: str) -> list[int]:
    p = list(PARENTS_22)
    if model_type == "smpl":
        return p + [20, 21]
    if model_type == "smplx":
        p += [15, 15, 15]  # jaw, eyes
    for wrist in (20, 21):  # 5 fingers x 3 joints per hand
        for _ in range(5):
            p += [wrist, len(p), len(p) + 1]
    return p


def model_arrays(model_type: str, seed: int = 0, num_shape: int | None = None) -> dict:
    rng = np.random.default_rng(seed)
    parents = _parents(model_type)
    n_j = len(parents)
    assert n_j == NUM_JOINTS[model_type]
    rest = np.zeros((n_j, 3))
    rest[:22] = REST_22 * (1.0 + 0.05 * seed)  # a different body per seed (gender)
    for j in range(22, n_j):
        rest[j] = rest[parents[j]] + rng.normal(0, 0.03, 3)
    n_v = max(VERTEX_IDS["smplx" if model_type == "smplx" else "smplh"].values()) + 1
    v = rng.normal(0, 0.3, (n_v, 3)) + np.array([0, 1.0, 0])
    jreg = np.zeros((n_j, n_v))
    for j in range(n_j):  # 4 vertices around each joint, their mean exactly the joint
        idx = rng.choice(n_v, 4, replace=False) if j else np.arange(4)
        idx = np.setdiff1d(idx, np.flatnonzero(jreg.any(axis=0)))[:4]
        while len(idx) < 4:
            extra = rng.integers(0, n_v)
            if not jreg[:, extra].any() and extra not in idx:
                idx = np.append(idx, extra)
        off = rng.normal(0, 0.02, (4, 3))
        v[idx] = rest[j] + off - off.mean(axis=0)
        jreg[j, idx] = 0.25
    n_shape = num_shape or {"smpl": 10, "smplh": 16, "smplx": 20}[model_type]
    kintree = np.array([[4294967295 if p < 0 else p for p in parents], list(range(n_j))], dtype=np.int64)
    out = {
        "v_template": v,
        "shapedirs": rng.normal(0, 0.01, (n_v, 3, n_shape)),
        "J_regressor": jreg,
        "kintree_table": kintree,
        "posedirs": np.zeros((n_v, 3, 9 * (n_j - 1)), dtype=np.float32),
        "weights": np.full((n_v, n_j), 1.0 / n_j),
        "f": rng.integers(0, n_v, (64, 3)).astype(np.int64),
    }
    if model_type in ("smplh", "smplx"):
        for side in "lr":
            out[f"hands_components{side}"] = np.eye(45)
            out[f"hands_mean{side}"] = np.zeros(45)
    if model_type == "smplx":
        out["lmk_faces_idx"] = np.arange(51) % 64
        out["lmk_bary_coords"] = np.full((51, 3), 1 / 3)
        out["dynamic_lmk_faces_idx"] = np.zeros((79, 17), dtype=np.int64)
        out["dynamic_lmk_bary_coords"] = np.full((79, 17, 3), 1 / 3)
    return out


def write_model(root: Path, model_type: str, gender: str = "neutral", *, ext: str = "npz",
                layout: str = "smplx", seed: int = 0, sparse: bool = False) -> Path:
    """Write a fake model under ``root`` in smplx.create's layout (``smplh/SMPLH_MALE.npz``)
    or AMASS's (``smplh/male/model.npz``); ``sparse`` pickles J_regressor as scipy csc."""
    arrays = model_arrays(model_type, seed=seed)
    if layout == "amass":
        path = root / model_type / gender / "model.npz"
    else:
        path = root / model_type / f"{model_type.upper()}_{gender.upper()}.{ext}"
    path.parent.mkdir(parents=True, exist_ok=True)
    if ext == "pkl":
        if sparse:
            import scipy.sparse

            arrays["J_regressor"] = scipy.sparse.csc_matrix(arrays["J_regressor"])
        with open(path, "wb") as fh:
            pickle.dump(arrays, fh, protocol=2)
    else:
        np.savez(path, **arrays)
    return path


def rodrigues(aa: np.ndarray) -> np.ndarray:
    """[..., 3] axis-angle → [..., 3, 3], written out (no library)."""
    theta = np.linalg.norm(aa, axis=-1, keepdims=True)
    k = aa / np.maximum(theta, 1e-12)
    kx, ky, kz = k[..., 0], k[..., 1], k[..., 2]
    zero = np.zeros_like(kx)
    K = np.stack([np.stack([zero, -kz, ky], -1), np.stack([kz, zero, -kx], -1),
                  np.stack([-ky, kx, zero], -1)], -2)
    th = theta[..., None]
    return np.eye(3) + np.sin(th) * K + (1 - np.cos(th)) * (K @ K)


def hand_fk(arrays: dict, pose66: np.ndarray, trans: np.ndarray, betas: np.ndarray) -> np.ndarray:
    """Joints [T, 22, 3]: rest joints J = R (v_template + S·betas), then per frame
    p_0 = J_0 + trans, p_i = p_parent + R_parent (J_i - J_parent), R_i = R_parent r_i."""
    sd = arrays["shapedirs"][:, :, : len(betas)]
    v = arrays["v_template"] + np.einsum("vkl,l->vk", sd, betas)
    jr = arrays["J_regressor"]
    jr = np.asarray(jr.todense()) if hasattr(jr, "todense") else jr
    J = (jr @ v)[:22]
    rot = rodrigues(pose66.reshape(len(pose66), 22, 3))
    t = len(pose66)
    world_r = np.zeros((t, 22, 3, 3))
    out = np.zeros((t, 22, 3))
    for i, p in enumerate(PARENTS_22):
        if p < 0:
            world_r[:, i] = rot[:, i]
            out[:, i] = J[i] + trans
        else:
            world_r[:, i] = world_r[:, p] @ rot[:, i]
            out[:, i] = out[:, p] + np.einsum("tab,b->ta", world_r[:, p], J[i] - J[p])
    return out


def z_up_to_y_up(p: np.ndarray) -> np.ndarray:
    return np.stack([p[..., 0], p[..., 2], -p[..., 1]], axis=-1)


def standing_z_up_pose(t: int, seed: int = 0, width: int = 156) -> np.ndarray:
    """AMASS-like poses: root turned +90° about X (SMPL's Y-up template stands on Z),
    a yaw about the new vertical, small random joint rotations."""
    rng = np.random.default_rng(seed)
    poses = rng.normal(0, 0.15, (t, width))
    yaw = np.linspace(0, 1.0, t)
    # R = Rz(yaw) · Rx(90°) as axis-angle, per frame
    rx = rodrigues(np.array([np.pi / 2, 0, 0]))
    for i in range(t):
        r = rodrigues(np.array([0, 0, yaw[i]])) @ rx
        angle = np.arccos(np.clip((np.trace(r) - 1) / 2, -1, 1))
        axis = np.array([r[2, 1] - r[1, 2], r[0, 2] - r[2, 0], r[1, 0] - r[0, 1]]) / (2 * np.sin(angle))
        poses[i, :3] = axis * angle
    return poses
