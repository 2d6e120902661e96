"""Tie a process's life to its parent's: a backend started by ``moground segment`` (or a
worker started by the server) must not outlive it, even when the parent is SIGKILLed
and gets no chance to clean up.

Two layers: on Linux the kernel sends ``sig`` when the parent dies (PR_SET_PDEATHSIG:
server workers, batch job processes); and long-running loops poll :func:`parent_alive`
(the server with ``--parent-pid``, the worker's job loop), which works everywhere. The
kernel signal fires when the *thread* that started the child exits, so it is only armed
for children whose starting thread waits for them; a backend started from a short-lived
thread (the add-on's) relies on the poll. Standard library only.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import sys

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int, sig: int = signal.SIGTERM) -> None:
    """Ask the kernel for ``sig`` when the parent exits; exit now if it already has."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            if libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
                log.debug("prctl(PR_SET_PDEATHSIG) failed: errno %d", ctypes.get_errno())
        except OSError as exc:
            log.debug("no prctl: %s", exc)
    if not parent_alive(parent_pid):  # died between fork and prctl: nobody will signal us
        os.kill(os.getpid(), sig)


def parent_alive(parent_pid: int) -> bool:
    """True while ``parent_pid`` is still our parent (a reparented orphan sees another)."""
    return os.getppid() == parent_pid
