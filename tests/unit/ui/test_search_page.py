"""The Search page: ranked passages from readable collections only, narrowed to a document or
pages, every hit escaped, a table shown as a table, and each hit opening in the source viewer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.passages import ChunkView, Passage
from assistant.storage.models import Right, Role
from tests.unit.assistant.access_fakes import make_accounts
from tests.unit.ui.app_driver import (
    PASSWORD,
    Site,
    button,
    dialog,
    markdown_text,
    page,
    signed_in,
)
from ui.views.search import Narrowing

SEARCH = "views/search.py"


def search_for(username: str, query: str) -> str:
    at = page(signed_in(username), SEARCH)
    at.text_input(key="search_query").input(query)
    button(at, "Search").click().run()
    assert not at.exception, at.exception
    return markdown_text(at)


def test_a_viewer_finds_passages_of_the_collections_it_reads_only(site: Site) -> None:
    at = page(signed_in("alice"), SEARCH)
    assert at.multiselect(key="search_collections").options == ["hr"]

    shown = search_for("alice", "salary bonus Globex merger budget")

    assert "salaries\\.md" in shown
    assert "<mark>bonus</mark>" in shown
    assert "budget" not in shown.lower()
    assert "globex" not in shown.lower()
    # a document cannot inject markup, links or images
    assert "<script>" not in shown
    assert "&lt;script&gt;" in shown
    assert "](javascript" not in shown
    assert ("alice", "search") in site.audit(action="search")


def test_an_editor_of_the_other_collection_finds_its_passages_only(site: Site) -> None:
    shown = search_for("bob", "salary bonus Globex merger budget")

    assert "budget\\.txt" in shown
    assert "<mark>Globex</mark>" in shown
    assert "salaries" not in shown


def test_an_empty_query_asks_for_one_and_searches_nothing(site: Site) -> None:
    at = page(signed_in("alice"), SEARCH)
    button(at, "Search").click().run()

    assert "Type what to search for" in at.warning[0].value
    assert site.audit(action="search") == []


def test_a_user_without_a_readable_collection_is_told_so(site: Site) -> None:
    make_accounts(site.assistant, clock=site.clock).create_user("carol", PASSWORD, Role.VIEWER)

    at = page(signed_in("carol"), SEARCH)

    assert "cannot read any collection" in at.info[0].value
    assert not at.text_input


def test_hits_are_narrowed_to_the_chosen_document(site: Site) -> None:
    at = page(signed_in("root"), SEARCH)
    documents = at.selectbox(key="search_document")
    assert documents.options == ["All documents", "budget.txt (finance)", "salaries.md (hr)"]
    at.text_input(key="search_query").input("salary bonus Globex merger budget")
    documents.select("salaries.md (hr)")
    button(at, "Search").click().run()

    shown = markdown_text(at)
    assert "salaries\\.md" in shown
    assert "budget" not in shown.lower()


def test_a_page_range_leaves_out_passages_without_pages(site: Site) -> None:
    at = page(signed_in("root"), SEARCH)
    at.text_input(key="search_query").input("salary bonus Globex merger budget")
    at.number_input(key="search_from").set_value(2)
    button(at, "Search").click().run()

    assert "No passage matches this query in the chosen document and pages" in at.info[0].value
    assert "salaries" not in markdown_text(at)


def test_a_backward_page_range_is_refused(site: Site) -> None:
    at = page(signed_in("root"), SEARCH)
    at.text_input(key="search_query").input("bonus")
    at.number_input(key="search_from").set_value(5)
    at.number_input(key="search_to").set_value(2)
    button(at, "Search").click().run()

    assert "first page comes after the last" in at.warning[0].value


def test_a_table_passage_is_shown_as_an_escaped_table(site: Site, tmp_path: Path) -> None:
    rates = tmp_path / "rates.md"
    rates.write_text(
        "# Rates\n\n| Band | Rate |\n|---|---|\n| Senior <b>x</b> | 120 |\n| Junior | 80 |\n"
    )
    site.assistant.ingest([rates], collection="hr")

    shown = search_for("alice", "senior junior band rate")

    assert "| Band | Rate |\n|---|---|" in shown
    assert "| Senior &lt;b&gt;x&lt;\\/b&gt; | 120 |" in shown


def chunk(document_id: int, page: int | None) -> Passage:
    view = ChunkView(1, "text", document_id, "f.pdf", "hr", page, 0, 4, "", False)
    return Passage(view, 1.0)


@pytest.mark.parametrize(
    ("narrowing", "kept"),
    [
        (Narrowing(), [True, True, True]),
        (Narrowing(document_id=7), [True, False, True]),
        (Narrowing(first_page=3), [True, True, False]),
        (Narrowing(last_page=2), [False, False, False]),
        (Narrowing(document_id=7, first_page=1, last_page=3), [True, False, False]),
    ],
)
def test_narrowing_keeps_the_document_and_pages_asked_for(
    narrowing: Narrowing, kept: list[bool]
) -> None:
    passages = [chunk(7, 3), chunk(8, 3), chunk(7, None)]

    assert [narrowing.keeps(p) for p in passages] == kept


def test_a_viewer_granted_a_second_collection_can_narrow_to_it(site: Site) -> None:
    site.as_user("root").grant("finance", "alice", Right.VIEWER)
    at = page(signed_in("alice"), SEARCH)
    at.multiselect(key="search_collections").set_value(["finance"]).run()

    assert at.selectbox(key="search_document").options == ["All documents", "budget.txt (finance)"]


def test_every_hit_opens_its_source_a_pdf_hit_on_its_page(pdf_site: Site) -> None:
    """Hits offer their source as the Ask page's passages do; the page shown is audited."""
    at = page(signed_in("alice"), SEARCH)
    at.text_input(key="search_query").input("bonus payments March salary bands")
    button(at, "Search").click().run()
    headings = [m.value for m in at.markdown if re.match(r"\*\*\d+\. ", m.value)]
    opens = {b.key: b for b in at.button if b.key and b.key.startswith("search-source-")}
    assert len(opens) == len(headings) >= 2
    assert {b.label for b in opens.values()} == {"Show on the page", "Show in the document"}
    [rank] = [
        h.split(".", 1)[0].strip("*") for h in headings if "policy\\.pdf** · hr · page 2" in h
    ]
    [key] = [key for key in opens if key.startswith(f"search-source-{rank}-")]
    assert opens[key].label == "Show on the page"

    opens[key].click().run()
    assert not at.exception, at.exception
    viewer = dialog(at)
    assert "**policy\\.pdf** · hr · page 2" in viewer.markdown[0].value
    assert [caption.value for caption in viewer.caption] == ["Page 2 of 2"]
    assert len(viewer.get("image")) == 1
    assert pdf_site.audit(action="view_page") == [("alice", "view_page")]
