"""Checks on the deployment files: compose validity, no shipped secrets, safe image settings."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
REQUIRED_PASSWORD = re.compile(r"^\$\{POSTGRES_PASSWORD:\?[^}]+\}$")
URL_CREDENTIALS = re.compile(r"://[^:/@\s]+:(.*)@[^@]*$")
SECRET_KEY = re.compile(r"PASSWORD|SECRET|TOKEN", re.IGNORECASE)


def _compose_config(
    tmp_path: Path, password: str | None, profile: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``docker-compose config -q``; an empty env file keeps a local ``.env`` out of it."""
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose binary not installed (apt-get install -y docker-compose)")
    env_file = tmp_path / "empty.env"
    env_file.write_text("")
    env = {k: v for k, v in os.environ.items() if k != "POSTGRES_PASSWORD"}
    if password is not None:
        env["POSTGRES_PASSWORD"] = password
    profiles = ["--profile", profile] if profile else []
    return subprocess.run(
        [binary, "--env-file", str(env_file), "-f", str(COMPOSE_FILE), *profiles, "config", "-q"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _strings(node: object) -> Iterator[tuple[str, str]]:
    """Yield ``(key, value)`` for every string in the document; list items have an empty key."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str):
                yield str(key), value
            else:
                yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, str):
                key, sep, value = item.partition("=")
                yield (key, value) if sep else ("", item)
            else:
                yield from _strings(item)


def test_compose_config_accepts_file_when_password_is_set(tmp_path: Path) -> None:
    result = _compose_config(tmp_path, password="not-a-real-secret")
    assert result.returncode == 0, result.stderr


def test_compose_config_fails_loudly_without_password(tmp_path: Path) -> None:
    result = _compose_config(tmp_path, password=None)
    assert result.returncode != 0
    assert "set POSTGRES_PASSWORD" in result.stderr


def test_compose_ships_no_literal_secrets() -> None:
    checked = 0
    for key, value in _strings(_compose()):
        if SECRET_KEY.search(key):
            assert REQUIRED_PASSWORD.match(value), f"{key} must come from the environment"
            checked += 1
        for secret in URL_CREDENTIALS.findall(value):
            assert REQUIRED_PASSWORD.match(secret), f"literal credentials in {value!r}"
            checked += 1
    assert checked >= 2, "expected the postgres password and the UI database URL"


def test_compose_postgres_has_healthcheck_and_persistent_volume() -> None:
    compose = _compose()
    postgres = compose["services"]["postgres"]
    assert any("pg_isready" in part for part in postgres["healthcheck"]["test"])
    assert "postgres-data:/var/lib/postgresql/data" in postgres["volumes"]
    assert "postgres-data" in compose["volumes"]


def test_compose_ui_waits_for_healthy_postgres_and_persists_data() -> None:
    compose = _compose()
    ui = compose["services"]["ui"]
    assert ui["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert ui["environment"]["ASSISTANT_DATA_DIR"] == "/data"
    assert ui["environment"]["ASSISTANT_STORAGE__URL"].startswith("postgresql+psycopg://")
    assert "/_stcore/health" in " ".join(ui["healthcheck"]["test"])
    assert any(port.endswith(":8501:8501") for port in ui["ports"])
    assert "assistant-data:/data" in ui["volumes"]
    assert "assistant-data" in compose["volumes"]


def test_compose_config_accepts_the_ray_profile(tmp_path: Path) -> None:
    result = _compose_config(tmp_path, password="not-a-real-secret", profile="ray")
    assert result.returncode == 0, result.stderr


def test_compose_ray_profile_adds_a_head_and_workers_only_when_asked() -> None:
    services = _compose()["services"]
    head, worker = services["ray-head"], services["ray-worker"]
    assert head["profiles"] == worker["profiles"] == ["ray"]
    assert all("profiles" not in s for n, s in services.items() if not n.startswith("ray-"))
    assert head["image"] == worker["image"] == services["ui"]["image"]
    assert head["command"][:4] == ["ray", "start", "--head", "--block"]
    assert "--address=ray-head:6379" in worker["command"]
    assert worker["depends_on"] == {"ray-head": {"condition": "service_healthy"}}
    # the head runs the driver, which writes where the UI reads; workers never see storage
    assert head["environment"] == services["ui"]["environment"]
    assert "assistant-data:/data" in head["volumes"]
    assert not any("STORAGE" in key for key in worker["environment"])
    corpus = [m for m in head["volumes"] if m.endswith(":/corpus:ro")]
    assert corpus and corpus == worker["volumes"]


def test_compose_named_volumes_are_all_declared() -> None:
    compose = _compose()
    declared = set(compose["volumes"])
    for name, service in compose["services"].items():
        for mount in service.get("volumes", []):
            source = mount.split(":", 1)[0]
            if not source.startswith((".", "/", "~")):
                assert source in declared, f"service {name} uses undeclared volume {source}"


def test_dockerfile_runs_offline_as_non_root_with_cpu_torch() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    users = re.findall(r"^USER\s+(\S+)", text, flags=re.MULTILINE)
    assert users, "the image must switch to an unprivileged user"
    assert users[-1] not in {"root", "0"}
    assert re.search(r"HF_HUB_OFFLINE=1\b", text)
    assert re.search(r"ASSISTANT_DATA_DIR=/data\b", text)
    assert re.search(r"^HEALTHCHECK\b.*_stcore/health", text, flags=re.MULTILINE | re.DOTALL)
    torch_cpu = text.find("download.pytorch.org/whl/cpu")
    project = text.find('pip install ".[postgres,scale]"')
    assert 0 <= torch_cpu < project, "CPU torch must be installed before the project"


def test_compose_api_serves_on_localhost_with_a_healthcheck() -> None:
    compose = _compose()
    api = compose["services"]["api"]
    assert api["command"] == ["assistant", "api", "--host", "0.0.0.0", "--port", "8000"]
    assert api["ports"] == ["${ASSISTANT_API_BIND:-127.0.0.1}:8000:8000"]
    assert "/v1/health" in " ".join(api["healthcheck"]["test"])
    assert api["depends_on"]["postgres"]["condition"] == "service_healthy"
    ui_database = compose["services"]["ui"]["environment"]["ASSISTANT_STORAGE__URL"]
    assert api["environment"]["ASSISTANT_STORAGE__URL"] == ui_database
    assert "assistant-data:/data" in api["volumes"]
