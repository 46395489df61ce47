"""The user-scoped service: rights are checked in the service and every action is audited.

The central promise: a collection a user may not read behaves exactly like one that does not
exist, through every method.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.accounts import AccountError, Accounts, UnknownUserError
from assistant.answering import Answer
from assistant.audit import AuditAction, AuditQuery
from assistant.passages import Passage
from assistant.permissions import PermissionDeniedError
from assistant.scoped import CollectionAccess, Member, ScopedAssistant
from assistant.service import Assistant
from assistant.storage.models import Right, Role
from assistant.storage.repository import NotFoundError
from tests.unit.assistant.access_fakes import make_accounts, make_assistant
from tests.unit.assistant.generation.fakes import ScriptedGenerator

PASSWORD = "correct horse battery"
HR_TEXT = "Salary bands and the annual bonus policy of the human resources department."
FINANCE_TEXT = "Confidential budget policy: the secret merger with Globex costs forty million."
SECRETS = ("budget", "Globex", "merger", "forty million", "budget.txt")


@dataclass
class World:
    assistant: Assistant
    accounts: Accounts
    hr_doc: int
    finance_doc: int
    folder: Path

    def as_user(self, username: str) -> ScopedAssistant:
        return ScopedAssistant(self.assistant, self.accounts, username)

    def file(self, name: str, text: str) -> Path:
        path = self.folder / name
        path.write_text(text, encoding="utf-8")
        return path

    def events(self, **filters: str) -> list[tuple[str, str, str | None]]:
        entries = self.accounts.audit.query(AuditQuery(**filters))  # type: ignore[arg-type]
        return [(e.username, e.action, e.collection) for e in reversed(entries)]


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> Iterator[World]:
    """hr and finance collections; alice reads hr, bob edits finance, carol (editor role)
    reads hr, dave has no grants."""
    assistant = make_assistant(tmp_path / "data", database_url)
    accounts = make_accounts(assistant)
    folder = tmp_path / "files"
    folder.mkdir()
    w = World(assistant, accounts, 0, 0, folder)
    hr = assistant.ingest([w.file("salaries.txt", HR_TEXT)], collection="hr")
    finance = assistant.ingest([w.file("budget.txt", FINANCE_TEXT)], collection="finance")
    w.hr_doc = hr.results[0].document_id or 0
    w.finance_doc = finance.results[0].document_id or 0
    accounts.create_user("root", PASSWORD, Role.ADMIN)
    for name, role in [("alice", Role.VIEWER), ("bob", Role.EDITOR), ("carol", Role.EDITOR)]:
        accounts.create_user(name, PASSWORD, role)
    accounts.create_user("dave", PASSWORD, Role.VIEWER)
    root = w.as_user("root")
    root.grant("hr", "alice", Right.VIEWER)
    root.grant("finance", "bob", Right.EDITOR)
    root.grant("hr", "carol", Right.VIEWER)
    yield w
    assistant.engine.dispose()


def outcome(call: Callable[[], object]) -> str:
    """What a caller learns from a call: its result, or its error's type and message."""
    try:
        return f"result {call()!r}"
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


def answer_seen(answer: Answer) -> tuple[str, tuple[Passage, ...], bool]:
    """What a user reads of an answer (its timings differ from call to call)."""
    return answer.text, answer.passages, answer.abstained


Probe = Callable[[ScopedAssistant, str, int, Path], object]

PROBES: dict[str, Probe] = {
    "search": lambda u, c, d, f: u.search("secret merger budget", collections=[c]),
    "search dense": lambda u, c, d, f: u.search("Globex", collections=[c], k=50, mode="dense"),
    "search bm25": lambda u, c, d, f: u.search("Globex", collections=[c], mode="bm25"),
    "ask": lambda u, c, d, f: answer_seen(u.ask("What is the budget for Globex?", collections=[c])),
    "documents": lambda u, c, d, f: u.documents(collections=[c]),
    "open document": lambda u, c, d, f: u.open_document(d),
    "re-index": lambda u, c, d, f: u.reindex_document(d),
    "upload": lambda u, c, d, f: u.upload([f], collection=c),
    "delete": lambda u, c, d, f: u.delete_document(collection=c, file_name="budget.txt"),
    "members": lambda u, c, d, f: u.members(c),
    "grant": lambda u, c, d, f: u.grant(c, "alice", Right.VIEWER),
    "revoke": lambda u, c, d, f: u.revoke(c, "bob"),
}


@pytest.mark.parametrize("probe", PROBES.values(), ids=PROBES.keys())
def test_a_hidden_collection_behaves_exactly_like_a_missing_one(world: World, probe: Probe) -> None:
    alice = world.as_user("alice")
    upload = world.file("new.txt", "A new memo about nothing in particular at all.")
    hidden = outcome(lambda: probe(alice, "finance", world.finance_doc, upload))
    missing = outcome(lambda: probe(alice, "ghost", 10**6, upload))
    normalised = hidden.replace("finance", "ghost").replace(str(world.finance_doc), str(10**6))
    assert normalised == missing
    assert not any(secret in hidden for secret in SECRETS)


def test_listings_and_open_searches_show_only_readable_collections(world: World) -> None:
    alice = world.as_user("alice")
    assert alice.collections() == [CollectionAccess("hr", Right.VIEWER, can_grant=False)]
    assert [d.file_name for d in alice.documents()] == ["salaries.txt"]
    for mode in ("hybrid", "bm25", "dense"):
        passages = alice.search("secret merger Globex budget policy", k=50, mode=mode)
        assert {p.chunk.collection for p in passages} <= {"hr"}
        assert not any(s in repr(passages) for s in SECRETS)
    # the filter runs before ranking: dense search still fills the page from hr
    dense = alice.search("Globex merger", k=50, mode="dense")
    assert [p.chunk.file_name for p in dense] == ["salaries.txt"]
    assert world.as_user("dave").collections() == []
    assert world.as_user("dave").search("policy") == []


def test_answers_are_written_from_readable_passages_only(world: World) -> None:
    streamed: list[str] = []
    answer = world.as_user("alice").ask("salary and bonus policy", on_token=streamed.append)
    assert "".join(streamed) == "From the passages [1]."
    assert [p.chunk.file_name for p in answer.passages] == ["salaries.txt"]
    assert answer.cited_passages[0][1].chunk.collection == "hr"
    generator = world.assistant.generator
    assert isinstance(generator, ScriptedGenerator)
    prompt = "".join(m["content"] for m in generator.prompts[-1])
    assert HR_TEXT in prompt
    assert not any(secret in prompt for secret in SECRETS)
    nothing = world.as_user("dave").ask("salary and bonus policy")
    assert nothing.abstained
    assert nothing.passages == ()
    assert world.events(action="ask") == [("alice", "ask", "hr"), ("dave", "ask", None)]


def test_a_stream_stopped_by_its_reader_stops_generating_and_is_audited(world: World) -> None:
    events = world.as_user("alice").ask_stream("salary and bonus policy")
    assert next(events) == "From the passages "
    events.close()
    generator = world.assistant.generator
    assert isinstance(generator, ScriptedGenerator)
    assert generator.stopped
    entries = world.accounts.audit.query(AuditQuery(action="ask"))
    assert [(e.username, e.collection, e.detail) for e in entries] == [
        ("alice", "hr", "stopped before the answer: salary and bonus policy")
    ]


def test_admins_read_and_edit_everything(world: World) -> None:
    root = world.as_user("root")
    assert [(c.name, c.right) for c in root.collections()] == [
        ("finance", Right.EDITOR),
        ("hr", Right.EDITOR),
    ]
    hits = root.search("Globex merger", collections=["finance", "hr"], mode="bm25")
    assert hits[0].chunk.file_name == "budget.txt"
    assert root.reindex_document(world.finance_doc) == 1
    assert root.search("Globex", mode="bm25")[0].chunk.file_name == "budget.txt"
    assert root.check_indexes().consistent


def test_viewers_read_but_cannot_change_anything(world: World) -> None:
    alice = world.as_user("alice")
    chunks = alice.open_document(world.hr_doc)
    assert [c.text for c in chunks] == [HR_TEXT]
    upload = world.file("memo.txt", "Memo text that is long enough to be a document.")
    with pytest.raises(PermissionDeniedError):
        alice.upload([upload], collection="hr")
    with pytest.raises(PermissionDeniedError):
        alice.delete_document(collection="hr", file_name="salaries.txt")
    with pytest.raises(PermissionDeniedError):
        alice.reindex_document(world.hr_doc)
    with pytest.raises(PermissionDeniedError):
        alice.create_collection("mine")
    with pytest.raises(PermissionDeniedError):
        alice.grant("hr", "dave", Right.VIEWER)
    with pytest.raises(PermissionDeniedError):
        alice.usernames()
    assert [d.file_name for d in world.assistant.documents(collections=["hr"])] == ["salaries.txt"]


def test_editors_upload_delete_and_share_their_collection(world: World) -> None:
    bob = world.as_user("bob")
    memo = world.file("forecast.txt", "Quarterly forecast of revenue and operating costs.")
    seen: list[str] = []
    report = bob.upload([memo], collection="finance", on_file=lambda r: seen.append(r.path.name))
    assert seen == ["forecast.txt"]
    assert report.results[0].outcome == "added"
    assert bob.members("finance") == [Member("bob", Right.EDITOR)]

    bob.grant("finance", "dave", Right.VIEWER)
    dave = world.as_user("dave")
    assert [c.name for c in dave.collections()] == ["finance"]
    assert dave.search("quarterly forecast", mode="bm25")[0].chunk.file_name == "forecast.txt"
    bob.revoke("finance", "dave")
    assert dave.search("quarterly forecast", mode="bm25") == []

    assert bob.delete_document(collection="finance", file_name="forecast.txt") == 1
    assert [d.file_name for d in bob.documents()] == ["budget.txt"]
    assert world.events(username="bob") == [
        ("bob", "upload", "finance"),
        ("bob", "grant", "finance"),
        ("bob", "revoke", "finance"),
        ("bob", "delete", "finance"),
    ]


def test_the_editor_right_needs_the_editor_role(world: World) -> None:
    carol = world.as_user("carol")
    with pytest.raises(PermissionDeniedError):
        carol.delete_document(collection="hr", file_name="salaries.txt")
    with pytest.raises(AccountError, match="viewer role"):
        world.as_user("root").grant("hr", "alice", Right.EDITOR)
    # demoting an editor makes its editor grants read-only at once
    world.as_user("root").set_role("bob", Role.VIEWER)
    bob = world.as_user("bob")
    assert bob.collections() == [CollectionAccess("finance", Right.VIEWER, can_grant=False)]
    with pytest.raises(PermissionDeniedError):
        bob.delete_document(collection="finance", file_name="budget.txt")


def test_creating_a_collection_makes_the_creator_its_editor(world: World) -> None:
    carol = world.as_user("carol")
    carol.create_collection("  Legal ")
    assert CollectionAccess("Legal", Right.EDITOR, can_grant=True) in carol.collections()
    memo = world.file("nda.txt", "Mutual non-disclosure agreement between two parties.")
    carol.upload([memo], collection="Legal")
    with pytest.raises(NotFoundError):
        world.as_user("alice").documents(collections=["Legal"])
    # a taken name is refused in the same words whether or not the user can see it
    with pytest.raises(ValueError) as visible:
        carol.create_collection("hr")
    with pytest.raises(ValueError) as hidden:
        carol.create_collection("finance")
    assert str(hidden.value).replace("finance", "hr") == str(visible.value)
    with pytest.raises(ValueError):
        carol.create_collection("   ")


def test_user_management_is_for_admins_only(world: World) -> None:
    bob = world.as_user("bob")
    for attempt in (
        lambda: bob.users(),
        lambda: bob.create_user("eve", PASSWORD, Role.ADMIN),
        lambda: bob.set_role("bob", Role.ADMIN),
        lambda: bob.set_disabled("alice", True),
        lambda: bob.reset_password("alice", "taken over now"),
        lambda: bob.audit_events(AuditQuery()),
        lambda: bob.check_indexes(),
    ):
        with pytest.raises(PermissionDeniedError):
            attempt()
    assert world.accounts.get("bob").role == Role.EDITOR
    assert len(world.events(username="bob", action="denied")) == 7

    root = world.as_user("root")
    root.create_user("eve", PASSWORD, Role.VIEWER)
    root.reset_password("eve", "a different secret")
    root.set_disabled("eve", True)
    assert [u.username for u in root.users() if u.disabled] == ["eve"]
    with pytest.raises(PermissionDeniedError, match="disabled"):
        world.as_user("eve").collections()
    with pytest.raises(UnknownUserError):
        root.grant("hr", "nobody", Right.VIEWER)
    actions = [a for _, a, _ in world.events(username="root")]
    assert actions[-3:] == ["user_created", "password_reset", "user_disabled"]


def test_reads_and_denials_are_audited(world: World) -> None:
    alice = world.as_user("alice")
    alice.search("bonus policy")
    alice.open_document(world.hr_doc)
    with pytest.raises(NotFoundError):
        alice.open_document(world.finance_doc)
    assert world.events(username="alice") == [
        ("alice", AuditAction.SEARCH, "hr"),
        ("alice", AuditAction.OPEN_DOCUMENT, "hr"),
        ("alice", AuditAction.DENIED, None),
    ]
    csv_text = world.as_user("root").audit_csv(AuditQuery(username="alice"))
    assert csv_text.count("\n") == 4
    assert "open_document" in csv_text


def test_changing_ones_own_password(world: World) -> None:
    alice = world.as_user("alice")
    ticket = alice.change_password(PASSWORD, "a much better password")
    assert ticket.username == "alice"
    assert world.accounts.authenticate("alice", "a much better password").username == "alice"
    assert ("alice", "password_changed", None) in world.events(username="alice")
