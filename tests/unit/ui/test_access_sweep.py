"""Every page of the web UI opened by someone who must not see the finance collection: an
anonymous visitor, a viewer of another collection, a user whose session expired, and one whose
account was disabled. None of them is shown its name, a document title or any of its text."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block, Dataframe

from assistant.storage.models import Role
from tests.unit.assistant.access_fakes import make_accounts
from tests.unit.ui.app_driver import APP, PASSWORD, Site, plain, signed_in
from ui.session import USER_KEY

pytestmark = pytest.mark.reliability(
    "access control",
    "every UI page: anonymous, viewer of another collection, expired session, disabled account",
)

USER_PAGES = ["ask", "search", "documents", "collections", "account"]
ADMIN_PAGES = ["users", "audit"]
PAGES = USER_PAGES + ADMIN_PAGES
FINANCE_SECRETS = ("finance", "budget.txt", "Globex", "forty million")


def everything_shown(at: AppTest) -> str:
    """All text of the rendered page: every element's content, labels and options, and the
    cells of every table."""
    parts: list[str] = []

    def walk(node: object) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        if isinstance(node, Dataframe):
            parts.append(node.value.to_string())
        if isinstance(node, Block):
            for child in node.children.values():
                walk(child)

    walk(at.main)
    walk(at.sidebar)
    return "\n".join(parts)


def titles(at: AppTest) -> list[str]:
    return [t.value for t in at.title]


def assert_nothing_of_finance(at: AppTest, where: str) -> None:
    assert not at.exception, at.exception
    shown = everything_shown(at).lower()
    leaked = [s for s in FINANCE_SECRETS if s.lower() in shown]
    assert not leaked, f"{where} shows {leaked}"


def test_the_sweep_sees_what_an_editor_of_finance_is_shown(site: Site) -> None:
    """The check that finds nothing below does find the collection where it may be shown,
    including on the administration pages, which the users below open too."""
    at = signed_in("root")
    for name, secret in [("documents", "budget.txt"), ("audit", "finance")]:
        at.switch_page(f"views/{name}.py").run()
        assert secret in everything_shown(at), name


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitors_get_the_sign_in_form_on_every_page(site: Site, name: str) -> None:
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.switch_page(f"views/{name}.py").run()
    assert titles(at) == ["Sign in"]
    assert_nothing_of_finance(at, f"{name} for an anonymous visitor")


@pytest.mark.parametrize("name", USER_PAGES)
def test_a_viewer_of_another_collection_sees_nothing_of_finance(site: Site, name: str) -> None:
    at = signed_in("alice")
    at.switch_page(f"views/{name}.py").run()
    assert_nothing_of_finance(at, f"{name} for a viewer of hr")


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_administration_pages_drawn_for_a_viewer_show_nothing(site: Site, name: str) -> None:
    """The navigation does not offer them; drawn directly, the service refuses their data."""
    at = AppTest.from_file(str(APP.parent / "views" / f"{name}.py"), default_timeout=30)
    at.session_state[USER_KEY] = site.as_user("alice")
    at.run()
    assert "Only administrators" in plain(at.error[0].value)
    assert_nothing_of_finance(at, f"{name} drawn for a viewer of hr")


@pytest.mark.parametrize("name", PAGES)
def test_an_expired_session_is_signed_out_on_every_page(site: Site, name: str) -> None:
    at = signed_in("root")
    site.clock.advance(hours=8, minutes=1)
    at.switch_page(f"views/{name}.py").run()
    assert titles(at) == ["Sign in"]
    assert_nothing_of_finance(at, f"{name} after the session expired")


@pytest.mark.parametrize("name", PAGES)
def test_a_disabled_account_is_signed_out_on_every_page(site: Site, name: str) -> None:
    make_accounts(site.assistant, clock=site.clock).create_user("dora", PASSWORD, Role.ADMIN)
    at = signed_in("dora")
    site.as_user("root").set_disabled("dora", True)
    at.switch_page(f"views/{name}.py").run()
    assert titles(at) == ["Sign in"]
    assert_nothing_of_finance(at, f"{name} after the account was disabled")
