"""Runs a server as a child process that never outlives the command that started it.

`assistant up` serves the web UI from a Streamlit child. A service manager stops `up` with
SIGTERM, a terminal with SIGINT or SIGHUP; each of these, and any error in `up` itself, must
also stop the child and everything it started, or the port stays taken by an orphan. The child
runs in its own process group (so a terminal's Ctrl-C reaches it only through `up`), and the
whole group is asked to stop, waited for, and killed once the grace period is over.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class _StopRequested(Exception):
    """Raised in the main thread by a stop signal, to leave the wait for the child."""


def run_supervised(command: Sequence[str], env: Mapping[str, str], *, grace_s: float = 10.0) -> int:
    """Run ``command`` until it ends or a stop signal arrives, then stop its process group.

    Returns the child's exit code when it ended by itself, and 0 when a stop signal ended it:
    a stop that was asked for is a clean end. Must run in the main thread (signal handlers).
    """

    stop_requested = False
    waiting = False

    def request_stop(signum: int, frame: FrameType | None) -> None:
        # Raising inside Popen could leave a child nobody knows of: until the child is
        # known, only note the request.
        nonlocal stop_requested
        stop_requested = True
        if waiting:
            raise _StopRequested

    previous = {number: signal.signal(number, request_stop) for number in STOP_SIGNALS}
    child: subprocess.Popen[bytes] | None = None
    try:
        child = subprocess.Popen(list(command), env=dict(env), start_new_session=True)
        waiting = True
        if stop_requested:
            return 0
        return child.wait()
    except _StopRequested:
        return 0
    finally:
        for number in STOP_SIGNALS:
            signal.signal(number, signal.SIG_IGN)  # a second signal must not cut the clean-up
        try:
            if child is not None:
                _stop_group(child, grace_s)
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)


def _stop_group(child: subprocess.Popen[bytes], grace_s: float) -> None:
    """Ask the child's process group to stop, and kill it if the child outlasts ``grace_s``."""
    _signal_group(child.pid, signal.SIGTERM)
    try:
        child.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        _signal_group(child.pid, signal.SIGKILL)
        child.wait()


def _signal_group(group: int, number: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # the whole group has already ended
        os.killpg(group, number)
