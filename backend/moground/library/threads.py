"""One torch thread for indexing and search.

Their tensors are small (a take's frames, a neighbourhood of one), and on a busy
machine two torch threads waiting on each other make every small op many times slower:
encoding 43 s of CMU takes took 0.4–0.6 s on one thread and 8–14 s on two, at load 7
on 2 cores; the novelty of a 24 s neighbourhood 7 ms against 150 ms. More cores are
used with ``moground index --jobs N`` (one process, one thread each) instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """Run the body on one torch thread, restoring the caller's count after."""
    old = torch.get_num_threads()
    if old == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(old)
