"""Rotation keys for a skeleton known only by joint positions (npz/npy joints, HumanML3D,
Kinect and video-pose skeletons), so that the armature built from it can drive a mesh
and retarget in a game engine.

What is solved, in Blender's armature space (metres, Z up, the character facing -Y):

- **Rest**: a T-pose. Bone lengths are the take's median joint-to-parent distances (a
  game rig cannot stretch, so noisy captures such as Kinect, whose bones vary ~8 %,
  keep one length per bone and their length noise becomes position error). Joints with
  several children (pelvis, chest) keep the children's arrangement measured in the
  take (a rigid template fitted over all frames), set upright and facing -Y. Chains
  off to one side of the body are arms (straight out sideways) when they hang off an
  upper joint and legs (straight down, the last bone to a leaf, the foot, pointing
  forward) when they hang off the root; centre chains point up (spine, neck, head)
  or down.
- **Root**: translation keys (the root joint's path) and a rotation.
- **Per bone rotation** (one quaternion per bone per frame, Blender's pose-bone
  ``rotation_quaternion``): a joint with several children gets the rotation that best
  fits all of them (the hips or shoulders plane: Kabsch/Wahba over the children). A
  joint with one child gets the *swing* that turns its bone onto the child, with
  **minimal twist**: no rotation about the bone's own axis relative to its parent
  (the twist of a bone is not observable from positions; keeping it zero is
  continuous and reproducible). Directions are aimed from the *solved* parent head,
  so position errors do not accumulate down a chain.
- **No flips**: each bone's quaternion sign is chosen nearest to the previous frame's.

Numpy only: testable without bpy; ``blender/mocap_import.py`` writes the keys.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .wire.errors import BadMotion

SIDE_THRESHOLD_M = 0.04  # a chain whose joints sit further than this to one side is a limb
LEAF_TAIL_FRACTION = 0.5  # a leaf bone's drawn length, as a share of its parent bone
MIN_BONE_M = 0.02  # shortest drawn bone (rest tails only; never affects positions)
# Blender's body frame: left → +X, forward → -Y, up → +Z.
_LEFT, _FORWARD, _UP = np.array([1.0, 0, 0]), np.array([0, -1.0, 0]), np.array([0, 0, 1.0])


@dataclass
class RestPose:
    """The armature at rest. ``heads``/``tails`` [J, 3]; ``connected[j]``: j's head is on
    its parent's tail; ``matrices`` [J, 3, 3]: each bone's axes (columns X, Y, Z; Y from
    head to tail) as Blender builds them with roll 0, see :func:`bone_matrix`."""

    heads: np.ndarray
    tails: np.ndarray
    connected: list[bool]
    matrices: np.ndarray
    lengths: np.ndarray  # [J] joint-to-parent length used (0 for roots)
    offsets: np.ndarray  # [J, 3] head minus parent's head (0 for roots)


@dataclass
class SolvedMotion:
    """Keys for a :class:`RestPose`: ``quaternions`` [T, J, 4] (w, x, y, z) and
    ``locations`` [T, J, 3] in each bone's rest frame (the root's path; zero for other
    bones unless solved with ``stretch``), and the world ``deltas`` [T, J, 3, 3]
    (rotation from rest to the frame, armature space)."""

    rest: RestPose
    quaternions: np.ndarray
    locations: np.ndarray
    deltas: np.ndarray


# ---------------------------------------------------------------- small rotation maths

def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(n, 1e-12)


def _any_perpendicular(a: np.ndarray) -> np.ndarray:
    helper = np.where(np.abs(a[..., :1]) < 0.9, np.array([1.0, 0, 0]), np.array([0, 1.0, 0]))
    return _unit(np.cross(a, helper))


def swing(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Shortest-arc rotations [..., 3, 3] taking unit vectors ``a`` onto ``b``."""
    a, b = _unit(a), _unit(b)
    v = np.cross(a, b)
    c = np.sum(a * b, axis=-1)
    k = np.zeros(a.shape[:-1] + (3, 3))
    k[..., 0, 1], k[..., 0, 2], k[..., 1, 2] = -v[..., 2], v[..., 1], -v[..., 0]
    k[..., 1, 0], k[..., 2, 0], k[..., 2, 1] = v[..., 2], -v[..., 1], v[..., 0]
    eye = np.broadcast_to(np.eye(3), k.shape)
    opposite = c < -1 + 1e-9
    scale = 1.0 / np.where(opposite, 1.0, 1.0 + c)
    out = eye + k + (k @ k) * scale[..., None, None]
    if np.any(opposite):  # half turn about any axis perpendicular to a
        n = _any_perpendicular(a[opposite])
        out[opposite] = 2 * n[:, :, None] * n[:, None, :] - np.eye(3)
    return out


def kabsch(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Rotations [T, 3, 3] best taking the point sets ``src`` [C, 3] onto ``dst`` [T, C, 3]."""
    h = np.einsum("ca,tcb->tab", src, dst)
    u, _, vt = np.linalg.svd(h)
    d = np.sign(np.linalg.det(np.swapaxes(vt, -1, -2) @ np.swapaxes(u, -1, -2)))
    fix = np.ones(u.shape[:-2] + (3,))
    fix[..., 2] = d
    return np.swapaxes(vt, -1, -2) @ (fix[..., :, None] * np.swapaxes(u, -1, -2))


def matrix_to_quaternion(m: np.ndarray) -> np.ndarray:
    """(w, x, y, z) for rotation matrices [..., 3, 3] (Shepperd's method, branch-free pick)."""
    m = np.asarray(m, dtype=np.float64)
    tr = m[..., 0, 0] + m[..., 1, 1] + m[..., 2, 2]
    cands = np.stack([
        np.stack([1 + tr, m[..., 2, 1] - m[..., 1, 2], m[..., 0, 2] - m[..., 2, 0], m[..., 1, 0] - m[..., 0, 1]], -1),
        np.stack([m[..., 2, 1] - m[..., 1, 2], 1 + 2 * m[..., 0, 0] - tr, m[..., 0, 1] + m[..., 1, 0],
                  m[..., 0, 2] + m[..., 2, 0]], -1),
        np.stack([m[..., 0, 2] - m[..., 2, 0], m[..., 0, 1] + m[..., 1, 0], 1 + 2 * m[..., 1, 1] - tr,
                  m[..., 1, 2] + m[..., 2, 1]], -1),
        np.stack([m[..., 1, 0] - m[..., 0, 1], m[..., 0, 2] + m[..., 2, 0], m[..., 1, 2] + m[..., 2, 1],
                  1 + 2 * m[..., 2, 2] - tr], -1),
    ], axis=-2)  # [..., 4, 4]: each row ∝ q, the row with the largest entry is the stable one
    pick = np.argmax(np.stack([1 + tr, 1 + 2 * m[..., 0, 0] - tr, 1 + 2 * m[..., 1, 1] - tr,
                               1 + 2 * m[..., 2, 2] - tr], -1), axis=-1)
    q = np.take_along_axis(cands, pick[..., None, None], axis=-2)[..., 0, :]
    q = _unit(q)
    return np.where(q[..., :1] < 0, -q, q)


def quaternion_to_matrix(q: np.ndarray) -> np.ndarray:
    q = _unit(np.asarray(q, dtype=np.float64))
    w, x, y, z = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
        np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
        np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
    ], axis=-2)


def continuous_signs(q: np.ndarray) -> np.ndarray:
    """``q`` [T, ..., 4] with each frame's sign flipped to lie nearest the previous frame's
    (q and -q are one rotation; interpolating between opposite signs spins the long way)."""
    dots = np.sum(q[1:] * q[:-1], axis=-1)
    flips = np.concatenate([np.zeros((1,) + dots.shape[1:], bool), dots < 0], axis=0)
    sign = np.where(np.cumsum(flips, axis=0) % 2 == 1, -1.0, 1.0)
    return q * sign[..., None]


def bone_matrix(head: np.ndarray, tail: np.ndarray) -> np.ndarray:
    """A bone's rest axes with roll 0, as Blender's ``vec_roll_to_mat3`` builds them: the
    shortest arc from +Y to the bone direction (for a bone pointing down, a half turn
    about Z, Blender's choice)."""
    d = _unit(np.asarray(tail, float) - np.asarray(head, float))
    if d[1] < -1 + 1e-9:
        return np.diag([-1.0, -1.0, 1.0])
    return swing(np.array([0.0, 1.0, 0.0]), d)


# ---------------------------------------------------------------- the skeleton's layout

def topological_order(parents: list[int]) -> list[int]:
    """Joint indices with every parent before its children; a cycle is a bad_motion."""
    order, placed = [], set()
    pending = list(range(len(parents)))
    while pending:
        nxt = [j for j in pending if parents[j] < 0 or parents[j] in placed]
        if not nxt:
            raise BadMotion(f"joint parents form a cycle or point outside the skeleton: {parents}")
        order += nxt
        placed.update(nxt)
        pending = [j for j in pending if j not in placed]
    return order


def _children(parents: list[int]) -> list[list[int]]:
    out: list[list[int]] = [[] for _ in parents]
    for j, p in enumerate(parents):
        if p >= 0:
            out[p].append(j)
    return out


def _subtree(children: list[list[int]], j: int) -> list[int]:
    out, stack = [], [j]
    while stack:
        k = stack.pop()
        out.append(k)
        stack += children[k]
    return out


def _body_frames(pos: np.ndarray, root: int, kids: list[int]) -> np.ndarray:
    """Per frame [T, 3, 3]: columns left, forward, up (Z) of the body, yaw only, from the
    two children of the root furthest apart sideways (the hips); world axes otherwise."""
    t = len(pos)
    best, pair = 0.0, None
    for i, a in enumerate(kids):
        for b in kids[i + 1:]:
            d = pos[:, a, :2] - pos[:, b, :2]
            spread = float(np.median(np.linalg.norm(d, axis=-1)))
            if spread > best:
                best, pair = spread, (a, b)
    if pair is None or best < 1e-3:
        return np.broadcast_to(np.stack([_LEFT, _FORWARD, _UP], -1), (t, 3, 3)).copy()
    left = pos[:, pair[0]] - pos[:, pair[1]]
    left[:, 2] = 0
    left = _unit(left)
    frames = np.stack([left, np.cross(left, _UP), np.broadcast_to(_UP, left.shape)], axis=-1)
    return frames


def _feet_point_back(frames: np.ndarray, pos: np.ndarray, leaf_bones: list[tuple[int, int]]) -> bool:
    """Which side is 'left' is only known from which way the feet point."""
    if not leaf_bones:
        return False
    fwd = np.mean([np.mean(np.einsum("ta,ta->t", pos[:, c] - pos[:, j], frames[:, :, 1])) for j, c in leaf_bones])
    return bool(fwd < 0)


# ---------------------------------------------------------------- rest pose

def _fit_template(offsets: np.ndarray, lengths: np.ndarray, iters: int = 3) -> np.ndarray:
    """A rigid arrangement [C, 3] of a joint's children fitted to ``offsets`` [T, C, 3]
    (generalised Procrustes: align every frame to the template, average, repeat)."""
    template = offsets.mean(axis=0)
    for _ in range(iters):
        template = _unit(template) * lengths[:, None]
        rot = kabsch(template, offsets)
        template = np.einsum("tba,tcb->ca", rot, offsets) / len(offsets)
    return _unit(template) * lengths[:, None]


def build_rest(pos: np.ndarray, parents: list[int]) -> RestPose:
    """The T-pose rest (see the module docstring)."""
    t, n = pos.shape[:2]
    children = _children(parents)
    roots = [j for j in range(n) if parents[j] < 0]
    lengths = np.zeros(n)
    for j, p in enumerate(parents):
        if p >= 0:
            lengths[j] = float(np.median(np.linalg.norm(pos[:, j] - pos[:, p], axis=-1)))
    lengths = np.maximum(lengths, 1e-6) * np.array([p >= 0 for p in parents])
    root = roots[0]
    frames = _body_frames(pos, root, children[root])
    local = np.einsum("tab,tja->tjb", frames, pos - pos[:, root:root + 1])  # body coords
    side = np.zeros(n)  # +1 left, -1 right, 0 centre: per joint, the side of its chain
    below = np.zeros(n, bool)  # the chain hangs below its branching joint
    upper = np.zeros(n, bool)  # the chain branches off a joint other than the root
    for j in range(n):
        if len(children[j]) < 2 and j != root:
            continue
        for c in children[j]:
            sub = _subtree(children, c)
            lat = float(np.mean(local[:, sub, 0]))
            s = np.sign(lat) if abs(lat) > SIDE_THRESHOLD_M else 0.0
            low = float(np.mean(local[:, sub, 2] - local[:, j:j + 1, 2])) < 0
            for k in sub:
                side[k], below[k], upper[k] = s, low, j != root
    leaf_leg = [(j, c) for j in range(n) for c in children[j]
                if not children[c] and len(children[j]) == 1 and side[c] != 0 and not upper[c]]
    if _feet_point_back(frames, pos, leaf_leg):  # half turn about up: left and forward swap sign
        frames = frames.copy()
        frames[:, :, :2] *= -1
        side = -side
    to_blender = np.stack([_LEFT, _FORWARD, _UP], axis=-1)  # body coords → armature space

    def tpose_direction(j: int, c: int) -> np.ndarray:
        if side[c] != 0 and upper[c]:
            return side[c] * _LEFT  # arms straight out
        if side[c] != 0:
            return _FORWARD if (j, c) in leaf_leg else -_UP  # legs down, feet forward
        return -_UP if below[c] else _UP

    heads = np.zeros((n, 3))
    heads[root] = [0.0, 0.0, float(np.median(pos[:, root, 2]))]
    offsets = np.zeros((n, 3))
    for j in topological_order(parents):
        kids = children[j]
        if len(kids) >= 2:
            body = np.einsum("tba,tcb->tca", frames, pos[:, kids] - pos[:, j:j + 1])
            template = _fit_template(body, lengths[kids])
            offsets[kids] = _upright(template, [side[c] for c in kids]) @ to_blender.T
        elif len(kids) == 1:
            offsets[kids[0]] = lengths[kids[0]] * tpose_direction(j, kids[0])
        for c in kids:
            heads[c] = heads[j] + offsets[c]
    tails, connected = np.zeros((n, 3)), [False] * n
    for j in range(n):
        kids = children[j]
        primary = _primary_child(kids, offsets)
        if primary is not None:
            tails[j] = heads[primary]
            connected[primary] = True
        else:  # a leaf: continue the parent bone's direction
            p = parents[j]
            d = _unit(heads[j] - heads[p]) if p >= 0 else _UP
            tails[j] = heads[j] + d * max(LEAF_TAIL_FRACTION * lengths[j], MIN_BONE_M)
        if np.linalg.norm(tails[j] - heads[j]) < MIN_BONE_M:  # coincident joints (a collar on the neck)
            tails[j] = heads[j] + _UP * MIN_BONE_M
            if primary is not None:
                connected[primary] = False
    matrices = np.stack([bone_matrix(heads[j], tails[j]) for j in range(n)])
    return RestPose(heads, tails, connected, matrices, lengths, offsets)


def _primary_child(kids: list[int], offsets: np.ndarray) -> int | None:
    """The child a bone points at: the only one, else the one most straight up (spine,
    neck) so the pelvis and chest bones stand upright."""
    if not kids:
        return None
    if len(kids) == 1:
        return kids[0]
    return max(kids, key=lambda c: _unit(offsets[c])[2])


def _upright(template: np.ndarray, sides: list[float]) -> np.ndarray:
    """Rotate a joint's children template (body coords) so its left-right axis is level
    (+X) and its centre children point as straight up as that allows."""
    sides_a = np.asarray(sides)
    if np.any(sides_a > 0) and np.any(sides_a < 0):
        lat = template[sides_a > 0].mean(0) - template[sides_a < 0].mean(0)
        centre = template[sides_a == 0].mean(0) if np.any(sides_a == 0) else np.array([0.0, 0, 1])
        x = _unit(lat)
        z = _unit(centre - x * np.dot(centre, x))
        if np.linalg.norm(centre - x * np.dot(centre, x)) < 1e-6:
            z = _unit(np.array([0.0, 0, 1]) - x * x[2])
        frame = np.stack([x, np.cross(z, x), z], axis=-1)  # columns: template's left, forward, up
        return template @ frame
    return template


# ---------------------------------------------------------------- solving

def solve(positions: np.ndarray, parents: list[int], *, stretch: bool = False) -> SolvedMotion:
    """Rest pose and rotation keys reproducing ``positions`` [T, J, 3] (metres, Z up).

    ``stretch``: also key each bone's location so it follows the captured bone length
    frame by frame (exact positions for noisy captures whose bones vary; engines that
    retarget rotations only will ignore it). Default: rigid bones of median length."""
    pos = np.asarray(positions, dtype=np.float64)
    if pos.ndim != 3 or pos.shape[2] != 3 or pos.shape[1] != len(parents) or len(pos) < 1:
        raise BadMotion(f"expected positions [T, {len(parents)}, 3], got {pos.shape}")
    if not np.all(np.isfinite(pos)):
        raise BadMotion("joint positions hold NaN or infinite values")
    parents = [int(p) for p in parents]
    if sum(p < 0 for p in parents) != 1:
        raise BadMotion(f"a skeleton needs exactly one root joint (parent -1), got parents {parents}")
    topological_order(parents)  # a cycle fails here, before any walk of the tree
    rest = build_rest(pos, parents)
    offsets = rest.offsets
    t, n = pos.shape[:2]
    children = _children(parents)
    deltas = np.empty((t, n, 3, 3))
    solved = pos.copy() if stretch else np.empty_like(pos)
    for j in topological_order(parents):
        p = parents[j]
        if p < 0:
            solved[:, j] = pos[:, j]
        base = np.broadcast_to(np.eye(3), (t, 3, 3)) if p < 0 else deltas[:, p]
        kids = children[j]
        if len(kids) >= 2 and np.linalg.matrix_rank(offsets[kids], tol=1e-6) >= 2:
            deltas[:, j] = kabsch(offsets[kids], pos[:, kids] - solved[:, j:j + 1])
        elif kids:
            c = kids[0]
            aim = np.einsum("tab,b->ta", base, offsets[c])
            deltas[:, j] = swing(aim, pos[:, c] - solved[:, j]) @ base
        else:
            deltas[:, j] = base
        if not stretch:
            for c in kids:
                solved[:, c] = solved[:, j] + np.einsum("tab,b->ta", deltas[:, j], offsets[c])
    quats, locations = to_bone_keys(deltas, pos, parents, rest, stretch=stretch)
    return SolvedMotion(rest, quats, locations, deltas)


def _root(parents: list[int]) -> int:
    return next(j for j, p in enumerate(parents) if p < 0)


def to_bone_keys(deltas: np.ndarray, pos: np.ndarray, parents: list[int], rest: RestPose,
                 matrices: np.ndarray | None = None, *, stretch: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Blender pose keys from world deltas: ``rotation_quaternion`` per bone [T, J, 4] and
    ``location`` [T, J, 3] (the root's path; with ``stretch`` every bone's change of
    length). ``matrices`` are the bones' rest axes as the armature really has them
    (``bone.matrix_local``), default ``rest.matrices``. For bone j with parent p,
    basis = Rj^T · Ap^T · Aj · Rj (Blender: pose = parent pose · parent rest^-1 · rest ·
    basis); location = Rj^T · (Ap^T · (xj - xp) - oj)."""
    rm = rest.matrices if matrices is None else np.asarray(matrices, dtype=np.float64)
    t, n = deltas.shape[:2]
    local = np.empty_like(deltas)
    locations = np.zeros((t, n, 3))
    for j, p in enumerate(parents):
        if p < 0:
            local[:, j] = rm[j].T @ deltas[:, j] @ rm[j]
            locations[:, j] = (pos[:, j] - rest.heads[j]) @ rm[j]  # R^T · (x - head)
            continue
        local[:, j] = rm[j].T @ np.swapaxes(deltas[:, p], -1, -2) @ deltas[:, j] @ rm[j]
        if stretch:
            seen = np.einsum("tba,tb->ta", deltas[:, p], pos[:, j] - pos[:, p])
            locations[:, j] = (seen - rest.offsets[j]) @ rm[j]
    return continuous_signs(matrix_to_quaternion(local)), locations


def positions_from_keys(rest: RestPose, parents: list[int], quaternions: np.ndarray,
                        locations: np.ndarray, matrices: np.ndarray | None = None) -> np.ndarray:
    """Joint (bone head) positions [T, J, 3] that Blender's pose evaluation gives for these
    keys: the round-trip check, independent of how the keys were solved."""
    rm = rest.matrices if matrices is None else np.asarray(matrices, dtype=np.float64)
    basis = quaternion_to_matrix(quaternions)
    t, n = basis.shape[:2]
    world = np.empty((t, n, 3, 3))
    heads = np.empty((t, n, 3))
    for j in topological_order(parents):
        p = parents[j]
        if p < 0:
            heads[:, j] = rest.heads[j] + locations[:, j] @ rm[j].T
            world[:, j] = rm[j] @ basis[:, j]
        else:
            at_rest = rest.heads[j] - rest.heads[p] + locations[:, j] @ rm[j].T
            heads[:, j] = heads[:, p] + np.einsum("tab,tb->ta", world[:, p], at_rest @ rm[p])
            world[:, j] = world[:, p] @ (rm[p].T @ rm[j]) @ basis[:, j]
    return heads


def round_trip_error(positions: np.ndarray, parents: list[int], *, stretch: bool = False) -> np.ndarray:
    """Per joint per frame distance [T, J] between ``positions`` and what the solved keys
    reproduce."""
    solved = solve(positions, parents, stretch=stretch)
    back = positions_from_keys(solved.rest, parents, solved.quaternions, solved.locations)
    return np.linalg.norm(back - np.asarray(positions, dtype=np.float64), axis=-1)
