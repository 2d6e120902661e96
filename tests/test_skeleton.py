"""The canonical skeleton's structure (its joint order against smplx is checked in
test_io_smpl.py::test_canonical_joints_are_smplx_body_joints_in_order)."""

from __future__ import annotations

from moground.skeleton import CANONICAL_PARENTS, JOINT_INDEX, mirror_permutation


def test_parents_form_a_tree_rooted_at_the_pelvis_and_mirror_is_an_involution():
    assert CANONICAL_PARENTS[0] == -1 and all(0 <= p < j for j, p in enumerate(CANONICAL_PARENTS) if j)
    perm = mirror_permutation()
    assert [perm[p] for p in perm] == list(range(22))
    assert perm[JOINT_INDEX["left_wrist"]] == JOINT_INDEX["right_wrist"]
