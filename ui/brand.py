"""The product's name and the line that says what it does, as the browser tab and the sign-in
page show them."""

from __future__ import annotations

NAME = "Domain assistant"
TAGLINE = (
    "Answers from your own documents, cited to the page and checked against them; "
    "nothing leaves this machine."
)
ICON = "📚"
