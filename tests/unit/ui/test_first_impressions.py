"""What a newcomer meets first: the sign-in page says what the product is."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.unit.ui.app_driver import APP
from ui import brand


def test_the_sign_in_page_names_the_product_and_says_what_it_does(data_dir: Path) -> None:
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert [t.value for t in at.title] == ["Sign in"]
    assert brand.NAME in at.markdown[0].value
    assert [c.value for c in at.caption] == [brand.TAGLINE]
