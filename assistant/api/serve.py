"""Serving the API: open the installation, recover and load the models, run uvicorn."""

from __future__ import annotations

import threading

import uvicorn

from assistant.api.app import create_app
from assistant.bootstrap import open_accounts
from assistant.service import Assistant
from assistant.settings import Settings


def serve(settings: Settings, *, host: str, port: int) -> None:
    """Serve the API of the installation ``settings`` describe until interrupted; recovery from
    a crash and the models' loading run in the background, so the health check answers at
    once."""
    assistant = Assistant(settings)
    app = create_app(assistant, open_accounts(assistant))
    threading.Thread(target=assistant.start_up, name="start-up", daemon=True).start()
    uvicorn.run(app, host=host, port=port, server_header=False)
