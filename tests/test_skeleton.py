"""The canonical skeleton is SMPL's body: checked against smplx itself, as skeleton.py says."""

from __future__ import annotations

import pytest

from moground.skeleton import CANONICAL_JOINTS, CANONICAL_PARENTS, JOINT_INDEX, mirror_permutation


def test_joint_order_is_smplx_joint_names():
    joint_names = pytest.importorskip("smplx.joint_names")
    assert list(CANONICAL_JOINTS) == list(joint_names.JOINT_NAMES[:22])


def test_parents_form_a_tree_rooted_at_the_pelvis_and_mirror_is_an_involution():
    assert CANONICAL_PARENTS[0] == -1 and all(0 <= p < j for j, p in enumerate(CANONICAL_PARENTS) if j)
    perm = mirror_permutation()
    assert [perm[p] for p in perm] == list(range(22))
    assert perm[JOINT_INDEX["left_wrist"]] == JOINT_INDEX["right_wrist"]
