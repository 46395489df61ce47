"""A real installation for the browser tests: a fresh data directory, the first administrator
made with ``assistant create-admin``, ``streamlit run ui/app.py`` on a free local port, and
Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.browser.driver import CHROMIUM, CHROMIUM_ARGS
from tests.network import free_port

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "ui" / "app.py"
ADMIN = "admin"
ADMIN_PASSWORD = "lighthouse keeper 7"
START_TIMEOUT_S = 90.0


@dataclass(frozen=True)
class Server:
    """A running web UI: its address, its data directory, the file its output goes to and the
    settings it was given besides the data directory (none: the product's defaults)."""

    url: str
    data_dir: Path
    log: Path
    settings: dict[str, str]

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]


def server_environment(data_dir: Path) -> dict[str, str]:
    """This process's environment without its ``ASSISTANT_*`` settings, so the server runs the
    default product on ``data_dir`` and never reaches for the network."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(
        ASSISTANT_DATA_DIR=str(data_dir),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        STREAMLIT_BROWSER_GATHER_USAGE_STATS="false",
    )
    return env


def _create_admin(env: dict[str, str]) -> None:
    command = [sys.executable, "-c", "from assistant.cli import app; app()", "create-admin", ADMIN]
    done = subprocess.run(
        command,
        env={**env, "ASSISTANT_ADMIN_PASSWORD": ADMIN_PASSWORD},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"assistant create-admin failed:\n{done.stdout}\n{done.stderr}")


def _wait_healthy(url: str, process: subprocess.Popen[bytes], server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"streamlit exited with {process.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    pytest.fail(f"streamlit did not answer within {START_TIMEOUT_S:.0f} s:\n{server.log_tail()}")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """The web UI of a new installation whose only account is the first administrator."""
    data_dir = tmp_path / "data"
    env = server_environment(data_dir)
    _create_admin(env)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = {k: v for k, v in env.items() if k.startswith("ASSISTANT_")}
    settings.pop("ASSISTANT_DATA_DIR")
    running = Server(url, data_dir, tmp_path / "streamlit.log", settings)
    command = [sys.executable, "-m", "streamlit", "run", str(APP)]
    command += ["--server.headless=true", f"--server.port={port}", "--server.address=127.0.0.1"]
    command += ["--server.fileWatcherType=none", "--browser.gatherUsageStats=false"]
    with running.log.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        _wait_healthy(url, process, running)
        yield running
    finally:
        print(f"--- end of the streamlit output ---\n{running.log_tail()}")  # shown on failure
        process.terminate()
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
