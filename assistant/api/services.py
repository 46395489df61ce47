"""What the API's routes work with: the service, the accounts and the API tokens, kept on the
application's state and handed to routes as a dependency."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from assistant.accounts import Accounts
from assistant.api_tokens import ApiTokens
from assistant.service import Assistant


@dataclass(frozen=True)
class Services:
    assistant: Assistant
    accounts: Accounts
    tokens: ApiTokens


def get_services(request: Request) -> Services:
    services = request.app.state.services
    if not isinstance(services, Services):
        raise TypeError("the application was not built by create_app")
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
