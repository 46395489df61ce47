"""A bounded load test of the REST API as an operator runs it: `assistant api` in its own
process, several users asking at once while documents are uploaded one after another.

It shows how latency grows when requests queue behind the one generator, that no request
fails under that load, and that storage and indexes still agree afterwards.

    python -m bench.load_api [--users 8] [--questions 3] [--uploads 10] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from assistant.accounts import generate_password
from assistant.api_tokens import ApiTokens
from assistant.bootstrap import create_admin, open_accounts
from assistant.samples import sample_files
from assistant.service import Assistant
from assistant.settings import Settings, StorageSettings
from bench.common import print_table, write_result

COLLECTION = "samples"
ADMIN = "loadadmin"
QUESTIONS = (
    "How long do the confidentiality obligations of the mutual NDA survive?",
    "Which law governs the non-disclosure agreement between Northwind and Contoso?",
    "What blood pressure reading confirms a diagnosis of hypertension?",
    "What is the blood pressure treatment target for most adults?",
    "What was Kestrel Ridge Instruments' total revenue in FY2025?",
    "What are the principal risks named in the annual report?",
    "How much notice is needed to terminate the NDA for convenience?",
    "When should drug treatment for hypertension be started?",
)
_CLI = "from assistant.cli import app; app()"


@dataclass(frozen=True)
class Sample:
    """One request: what it was, how long it took, and how it ended (status 0: no response)."""

    kind: str
    latency_s: float
    status: int
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None or not 200 <= self.status < 300


def summary(samples: list[Sample], kind: str) -> dict[str, Any]:
    """Latency percentiles (in seconds) and the error count of one kind of request."""
    mine = [s for s in samples if s.kind == kind]
    latencies = [s.latency_s for s in mine]
    return {
        "requests": len(mine),
        "errors": sum(s.failed for s in mine),
        **{
            f"p{share}_s": round(float(np.percentile(latencies, share, method="inverted_cdf")), 2)
            if latencies
            else None
            for share in (50, 95)
        },
        "max_s": round(max(latencies), 2) if latencies else None,
        "failures": [f"{s.status} {s.error or ''}".strip() for s in mine if s.failed],
    }


def upload_text(number: int) -> tuple[str, bytes, str]:
    """A small, distinct document for upload ``number``: alternately Markdown and plain text."""
    topic = f"Site bulletin {number}"
    body = (
        f"The storeroom on floor {number} opens at {7 + number % 3} o'clock. "
        f"Visitors sign in at desk {100 + number} and wear badge colour number {number}. "
        "Deliveries above twenty kilograms go through the loading bay."
    )
    if number % 2:
        return f"bulletin_{number:02d}.txt", f"{topic}\n\n{body}\n".encode(), "text/plain"
    return f"bulletin_{number:02d}.md", f"# {topic}\n\n{body}\n".encode(), "text/markdown"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_env(data_dir: Path, postgres_url: str | None, max_new_tokens: int) -> dict[str, str]:
    """The environment of the server and of `assistant check`: this installation, offline."""
    env = dict(os.environ)
    env["HF_HUB_OFFLINE"] = "1"
    env["ASSISTANT_DATA_DIR"] = str(data_dir)
    env["ASSISTANT_GENERATION__MAX_NEW_TOKENS"] = str(max_new_tokens)
    if postgres_url:
        env["ASSISTANT_STORAGE__URL"] = postgres_url
    else:
        env.pop("ASSISTANT_STORAGE__URL", None)
    return env


def prepare(data_dir: Path, postgres_url: str | None) -> str:
    """A new installation holding the sample corpus and an administrator; returns their token."""
    settings = Settings(data_dir=data_dir, storage=StorageSettings(url=postgres_url))
    assistant = Assistant(settings)
    try:
        report = assistant.ingest(sample_files(), collection=COLLECTION)
        print(f"ingested the sample corpus: {len(report.results)} files", file=sys.stderr)
        accounts = open_accounts(assistant)
        create_admin(accounts, ADMIN, generate_password())
        return ApiTokens(assistant.sessions, audit=accounts.audit).create(ADMIN).token
    finally:
        assistant.engine.dispose()


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-c", _CLI, "api", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_healthy(base_url: str, server: subprocess.Popen[bytes], limit_s: float) -> float:
    """Seconds until /v1/health answers; exits when the server dies or takes too long."""
    started = time.monotonic()
    while time.monotonic() - started < limit_s:
        if server.poll() is not None:
            sys.exit(f"the API server exited with status {server.returncode}")
        try:
            if httpx.get(f"{base_url}/v1/health", timeout=2).status_code == 200:
                return time.monotonic() - started
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    sys.exit(f"the API server did not answer /v1/health within {limit_s:.0f} s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


async def timed(kind: str, request: Any) -> Sample:
    """Await ``request`` and record it; exceptions become failed samples, not crashes."""
    started = time.perf_counter()
    try:
        response: httpx.Response = await request
    except httpx.HTTPError as exc:
        return Sample(kind, time.perf_counter() - started, 0, f"{type(exc).__name__}: {exc}")
    latency = time.perf_counter() - started
    error = None if response.is_success else response.text[:200]
    return Sample(kind, latency, response.status_code, error)


async def user(client: httpx.AsyncClient, number: int, questions: int) -> list[Sample]:
    """One user asking ``questions`` questions in turn, each after the previous answer."""
    samples = []
    for turn in range(questions):
        question = QUESTIONS[(number + turn) % len(QUESTIONS)]
        body = {"question": question, "collections": [COLLECTION], "stream": False}
        samples.append(await timed("ask", client.post("/v1/ask", json=body)))
    return samples


async def uploader(client: httpx.AsyncClient, uploads: int) -> tuple[list[Sample], list[str]]:
    """Upload ``uploads`` documents one at a time; returns the samples and the names added."""
    samples, added = [], []
    for number in range(1, uploads + 1):
        name, content, media_type = upload_text(number)
        files = [("files", (name, content, media_type))]
        url = f"/v1/collections/{COLLECTION}/documents"
        sample = await timed("upload", client.post(url, files=files))
        samples.append(sample)
        if not sample.failed:
            added.append(name)
    return samples, added


async def load(
    base_url: str, token: str, args: argparse.Namespace
) -> tuple[list[Sample], list[str], float]:
    """Run the users and the uploader together; returns every sample, the uploaded names and
    the wall time of the whole load."""
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=args.users + 2)
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, timeout=args.timeout_s, limits=limits
    ) as client:
        started = time.perf_counter()
        users = asyncio.gather(*(user(client, n, args.questions) for n in range(args.users)))
        asked, (uploaded, names) = await asyncio.gather(users, uploader(client, args.uploads))
        wall = time.perf_counter() - started
    return [s for batch in asked for s in batch] + uploaded, names, wall


def warm_up(base_url: str, token: str, timeout_s: float) -> float:
    """One question before the load, so that loading the models is not counted as queueing."""
    started = time.perf_counter()
    response = httpx.post(
        f"{base_url}/v1/ask",
        json={"question": QUESTIONS[0], "collections": [COLLECTION], "stream": False},
        headers={"Authorization": f"Bearer {token}"},
        timeout=timeout_s,
    )
    if not response.is_success:
        sys.exit(f"the warm-up question failed: {response.status_code} {response.text[:200]}")
    return time.perf_counter() - started


def listed_names(base_url: str, token: str) -> set[str]:
    response = httpx.get(
        f"{base_url}/v1/collections/{COLLECTION}/documents",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    response.raise_for_status()
    return {d["file_name"] for d in response.json()}


def index_check(env: dict[str, str]) -> tuple[bool, str]:
    """`assistant check` on the stopped installation: whether it found no drift, and its words."""
    done = subprocess.run(
        [sys.executable, "-c", _CLI, "check"], env=env, capture_output=True, text=True, timeout=600
    )
    return done.returncode == 0, " ".join((done.stdout + done.stderr).split())


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=8, help="concurrent users asking")
    parser.add_argument("--questions", type=int, default=3, help="questions per user")
    parser.add_argument("--uploads", type=int, default=10, help="documents uploaded meanwhile")
    parser.add_argument("--max-new-tokens", type=int, default=40, help="generation cap")
    parser.add_argument("--timeout-s", type=float, default=300.0, help="limit per request")
    parser.add_argument("--postgres-url", help="an empty PostgreSQL database instead of SQLite")
    args = parser.parse_args(argv)
    for name in ("users", "questions", "max_new_tokens", "timeout_s"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive")
    if args.uploads < 0:
        parser.error("--uploads must not be negative")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="load-api-") as tmp:
        data_dir = Path(tmp) / "data"
        token = prepare(data_dir, args.postgres_url)
        env = server_env(data_dir, args.postgres_url, args.max_new_tokens)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        log = Path(tmp) / "server.log"
        server = start_server(env, port, log)
        try:
            startup_s = wait_healthy(base_url, server, 120)
            warm_up_s = warm_up(base_url, token, args.timeout_s)
            samples, uploaded, wall_s = asyncio.run(load(base_url, token, args))
            missing = sorted(set(uploaded) - listed_names(base_url, token))
        finally:
            stop_server(server)
        consistent, check_output = index_check(env)
        if server.returncode not in (0, -signal.SIGINT):
            print(log.read_text(encoding="utf-8", errors="replace")[-2000:], file=sys.stderr)

    ask, upload = summary(samples, "ask"), summary(samples, "upload")
    print_table(
        ["requests", "count", "errors", "p50 s", "p95 s", "max s"],
        [
            [kind, s["requests"], s["errors"], s["p50_s"], s["p95_s"], s["max_s"]]
            for kind, s in (("ask", ask), ("upload", upload))
        ],
    )
    print(
        f"\n{args.users} users x {args.questions} questions and {args.uploads} uploads in "
        f"{wall_s:.1f} s; health after {startup_s:.1f} s, warm-up question {warm_up_s:.1f} s; "
        f"uploaded files missing from the listing: {len(missing)}; index check: {check_output}"
    )
    path = write_result(
        "load_api",
        {
            "storage": "postgresql" if args.postgres_url else "sqlite",
            "users": args.users,
            "questions_per_user": args.questions,
            "uploads": args.uploads,
            "max_new_tokens": args.max_new_tokens,
            "timeout_s": args.timeout_s,
            "startup_s": round(startup_s, 2),
            "warm_up_ask_s": round(warm_up_s, 2),
            "wall_s": round(wall_s, 2),
            "ask": ask,
            "upload": upload,
            "errors": ask["errors"] + upload["errors"],
            "uploaded_missing_from_listing": missing,
            "index_consistent": consistent,
            "index_check_output": check_output,
        },
    )
    print(f"written to {path}")
    if ask["errors"] or upload["errors"] or missing or not consistent:
        sys.exit(1)


if __name__ == "__main__":
    main()
