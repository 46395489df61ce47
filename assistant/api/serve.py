"""Serving the API: open the installation, start loading the models, run uvicorn."""

from __future__ import annotations

import logging
import threading

import uvicorn

from assistant.api.app import create_app
from assistant.bootstrap import open_accounts
from assistant.service import Assistant
from assistant.settings import Settings

log = logging.getLogger(__name__)


def warm_up(assistant: Assistant) -> None:
    """Load the models and the index now rather than on the first request. A model that cannot
    be loaded is only logged here: the request that needs it reports it."""
    try:
        assistant.index.warm_up()
        assistant.generator.warm_up()
    except Exception:
        log.exception("loading the models in advance failed")


def serve(settings: Settings, *, host: str, port: int) -> None:
    """Serve the API of the installation ``settings`` describe until interrupted; the models
    load in the background, so the health check answers at once."""
    assistant = Assistant(settings)
    app = create_app(assistant, open_accounts(assistant))
    threading.Thread(target=warm_up, args=(assistant,), name="warm-up", daemon=True).start()
    uvicorn.run(app, host=host, port=port, server_header=False)
