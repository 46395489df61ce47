"""`assistant up` as a service manager runs it: SIGTERM stops the command and its Streamlit
server, and the UI's port is free once the command has exited."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.network import free_port, port_answers

pytestmark = pytest.mark.integration

ASSISTANT = Path(sys.executable).with_name("assistant")


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in text.split()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.fixture
def up(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    env = dict(os.environ, ASSISTANT_DATA_DIR=str(tmp_path / "data"), HF_HUB_OFFLINE="1")
    log = (tmp_path / "up.log").open("wb")
    command = [str(ASSISTANT), "up", "--no-samples", f"--port={port}"]
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    yield process, port
    if process.poll() is None:
        for child in _children(process.pid):
            os.kill(child, signal.SIGKILL)
        process.kill()
    process.wait()
    log.close()


def test_sigterm_to_up_stops_the_ui_and_frees_its_port(
    up: tuple[subprocess.Popen[bytes], int],
) -> None:
    process, port = up
    deadline = time.monotonic() + 60
    while not port_answers(port):
        assert process.poll() is None, "`assistant up` ended before the UI answered"
        assert time.monotonic() < deadline, "the UI never answered"
        time.sleep(0.2)
    servers = _children(process.pid)
    assert servers
    try:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=15)
        assert not any(_alive(pid) for pid in servers), "the Streamlit server outlived `up`"
        assert not port_answers(port), "the UI's port is still served after `up` has exited"
        assert code == 0, "a stop that was asked for is a clean end"
    finally:
        for pid in filter(_alive, servers):
            os.kill(pid, signal.SIGKILL)
