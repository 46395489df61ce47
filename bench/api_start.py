"""How soon `assistant api` answers after it starts, as an operator restarts it.

A new installation with the sample corpus is served by `assistant api` in its own process,
started ``--runs`` times on the same data directory (the first start converts the answer model;
later ones map it in). Each start is timed to its health check, to the answer of a question
the table reader answers, and then to the answer of a question the answer model drafts, each
asked as soon as the one before is answered. The server loads its models in the background
from its start, so these are the times a user waits after a restart.

    python -m bench.api_start [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import print_table, write_result
from bench.load_api import (
    COLLECTION,
    free_port,
    prepare,
    server_env,
    start_server,
    stop_server,
    wait_healthy,
)

TABLE_QUESTION = "What was Kestrel Ridge's total revenue in FY2025?"
DRAFTED_QUESTION = "What blood pressure reading confirms a diagnosis of hypertension?"
MAX_NEW_TOKENS = 40


def _ask(base_url: str, token: str, question: str) -> None:
    response = httpx.post(
        f"{base_url}/v1/ask",
        json={"question": question, "collections": [COLLECTION], "stream": False},
        headers={"Authorization": f"Bearer {token}"},
        timeout=300,
    )
    response.raise_for_status()


def timed_start(env: dict[str, str], token: str, log: Path) -> dict[str, float]:
    """Seconds from starting the server to its health check and to each answer."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    server = start_server(env, port, log)
    try:
        wait_healthy(base_url, server, 120)
        healthy = time.perf_counter() - started
        _ask(base_url, token, TABLE_QUESTION)
        table = time.perf_counter() - started
        _ask(base_url, token, DRAFTED_QUESTION)
        drafted = time.perf_counter() - started
    finally:
        stop_server(server)
    return {"health_s": healthy, "table_answer_s": table, "drafted_answer_s": drafted}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="starts, the first one converting")
    args = parser.parse_args()
    if args.runs < 2:
        parser.error("--runs must be at least 2: the first start converts the answer model")
    with tempfile.TemporaryDirectory(prefix="api-start-") as tmp:
        data_dir = Path(tmp) / "data"
        token = prepare(data_dir, None)
        env = server_env(data_dir, None, MAX_NEW_TOKENS)
        runs = [timed_start(env, token, Path(tmp) / f"server-{n}.log") for n in range(args.runs)]
    first, restarts = runs[0], runs[1:]
    rows = [["first start (converts the answer model)", *(f"{v:.1f}" for v in first.values())]]
    medians = {key: statistics.median(r[key] for r in restarts) for key in first}
    rows.append([f"restart (median of {len(restarts)})", *(f"{v:.1f}" for v in medians.values())])
    print_table(["start", "healthy s", "table answer s", "drafted answer s"], rows)
    path = write_result(
        "api_start",
        {
            "table_question": TABLE_QUESTION,
            "drafted_question": DRAFTED_QUESTION,
            "runs": [{k: round(v, 2) for k, v in run.items()} for run in runs],
            "restart_median": {k: round(v, 2) for k, v in medians.items()},
        },
    )
    print(f"written to {path}")


if __name__ == "__main__":
    main()
