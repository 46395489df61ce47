"""What a newcomer meets first: the sign-in page says what the product is, and a first
administrator with a made-up password chooses their own before anything else."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from assistant.accounts import generate_password
from assistant.storage.models import Role
from tests.unit.assistant.access_fakes import make_accounts
from tests.unit.ui.app_driver import APP, Site, button, plain, signed_in, text_input
from ui import brand


def test_the_sign_in_page_names_the_product_and_says_what_it_does(data_dir: Path) -> None:
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert [t.value for t in at.title] == ["Sign in"]
    assert brand.NAME in at.markdown[0].value
    assert [c.value for c in at.caption] == [brand.TAGLINE]


def test_a_made_up_first_password_is_replaced_before_anything_else(site: Site) -> None:
    made_up = generate_password()
    make_accounts(site.assistant).create_user(
        "boss", made_up, Role.ADMIN, must_change_password=True
    )
    at = signed_in("boss", made_up)
    assert [t.value for t in at.title] == ["Choose your password"]
    at.switch_page("views/documents.py").run()
    assert [t.value for t in at.title] == ["Choose your password"]

    def submit(current: str, new: str, again: str) -> None:
        text_input(at, "Current password").input(current)
        text_input(at, "New password (12 characters or more)").input(new)
        text_input(at, "New password again").input(again)
        button(at, "Set password").click().run()

    submit(made_up, made_up, made_up)
    assert "must differ" in plain(at.error[0].value)
    submit(made_up, "my own password", "my own passw0rd")
    assert "passwords differ" in plain(at.error[0].value)
    assert [t.value for t in at.title] == ["Choose your password"]

    submit(made_up, "my own password", "my own password")
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert [t.value for t in at.title] == ["Documents"]  # the page asked for before
    assert ("boss", "password_changed") in site.audit()
    assert [t.value for t in signed_in("boss", "my own password").title] == ["Ask"]
