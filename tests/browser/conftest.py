"""A real installation for the browser tests, started as a new user starts one: ``assistant up``
on a fresh data directory (without the sample corpus) and a free local port, which creates the
first administrator and prints its password once; and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.browser.driver import CHROMIUM, CHROMIUM_ARGS
from tests.network import free_port

ROOT = Path(__file__).resolve().parents[2]
ADMIN = "admin"
START_TIMEOUT_S = 90.0
# What `assistant up` prints on a first start: the line before the password, then the password.
_FIRST_PASSWORD = re.compile(r"first sign-in:\n(\S+)\n")


@dataclass(frozen=True)
class Server:
    """A running web UI: its address, its data directory, the file its output goes to, the
    settings it was given besides the data directory (none: the product's defaults) and the
    first administrator's password as ``assistant up`` printed it."""

    url: str
    data_dir: Path
    log: Path
    settings: dict[str, str]
    first_password: str = ""

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]


def server_environment(data_dir: Path) -> dict[str, str]:
    """This process's environment without its ``ASSISTANT_*`` settings, so the server runs the
    default product on ``data_dir`` (an administrator password made up and printed, as on a
    new installation) and never reaches for the network; Streamlit listens on this machine
    only and does not watch files, and the output is written as it comes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(
        ASSISTANT_DATA_DIR=str(data_dir),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        PYTHONUNBUFFERED="1",
        STREAMLIT_BROWSER_GATHER_USAGE_STATS="false",
        STREAMLIT_SERVER_ADDRESS="127.0.0.1",
        STREAMLIT_SERVER_FILE_WATCHER_TYPE="none",
    )
    return env


def _first_password(server: Server) -> str:
    found = _FIRST_PASSWORD.search(server.log.read_text(encoding="utf-8", errors="replace"))
    if found is None:
        pytest.fail(f"assistant up printed no first password:\n{server.log_tail()}")
    return found.group(1)


def _wait_healthy(url: str, process: subprocess.Popen[bytes], server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"assistant up exited with {process.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    pytest.fail(f"the web UI did not answer within {START_TIMEOUT_S:.0f} s:\n{server.log_tail()}")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """The web UI of a new installation whose only account is the first administrator, who
    must replace the printed password at the first sign-in."""
    data_dir = tmp_path / "data"
    env = server_environment(data_dir)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = {k: v for k, v in env.items() if k.startswith("ASSISTANT_")}
    settings.pop("ASSISTANT_DATA_DIR")
    running = Server(url, data_dir, tmp_path / "up.log", settings)
    command = [sys.executable, "-c", "from assistant.cli import app; app()", "up"]
    command += ["--no-samples", f"--port={port}"]
    with running.log.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        _wait_healthy(url, process, running)
        yield replace(running, first_password=_first_password(running))
    finally:
        print(f"--- end of the server output ---\n{running.log_tail()}")  # shown on failure
        process.terminate()  # `assistant up` stops its Streamlit child
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, on a fresh profile."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
