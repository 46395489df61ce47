"""A server started by `assistant up` goes when `up` goes: a stop signal to `up` stops the child
and whatever it started, and its port is free once `up` has exited."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.supervise import STOP_SIGNALS, run_supervised
from tests.network import free_port, port_answers

# Listens on the port given, after writing its pid; with "stubborn" it ignores SIGTERM.
LISTENER = textwrap.dedent(
    """
    import os, signal, socket, sys, time
    port, pid_file, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    if mode == "stubborn":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    server = socket.create_server(("127.0.0.1", port))
    with open(pid_file, "a") as f:
        f.write(f"{os.getpid()}\\n")
    while True:
        server.accept()[0].close()
    """
)

# Starts the listener as its own child and waits, as a server with worker processes would.
PARENT_OF_LISTENER = textwrap.dedent(
    """
    import os, subprocess, sys, time
    port, pid_file, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(pid_file, "a") as f:
        f.write(f"{os.getpid()}\\n")
    subprocess.Popen([sys.executable, "-c", sys.argv[4], port, pid_file, mode])
    time.sleep(600)
    """
)

# Plays `assistant up`: supervises the child given on its command line.
SUPERVISOR = textwrap.dedent(
    """
    import os, sys
    from assistant.supervise import run_supervised
    grace_s = float(sys.argv[1])
    sys.exit(run_supervised(sys.argv[2:], os.environ, grace_s=grace_s))
    """
)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has ended; only its parent's bookkeeping is left


def _wait_for(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())


def _listener(port: int, pid_file: Path, mode: str = "plain") -> list[str]:
    return [sys.executable, "-c", LISTENER, str(port), str(pid_file), mode]


def _serving(port: int, pid_file: Path, processes: int) -> bool:
    if not port_answers(port) or not pid_file.exists():
        return False
    return len(pid_file.read_text().split()) == processes


def _stop_and_check(
    supervisor: subprocess.Popen[bytes], number: int, port: int, pid_file: Path
) -> None:
    pids = [int(pid) for pid in pid_file.read_text().split()]
    supervisor.send_signal(number)
    code = supervisor.wait(timeout=5)
    assert _wait_for(lambda: not any(_alive(pid) for pid in pids), 3), "the child outlived `up`"
    assert not port_answers(port), "the port is still served after `up` has exited"
    assert code == 0, "a stop that was asked for is a clean end"


class Started:
    """What a test started, killed at its end so that a failed test holds no port."""

    def __init__(self) -> None:
        self.supervisors: list[subprocess.Popen[bytes]] = []
        self.pid_files: list[Path] = []

    def up(self, child: list[str], pid_file: Path, grace_s: float = 5.0) -> subprocess.Popen[bytes]:
        self.pid_files.append(pid_file)
        command = [sys.executable, "-c", SUPERVISOR, str(grace_s), *child]
        self.supervisors.append(subprocess.Popen(command))
        return self.supervisors[-1]

    def kill_all(self) -> None:
        pids = [p.pid for p in self.supervisors]
        for pid_file in self.pid_files:
            if pid_file.exists():
                pids += [int(pid) for pid in pid_file.read_text().split()]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for supervisor in self.supervisors:
            supervisor.wait()


@pytest.fixture
def started() -> Iterator[Started]:
    tracker = Started()
    yield tracker
    tracker.kill_all()


@pytest.mark.parametrize("number", STOP_SIGNALS, ids=lambda n: signal.Signals(n).name)
def test_a_stop_signal_to_up_stops_its_server_and_frees_the_port(
    tmp_path: Path, number: int, started: Started
) -> None:
    port, pid_file = free_port(), tmp_path / "pids"
    supervisor = started.up(_listener(port, pid_file), pid_file)
    assert _wait_for(lambda: _serving(port, pid_file, 1), 20), "the child never served its port"
    _stop_and_check(supervisor, number, port, pid_file)


def test_what_the_server_started_is_stopped_with_it(tmp_path: Path, started: Started) -> None:
    port, pid_file = free_port(), tmp_path / "pids"
    child = [sys.executable, "-c", PARENT_OF_LISTENER, str(port), str(pid_file), "plain", LISTENER]
    supervisor = started.up(child, pid_file)
    assert _wait_for(lambda: _serving(port, pid_file, 2), 20), "the child never served its port"
    _stop_and_check(supervisor, signal.SIGTERM, port, pid_file)


def test_a_server_that_ignores_sigterm_is_killed_after_the_grace_period(
    tmp_path: Path, started: Started
) -> None:
    port, pid_file = free_port(), tmp_path / "pids"
    supervisor = started.up(_listener(port, pid_file, "stubborn"), pid_file, grace_s=0.5)
    assert _wait_for(lambda: _serving(port, pid_file, 1), 20), "the child never served its port"
    _stop_and_check(supervisor, signal.SIGTERM, port, pid_file)


def test_a_server_that_ends_by_itself_gives_its_exit_code_and_the_handlers_back() -> None:
    before = {number: signal.getsignal(number) for number in STOP_SIGNALS}
    code = run_supervised([sys.executable, "-c", "raise SystemExit(3)"], os.environ)
    assert code == 3
    assert {number: signal.getsignal(number) for number in STOP_SIGNALS} == before
