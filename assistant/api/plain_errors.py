"""Starlette answers a request body over the size limit in plain text, outside every route and
error handler; this middleware turns such plain-text refusals into the API's JSON errors."""

from __future__ import annotations

import json

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.api.errors import too_large_detail


class PlainErrorsAsJson:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: Message | None = None
        text = b""

        async def relay(message: Message) -> None:
            nonlocal held, text
            if message["type"] == "http.response.start" and _plain_error(message):
                held = message
                return
            if held is None or message["type"] != "http.response.body":
                await send(message)
                return
            text += message.get("body", b"")
            if message.get("more_body", False):
                return
            status = held["status"]
            detail = text.decode("utf-8", "replace")
            if status == 413:
                detail = too_large_detail(scope)
            body = json.dumps({"detail": detail}).encode("utf-8")
            headers = MutableHeaders(raw=list(held["headers"]))
            headers["content-type"] = "application/json"
            headers["content-length"] = str(len(body))
            await send({**held, "headers": headers.raw})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, relay)


def _plain_error(start: Message) -> bool:
    if start["status"] < 400:
        return False
    for key, value in start.get("headers", []):
        if key.lower() == b"content-type":
            return bytes(value).startswith(b"text/plain")
    return False
