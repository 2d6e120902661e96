"""The correction bench on one real take: the worst boundary is found by its distance to
the truth window, pinned at the window's middle and honoured; rows score the segments
not adjacent to any pin."""

from __future__ import annotations

import numpy as np

from moground.bench.correction import TakeGrounder, cut_error, format_correction, realchains_takes, run_correction
from moground.encoders import load_encoder
from moground.grounding.fused import FusedConfig


def test_cut_error_is_zero_inside_the_window():
    assert [cut_error(c, (10, 20)) for c in (5, 10, 15, 20, 26)] == [5, 0, 0, 0, 6]


def test_worst_boundary_is_pinned_at_its_truth(data_dir):
    encoder = load_encoder("builtin")
    take = realchains_takes(data_dir)[0]
    g = TakeGrounder(encoder, take, "changepoint", FusedConfig(), 10)
    before = g.ground({})
    worst = g.worst(before, set())
    errors = [cut_error(before[i][1], w) for i, w in enumerate(take.cut_truth)]
    assert errors[worst] == max(errors)
    frame = g.truth_frame(worst)
    lo, hi = take.cut_truth[worst]
    assert lo <= frame <= hi
    after = g.ground({worst: frame})
    assert after[worst][1] == after[worst + 1][0] == frame
    results = run_correction(encoder, [take], method="changepoint", controls=1)
    rows = results["realchains"]
    assert set(rows) == {"none", "1 pin", "3 pins", "random pin"}
    k = len(take.labels)
    assert rows["none"]["segments"] == k and rows["1 pin"]["segments"] <= k - 1
    assert rows["3 pins"]["take_acc_after"] > 0 and np.isfinite(rows["1 pin"]["gain"])
    assert "realchains" in format_correction(results, "changepoint")
