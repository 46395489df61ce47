"""The assistant as one signed-in user sees it: every call checks rights and is audited.

A collection the user may not read behaves exactly like one that does not exist: it is left
out of every list and search, and naming it gives the same error as naming a missing one. The
rights are read from storage on every call, so a revoked grant, a changed role or a disabled
account takes effect at once. Listing calls are not audited (the UI makes them on every
redraw); searches, opened documents and every change are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from assistant.accounts import (
    AccountError,
    Accounts,
    LoginTicket,
    UnknownUserError,
    UserInfo,
    normalize_username,
)
from assistant.answering import Answer, AnswerEvents, final_answer
from assistant.audit import AuditAction, AuditEntry, AuditQuery, audit_csv
from assistant.index_sync import DriftReport
from assistant.index_text import to_indexed
from assistant.ingestion.pipeline import FileResult, RunReport
from assistant.ingestion.progress import ProgressCallback
from assistant.passages import ChunkView, Passage
from assistant.permissions import Access, PermissionDeniedError, load_access, may_hold
from assistant.service import Assistant, DocumentInfo, PageImage
from assistant.storage import access_repository as access_repo
from assistant.storage import repository as repo
from assistant.storage.db import transaction
from assistant.storage.models import Collection, Document, Right, Role, User
from assistant.storage.repository import NotFoundError
from indexes.hybrid import SearchMode

MAX_AUDITED_DETAIL_CHARS = 600


@dataclass(frozen=True)
class CollectionAccess:
    """A collection the user can see, with what they can do there."""

    name: str
    right: Right
    can_grant: bool


@dataclass(frozen=True)
class Member:
    """Someone granted a right on a collection."""

    username: str
    right: Right


def _missing_collection(name: str) -> NotFoundError:
    return NotFoundError(f"no collection named {name!r}")


class ScopedAssistant:
    """The service facade limited to what ``username`` may do."""

    def __init__(self, assistant: Assistant, accounts: Accounts, username: str) -> None:
        self._assistant = assistant
        self._accounts = accounts
        self._username = normalize_username(username)

    @property
    def username(self) -> str:
        return self._username

    def me(self) -> UserInfo:
        return self._accounts.get(self._username)

    def access(self) -> Access:
        """The user's rights now."""
        with self._assistant.sessions() as session:
            return self._load(session)

    def _load(self, session: Session) -> Access:
        access = load_access(session=session, username=self._username)
        if access is None:
            raise PermissionDeniedError("This account is disabled.")
        return access

    def _audit(
        self, action: AuditAction, *, collection: str | None = None, detail: str = ""
    ) -> None:
        self._accounts.audit.record(self._username, action, collection=collection, detail=detail)

    def _audit_reads(self, action: AuditAction, names: Sequence[str], detail: str) -> None:
        """One event per collection read, so the trail of a collection shows every read of
        it; one without a collection when none was readable."""
        targets: list[str | None] = [*names] or [None]
        for name in targets:
            self._audit(action, collection=name, detail=detail[:MAX_AUDITED_DETAIL_CHARS])

    def _denied(
        self, message: str, *, attempted: str, collection: str | None = None
    ) -> PermissionDeniedError:
        self._audit(AuditAction.DENIED, collection=collection, detail=attempted)
        return PermissionDeniedError(message)

    def _visible(self, session: Session, access: Access, name: str, attempted: str) -> Collection:
        """The named collection when the user may read it; otherwise the very error a missing
        collection gives."""
        clean = name.strip()
        try:
            found = repo.get_collection(session=session, name=clean)
        except NotFoundError:
            found = None
        if found is None or not access.can_read(found.id):
            self._audit(AuditAction.DENIED, collection=clean, detail=attempted)
            raise _missing_collection(clean)
        return found

    def _editable(self, session: Session, access: Access, name: str, attempted: str) -> Collection:
        found = self._visible(session, access, name, attempted)
        if not access.can_edit(found.id):
            raise self._denied(
                f"You may not change the documents of {found.name!r}.",
                attempted=attempted,
                collection=found.name,
            )
        return found

    def _readable_names(
        self, session: Session, access: Access, requested: Sequence[str] | None, attempted: str
    ) -> list[str]:
        """The collections ``requested``, each once (all readable ones when ``None``); naming
        one the user may not read fails as naming a missing one does."""
        if requested is None:
            return [c.name for c in repo.list_collections(session=session) if access.can_read(c.id)]
        names: list[str] = []
        for name in requested:
            found = self._visible(session, access, name, attempted).name
            if found not in names:
                names.append(found)
        return names

    # Reading

    def collections(self) -> list[CollectionAccess]:
        """The collections the user can read, by name."""
        with self._assistant.sessions() as session:
            access = self._load(session)
            visible: list[CollectionAccess] = []
            for coll in repo.list_collections(session=session):
                right = access.right_on(coll.id)
                if right is not None:
                    visible.append(CollectionAccess(coll.name, right, access.can_grant(coll.id)))
            return visible

    def search(
        self,
        query: str,
        *,
        collections: Sequence[str] | None = None,
        k: int = 10,
        mode: SearchMode = "hybrid",
    ) -> list[Passage]:
        """Ranked passages from ``collections`` (all readable ones when ``None``); the filter is
        applied inside the index search, before ranking."""
        if not query.strip():
            raise ValueError("the query is empty")
        with self._assistant.sessions() as session:
            names = self._readable_names(session, self._load(session), collections, "search")
        passages = self._assistant.search(query, collections=names, k=k, mode=mode) if names else []
        self._audit_reads(AuditAction.SEARCH, names, f"{len(passages)} passages: {query}")
        return passages

    def ask(
        self,
        question: str,
        *,
        collections: Sequence[str] | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        """A cited answer written from passages of ``collections`` (all readable ones when
        ``None``) only; its text goes to ``on_token`` as it is generated. With nothing readable
        to search, the answer is the abstention, as for an empty collection."""
        return final_answer(self.ask_stream(question, collections=collections), on_token)

    def ask_stream(
        self, question: str, *, collections: Sequence[str] | None = None
    ) -> AnswerEvents:
        """``ask`` as events: the draft's text as it is generated, then the checked answer.
        Rights are checked before the first event; closing the events stops the generation,
        and the question is audited as stopped."""
        if not question.strip():
            raise ValueError("the question is empty")
        with self._assistant.sessions() as session:
            names = self._readable_names(session, self._load(session), collections, "ask")
        return self._audited_answer(
            question, names, self._assistant.ask_stream(question, collections=names)
        )

    def _audited_answer(
        self, question: str, names: list[str], events: AnswerEvents
    ) -> AnswerEvents:
        answered = False
        try:
            for event in events:
                if isinstance(event, Answer):
                    answered = True
                    self._audit_reads(AuditAction.ASK, names, _answer_detail(question, event))
                yield event
        except GeneratorExit:
            if not answered:
                self._audit_reads(AuditAction.ASK, names, f"stopped before the answer: {question}")
            raise
        finally:
            events.close()

    def documents(self, *, collections: Sequence[str] | None = None) -> list[DocumentInfo]:
        """Documents of ``collections`` (all readable ones when ``None``)."""
        with self._assistant.sessions() as session:
            names = self._readable_names(
                session, self._load(session), collections, "list documents"
            )
        return self._assistant.documents(collections=names) if names else []

    def open_document(self, document_id: int) -> list[ChunkView]:
        """A readable document's chunks in reading order."""
        with self._assistant.sessions() as session:
            access = self._load(session)
            doc = self._readable_document(session, access, document_id, "open document")
            collection, file_name = doc.collection.name, doc.file_name
        chunks = self._assistant.chunks_of(document_id)
        self._audit(AuditAction.OPEN_DOCUMENT, collection=collection, detail=file_name)
        return chunks

    def page_image(self, document_id: int, number: int) -> PageImage:
        """Page ``number`` (1-based) of a readable PDF document, with its image where it has
        one; each page shown is audited. A document the user may not read, or a page it does
        not have, raises ``NotFoundError``."""
        with self._assistant.sessions() as session:
            access = self._load(session)
            doc = self._readable_document(session, access, document_id, "view page of document")
            collection, file_name = doc.collection.name, doc.file_name
        page = self._assistant.page_image(document_id, number)
        self._audit(AuditAction.VIEW_PAGE, collection=collection, detail=f"{file_name} p. {number}")
        return page

    # Changing documents

    def upload(
        self,
        paths: Sequence[Path],
        *,
        collection: str,
        on_file: Callable[[FileResult], None] | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> RunReport:
        """Ingest files into a collection the user may edit; each file is audited."""
        with self._assistant.sessions() as session:
            name = self._editable(session, self._load(session), collection, "upload").name

        def audited(result: FileResult) -> None:
            outcome = f"{result.outcome.value} ({result.chunks} chunks)"
            if result.error:
                outcome = f"{result.outcome.value}: {result.error}"
            self._audit(
                AuditAction.UPLOAD, collection=name, detail=f"{result.path.name}: {outcome}"
            )
            if on_file is not None:
                on_file(result)

        return self._assistant.ingest(
            paths, collection=name, on_file=audited, on_progress=on_progress
        )

    def delete_document(self, *, collection: str, file_name: str) -> int:
        """Delete a document of a collection the user may edit; returns its chunk count."""
        with self._assistant.sessions() as session:
            name = self._editable(session, self._load(session), collection, "delete").name
        removed = self._assistant.delete_document(collection=name, file_name=file_name)
        self._audit(AuditAction.DELETE, collection=name, detail=file_name)
        return removed

    def reindex_document(self, document_id: int) -> int:
        """Embed and index a document's stored chunks again, listing it as ready once they are
        saved in the index; returns how many."""
        with self._assistant.sessions() as session:
            access = self._load(session)
            doc = self._readable_document(session, access, document_id, "re-index document")
            name, file_name = doc.collection.name, doc.file_name
            if not access.can_edit(doc.collection_id):
                raise self._denied(
                    f"You may not change the documents of {name!r}.",
                    attempted=f"re-index {file_name}",
                    collection=name,
                )
            rows = repo.chunks_of(session=session, document_id=document_id)
            chunks = to_indexed(rows, {document_id: file_name})
        index = self._assistant.index
        index.delete([c.chunk_id for c in chunks])
        index.add(chunks)
        index.commit()
        with transaction(self._assistant.sessions) as session:
            repo.mark_indexed_ready(session=session, indexed={c.chunk_id for c in chunks})
        self._audit(
            AuditAction.REINDEX, collection=name, detail=f"{file_name} ({len(chunks)} chunks)"
        )
        return len(chunks)

    # Collections and grants

    def create_collection(self, name: str) -> None:
        """Create a collection (admin or editor role); its creator becomes its editor.

        A name taken by a collection the user cannot see is refused with the same words as
        one the user can see: names are unique across the installation.
        """
        clean = name.strip()
        if not clean or len(clean) > 200:
            raise ValueError("A collection name has 1 to 200 characters.")
        with transaction(self._assistant.sessions) as session:
            access = self._load(session)
            if not access.can_create_collections:
                raise self._denied(
                    "Only editors and administrators create collections.",
                    attempted=f"create collection {clean}",
                )
            try:
                repo.get_collection(session=session, name=clean)
            except NotFoundError:
                pass
            else:
                raise ValueError(f"The name {clean!r} is not available; choose another.")
            coll = repo.get_or_create_collection(session=session, name=clean)
            me = access_repo.get_user(session=session, username=self._username)
            if me is None:
                raise PermissionDeniedError("This account is disabled.")
            access_repo.set_grant(
                session=session, user_id=me.id, collection_id=coll.id, right=Right.EDITOR
            )
        self._audit(AuditAction.CREATE_COLLECTION, collection=clean)

    def members(self, collection: str) -> list[Member]:
        """Who holds which right on a collection the user may grant on."""
        with self._assistant.sessions() as session:
            access = self._load(session)
            coll = self._visible(session, access, collection, "list members")
            if not access.can_grant(coll.id):
                raise self._denied(
                    f"You may not manage who sees {coll.name!r}.",
                    attempted="list members",
                    collection=coll.name,
                )
            return [
                Member(username, Right(right))
                for username, right in access_repo.grants_on(session=session, collection_id=coll.id)
            ]

    def usernames(self) -> list[str]:
        """Every username, for choosing whom to grant to (editors and administrators)."""
        with self._assistant.sessions() as session:
            if not self._load(session).can_create_collections:
                raise self._denied(
                    "Only editors and administrators list users.", attempted="list users"
                )
            return [u.username for u in access_repo.list_users(session=session)]

    def grant(self, collection: str, username: str, right: Right) -> None:
        """Give ``username`` a right on the collection (admin, or editor of the collection);
        replaces the right they held."""
        target_name = normalize_username(username)
        attempted = f"grant {Right(right).value} to {target_name}"
        with transaction(self._assistant.sessions) as session:
            coll, target = self._grant_target(session, collection, target_name, attempted)
            if not may_hold(Role(target.role), right):
                raise AccountError(
                    f"{target_name} has the viewer role and can only be given the viewer right."
                )
            access_repo.set_grant(
                session=session, user_id=target.id, collection_id=coll.id, right=Right(right)
            )
            name = coll.name
        self._audit(AuditAction.GRANT, collection=name, detail=attempted)

    def revoke(self, collection: str, username: str) -> None:
        """Take away ``username``'s right on the collection."""
        target_name = normalize_username(username)
        attempted = f"revoke {target_name}"
        with transaction(self._assistant.sessions) as session:
            coll, target = self._grant_target(session, collection, target_name, attempted)
            access_repo.remove_grant(session=session, user_id=target.id, collection_id=coll.id)
            name = coll.name
        self._audit(AuditAction.REVOKE, collection=name, detail=attempted)

    def _readable_document(
        self, session: Session, access: Access, document_id: int, attempted: str
    ) -> Document:
        """The document if the user may read it; otherwise it is reported as not existing."""
        doc = access_repo.get_document(session=session, document_id=document_id)
        if doc is None or not access.can_read(doc.collection_id):
            self._audit(AuditAction.DENIED, detail=f"{attempted} {document_id}")
            raise NotFoundError(f"no document with id {document_id}")
        return doc

    def _grant_target(
        self, session: Session, collection: str, target_name: str, attempted: str
    ) -> tuple[Collection, User]:
        """The collection whose rights the caller may manage, and the user named."""
        access = self._load(session)
        coll = self._visible(session, access, collection, attempted)
        if not access.can_grant(coll.id):
            raise self._denied(
                f"You may not manage who sees {coll.name!r}.",
                attempted=attempted,
                collection=coll.name,
            )
        target = access_repo.get_user(session=session, username=target_name)
        if target is None:
            raise UnknownUserError(f"There is no user named {target_name!r}.")
        return coll, target

    # Own account

    def change_password(self, current: str, new: str) -> LoginTicket:
        """Change the user's own password; returns the ticket for the current session."""
        ticket = self._accounts.change_password(self._username, current, new)
        self._audit(AuditAction.PASSWORD_CHANGED, detail=self._username)
        return ticket

    # Administration

    def _require_admin(self, attempted: str) -> None:
        with self._assistant.sessions() as session:
            if not self._load(session).is_admin:
                raise self._denied("Only administrators may do this.", attempted=attempted)

    def users(self) -> list[UserInfo]:
        self._require_admin("list users")
        return self._accounts.list_users()

    def create_user(self, username: str, password: str, role: Role) -> UserInfo:
        self._require_admin(f"create user {username}")
        user = self._accounts.create_user(username, password, role)
        self._audit(AuditAction.USER_CREATED, detail=f"{user.username} as {user.role.value}")
        return user

    def set_disabled(self, username: str, disabled: bool) -> None:
        action = AuditAction.USER_DISABLED if disabled else AuditAction.USER_ENABLED
        self._require_admin(f"{action.value} {username}")
        self._accounts.set_disabled(username, disabled)
        self._audit(action, detail=normalize_username(username))

    def reset_password(self, username: str, new: str) -> None:
        self._require_admin(f"reset password of {username}")
        self._accounts.reset_password(username, new)
        self._audit(AuditAction.PASSWORD_RESET, detail=normalize_username(username))

    def set_role(self, username: str, role: Role) -> None:
        self._require_admin(f"set role of {username}")
        self._accounts.set_role(username, role)
        self._audit(
            AuditAction.ROLE_CHANGED, detail=f"{normalize_username(username)} to {Role(role).value}"
        )

    def audit_events(self, query: AuditQuery) -> list[AuditEntry]:
        self._require_admin("read the audit log")
        return self._accounts.audit.query(query)

    def audit_csv(self, query: AuditQuery) -> str:
        return audit_csv(self.audit_events(query))

    def check_indexes(self, *, repair: bool = False) -> DriftReport:
        """Compare (and with ``repair`` re-align) the indexes with storage."""
        self._require_admin("check indexes")
        report = self._assistant.check(repair=repair)
        self._audit(
            AuditAction.CHECK_INDEXES,
            detail=f"missing {report.missing}, orphaned {report.orphaned}, "
            f"repaired {report.repaired}",
        )
        return report


def _answer_detail(question: str, answer: Answer) -> str:
    outcome = "abstained" if answer.abstained else f"cited {len(answer.cited_passages)}"
    return f"{outcome} of {len(answer.passages)} passages: {question}"
