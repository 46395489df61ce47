"""The web UI driven through Streamlit's AppTest: sign-in gate, session expiry, and each page.

The app runs on a temporary data directory with the model-free hashing embedder, and users
sign in through the login form as they would in a browser.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from assistant.collection_settings import answer_threshold
from assistant.guard.calibrator import Calibrator
from assistant.guard.policy import AnswerChecker
from assistant.settings import GuardSettings
from tests.unit.assistant.generation.fakes import ScriptedGenerator
from tests.unit.assistant.guard.fakes import (
    FixedDetector,
    citing_calibrator,
    support_calibrator,
)
from tests.unit.ui.app_driver import (
    APP,
    PASSWORD,
    BrokenGenerator,
    Site,
    button,
    markdown_text,
    page,
    plain,
    signed_in,
    text_input,
)
from ui import resources
from ui.session import TICKET_KEY, USER_KEY


def test_a_new_installation_says_how_to_create_the_first_admin(data_dir: Path) -> None:
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert "assistant create-admin" in at.warning[0].value
    assert [t.value for t in at.title] == ["Sign in"]


def test_only_signed_in_users_get_past_the_login_form(site: Site) -> None:
    assert not AppTest.from_file(str(APP), default_timeout=30).run().warning
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert [t.value for t in at.title] == ["Sign in"]
    assert not at.sidebar.button
    text_input(at, "Username").input("alice")
    text_input(at, "Password").input("not the password")
    button(at, "Sign in").click().run()
    assert "Wrong username or password" in plain(at.error[0].value)
    assert [t.value for t in at.title] == ["Sign in"]

    at = signed_in("alice")
    assert [t.value for t in at.title] == ["Ask"]
    assert ("alice", "login_failed") in site.audit()
    assert ("alice", "login") in site.audit()


def test_idle_sessions_expire_and_sign_out_ends_the_session(site: Site) -> None:
    at = signed_in("alice")
    site.clock.advance(hours=7)
    at.run()
    assert [t.value for t in at.title] == ["Ask"]  # each use renews the idle timer
    site.clock.advance(hours=8, minutes=1)
    at.run()
    assert [t.value for t in at.title] == ["Sign in"]
    assert "session has ended" in plain(at.info[0].value)
    assert TICKET_KEY not in at.session_state

    at = signed_in("alice")
    button(at.sidebar, "Sign out").click().run()
    assert [t.value for t in at.title] == ["Sign in"]
    assert site.audit()[-1] == ("alice", "logout")


def test_a_disabled_account_is_signed_out_on_its_next_click(site: Site) -> None:
    at = signed_in("alice")
    site.as_user("root").set_disabled("alice", True)
    at.run()
    assert [t.value for t in at.title] == ["Sign in"]


def test_ask_streams_a_cited_answer_from_readable_passages_only(
    site: Site, generator: ScriptedGenerator
) -> None:
    at = signed_in("alice")
    assert at.multiselect(key="ask_collections").options == ["hr"]
    at.text_input(key="ask_question").input("salary bonus Globex merger")
    button(at, "Ask").click().run()
    shown = markdown_text(at)
    assert 'Bands and the bonus are &lt;b&gt;set&lt;\\/b&gt; by policy <a href="#source-1"' in shown
    assert '<a id="source-1"></a>' in shown  # the citation opens its passage
    assert "Bands and the bonus are <b>set</b> by policy [1]." in plain(shown)
    assert "salaries\\.md" in shown
    assert "<mark>bonus</mark>" in shown  # cited words marked in the source passage
    assert "<mark>policy</mark>" in shown
    assert "Globex" not in shown.replace("salary bonus Globex merger", "")
    assert "budget" not in shown
    prompt = "".join(m["content"] for m in generator.prompts[-1])
    assert "budget" not in prompt
    # a document cannot inject markup, links or images
    assert "<script>" not in shown
    assert "&lt;script&gt;" in shown
    assert "](javascript" not in shown
    assert "![i](http" not in shown
    assert site.audit(action="ask") == [("alice", "ask")]
    at.run()  # the answer stays on the page without being asked again
    assert 'by policy <a href="#source-1"' in markdown_text(at)
    assert len(generator.prompts) == 1


def checker(model_support: float, fact_support: float, calibrator: Calibrator) -> AnswerChecker:
    return AnswerChecker(
        detectors=(
            FixedDetector("model", [model_support]),
            FixedDetector("facts", [fact_support], spans=True),
        ),
        calibrator=calibrator,
        threshold=partial(answer_threshold, GuardSettings(threshold=0.5)),
    )


@pytest.mark.parametrize("guards", [(checker(0.6, 0.2, citing_calibrator()),)])
def test_ask_shows_the_confidence_and_marks_an_unsupported_sentence(site: Site) -> None:
    at = signed_in("alice")
    at.text_input(key="ask_question").input("salary bonus")
    button(at, "Ask").click().run()
    shown = markdown_text(at)
    assert "⚠ <mark>Ba</mark>nds and the bonus" in shown
    captions = " ".join(c.value for c in at.caption)
    assert "Confidence 88%" in captions and "right about 9 times in 10" in captions
    assert "facts doubts it" in captions and "support 20%" in captions
    reasons = [plain(c.value) for c in at.caption if c.value.startswith("•")]
    assert reasons == ["• Every sentence cites a passage, which raises the confidence."]


@pytest.mark.parametrize("guards", [(checker(0.3, 1.0, support_calibrator()),)])
def test_ask_withholds_a_low_confidence_answer_and_shows_the_evidence(site: Site) -> None:
    at = signed_in("alice")
    at.text_input(key="ask_question").input("salary bonus")
    button(at, "Ask").click().run()
    assert "was not shown, for the reasons below" in plain(at.warning[0].value)
    reasons = [plain(c.value) for c in at.caption]
    assert reasons[:2] == [
        "• The confidence (2%) is below the 50% these collections require, so the answer was "
        "withheld.",
        "• The sentences are supported at only 30% on average, which lowers the confidence.",
    ]
    shown = markdown_text(at)
    assert "Bands and the bonus" not in shown
    assert [s.value for s in at.subheader] == ["Best evidence"]
    assert "<mark>Salary</mark>" in shown and "salaries\\.md" in shown


@pytest.mark.parametrize("generator", [BrokenGenerator([])])
def test_ask_falls_back_to_passages_when_no_answer_can_be_written(site: Site) -> None:
    at = signed_in("alice")
    at.text_input(key="ask_question").input("salary bonus")
    button(at, "Ask").click().run()
    assert "No answer could be written" in plain(at.warning[0].value)
    shown = markdown_text(at)
    assert "<mark>Salary</mark>" in shown
    assert "salaries\\.md" in shown


def test_editors_upload_in_the_background_and_see_per_file_results(site: Site) -> None:
    at = page(signed_in("bob"), "views/documents.py")
    assert at.selectbox(key="upload_collection").options == ["finance"]
    at.file_uploader(key="upload_files").set_value(
        [
            (
                "forecast.txt",
                b"Quarterly forecast of revenue and costs for the board.",
                "text/plain",
            ),
            ("broken.pdf", b"%PDF-1.7 this is not really a PDF", "application/pdf"),
        ]
    )
    button(at, "Upload and index").click().run()
    assert not at.exception, at.exception
    jobs = resources.ingest_jobs()
    for job in jobs.of("bob"):
        jobs.wait(job.id, timeout=30)
    at.run()
    statuses = at.dataframe[0].value
    assert dict(zip(statuses["file"], statuses["status"], strict=True)) == {
        "forecast.txt": "added",
        "broken.pdf": "failed",
    }
    assert statuses["error"][1]
    forecast = {column: statuses[column][0] for column in statuses.columns}
    assert forecast["stage"] == "ready"
    assert (forecast["pages"], forecast["chunks"], forecast["progress"]) == ("1 of 1", "1 of 1", 1)
    assert forecast["time left"] == ""
    documents = at.dataframe[1].value
    assert set(documents["document"]) == {"budget.txt", "forecast.txt", "broken.pdf"}
    assert ("bob", "upload") in site.audit()


def test_opening_and_deleting_a_document(site: Site) -> None:
    at = page(signed_in("bob"), "views/documents.py")
    assert at.selectbox(key="doc").options == ["finance / budget.txt"]
    button(at, "Open").click().run()
    assert "Globex merger" in markdown_text(at)
    at.checkbox(key="doc_delete_confirm").check().run()
    button(at, "Delete").click().run()
    assert "Deleted budget.txt" in plain(at.success[0].value)
    assert plain(at.info[0].value) == "No documents to show."
    assert [a for _, a in site.audit(username="bob")] == ["login", "open_document", "delete"]


def test_viewers_get_no_upload_form_and_only_their_documents(site: Site) -> None:
    at = page(signed_in("alice"), "views/documents.py")
    assert not at.get("file_uploader")
    assert list(at.dataframe[0].value["document"]) == ["salaries.md"]
    assert at.selectbox(key="doc").options == ["hr / salaries.md"]
    assert not [b for b in at.button if b.label in ("Delete", "Re-index")]


def test_collections_are_created_and_shared(site: Site) -> None:
    at = page(signed_in("bob"), "views/collections.py")
    at.text_input(key="new_collection_name").input("legal")
    button(at, "Create collection").click().run()
    assert "Created legal" in plain(at.success[0].value)
    at.selectbox(key="members_collection").select("legal").run()
    at.selectbox(key="grant_user").select("alice")
    at.selectbox(key="grant_right").select("viewer")
    button(at, "Grant").click().run()
    assert "alice now has the viewer right on legal" in plain(at.success[0].value)

    alice = page(signed_in("alice"), "views/collections.py")
    assert list(alice.dataframe[0].value["collection"]) == ["hr", "legal"]
    assert not alice.get("form")  # viewers neither create nor share


def test_admins_manage_users(site: Site) -> None:
    at = page(signed_in("root"), "views/users.py")
    at.text_input(key="new_username").input("erin")
    text_input(at, "Password (12 characters or more)").input("erin's long password")
    at.selectbox(key="new_role").select("editor")
    button(at, "Create user").click().run()
    assert "Created erin (editor)" in plain(at.success[0].value)
    at.selectbox(key="manage_user").select("erin").run()
    button(at, "Disable").click().run()
    assert "erin is disabled" in plain(at.success[0].value)
    at.selectbox(key="role_erin").select("viewer")
    button(at, "Set role").click().run()
    assert "erin is viewer" in plain(at.success[0].value)
    button(at, "Reset password").click().run()
    generated = at.code[0].value
    assert len(generated) >= 12
    users = at.dataframe[0].value
    assert dict(zip(users["user"], users["disabled"], strict=True))["erin"]
    actions = [a for _, a in site.audit(username="root")]
    assert actions[-4:] == ["user_created", "user_disabled", "role_changed", "password_reset"]
    assert dict(zip(users["user"], users["role"], strict=True))["erin"] == "viewer"


def test_administration_pages_are_not_offered_to_others_nor_work_for_them(site: Site) -> None:
    at = signed_in("bob")
    for name in ("users", "audit"):
        with pytest.raises(ValueError, match="navigation page"):
            at.switch_page(f"views/{name}.py")
        # even drawn directly, the page gets nothing: the service refuses
        direct = AppTest.from_file(str(APP.parent / "views" / f"{name}.py"), default_timeout=30)
        direct.session_state[USER_KEY] = site.as_user("bob")
        direct.run()
        assert "Only administrators" in plain(direct.error[0].value)
        assert not direct.dataframe


def test_audit_log_filters_and_downloads(site: Site) -> None:
    signed_in("alice")
    at = page(signed_in("root"), "views/audit.py")
    at.text_input(key="audit_user").input("alice")
    at.selectbox(key="audit_action").select("login").run()
    rows = at.dataframe[0].value
    assert list(rows["user"]) == ["alice"]
    assert list(rows["action"]) == ["login"]
    assert at.get("download_button")
    last_year = site.clock.now.date() - timedelta(days=365)
    at.date_input(key="audit_days").set_value((last_year, last_year + timedelta(days=1))).run()
    assert at.dataframe[0].value.empty
    at.text_input(key="audit_user").input("").run()
    at.date_input(key="audit_days").set_value((site.clock.now.date(), site.clock.now.date()))
    at.text_input(key="audit_collection").input("finance")
    at.selectbox(key="audit_action").select("grant").run()
    assert list(at.dataframe[0].value["user"]) == ["root"]


def test_changing_ones_password_keeps_the_session(site: Site) -> None:
    at = page(signed_in("alice"), "views/account.py")
    text_input(at, "Current password").input(PASSWORD)
    text_input(at, "New password (12 characters or more)").input("a new long password")
    text_input(at, "New password again").input("a new long password")
    button(at, "Change password").click().run()
    assert "Password changed" in plain(at.success[0].value)
    at.run()
    assert [t.value for t in at.title] == ["My account"]
    signed_in("alice", "a new long password")
