"""Backup and restore of one collection: a round trip between two installations loses
nothing, and a damaged, hostile or unfitting archive is refused without changing anything."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pypdf import PdfWriter
from pypdf.constants import PageLabelStyle
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas
from sqlalchemy import select
from typer.testing import CliRunner

from assistant import cli
from assistant.accounts import Accounts
from assistant.audit import AuditQuery, as_utc
from assistant.backup import (
    ArchiveError,
    ArchiveLimits,
    BackupError,
    CollectionExistsError,
    ModelMismatchError,
    SkippedGrant,
    export_collection,
    restore_collection,
)
from assistant.backup_archive import (
    CHUNKS,
    COLLECTION,
    DOCUMENTS,
    GRANTS,
    MANIFEST,
    PAYLOAD,
    VECTORS,
)
from assistant.bootstrap import OPERATOR
from assistant.index_text import index_text
from assistant.service import Assistant
from assistant.settings import CollectionFusion, IndexSettings, Settings, StorageSettings
from assistant.storage import access_repository as access_repo
from assistant.storage import repository as repo
from assistant.storage.db import transaction
from assistant.storage.models import (
    AuditEvent,
    Chunk,
    Collection,
    CollectionGrant,
    Document,
    DocumentStatus,
    Right,
    Role,
    User,
)
from assistant.storage.repository import NotFoundError
from indexes.embedder import DEFAULT_MODEL_NAME
from indexes.hybrid import HybridIndex
from tests.unit.assistant.access_fakes import make_accounts
from tests.unit.assistant.generation.fakes import ScriptedGenerator
from tests.unit.indexes.index_fakes import HashingEmbedder, KeywordEmbedder

ALPHA = "alpha"
BETA = "beta"
PASSWORD = "correct horse battery"
BETA_SECRET = "zanzibar"
QUERIES = (
    "hotel limit per night",
    "dinner receipts",
    "quarterly revenue forecast",
    "warehouse safety inspection",
    "train tickets",
)

HANDBOOK = """# Travel policy

## Booking

Employees book train tickets and flights through the travel desk at least two weeks ahead.
Economy class is the rule for trips under six hours; business class needs written approval.

| Item | Limit |
|---|---|
| Hotel per night | 180 EUR |
| Dinner | 45 EUR |
| Taxi | 60 EUR |

## Meals

Dinner receipts are kept for seven years and scanned into the expense tool within a month.
Alcohol is never reimbursed, and a client dinner lists every guest by name and company.

## Safety

The warehouse safety inspection happens every spring; visitors wear helmets on the floor.
"""

NOTES = (
    "Meeting notes. The travel desk answers within one working day. "
    "Hotel bookings above the limit per night are refused unless the city is on the list. "
) * 6


def open_installation(
    data_dir: Path,
    database_url: str | None = None,
    *,
    dim: int = 64,
    model: str = DEFAULT_MODEL_NAME,
    configured: str | None = None,
) -> Assistant:
    """An installation whose model-free embedder carries the name of the model its settings
    choose, as a real installation's embedder does (the packaged one unless ``configured``)."""
    settings = Settings(
        data_dir=data_dir,
        storage=StorageSettings(url=database_url),
        index=IndexSettings(embedding_model=configured),
    )
    return Assistant(
        settings,
        embedder=HashingEmbedder(dim=dim, model_name=model),
        generator=ScriptedGenerator(["unused"]),
    )


def write_pdf(path: Path) -> Path:
    """Two pages, printed as pages 7 and 8."""
    pages = (
        ("Quarterly revenue forecast", "Revenue grows by four percent in the third quarter."),
        ("Costs", "Travel costs fall after the new hotel limit; taxi spending stays flat."),
    )
    pdf = canvas.Canvas(str(path), pagesize=letter)
    for title, line in pages:
        pdf.setFont("Helvetica-Bold", 16)
        pdf.drawString(72, 720, title)
        pdf.setFont("Helvetica", 11)
        for row in range(8):
            pdf.drawString(72, 690 - 16 * row, f"{line} Item {row}.")
        pdf.showPage()
    pdf.save()
    labelled = PdfWriter(clone_from=str(path))
    labelled.set_page_label(0, 1, PageLabelStyle.DECIMAL, start=7)
    labelled.write(str(path))
    return path


def add_user(accounts: Accounts, username: str, role: Role) -> None:
    accounts.create_user(username, PASSWORD, role)


def give(assistant: Assistant, username: str, collection: str, right: Right) -> None:
    with transaction(assistant.sessions) as session:
        user = access_repo.get_user(session=session, username=username)
        assert user is not None
        coll = repo.get_collection(session=session, name=collection)
        access_repo.set_grant(session=session, user_id=user.id, collection_id=coll.id, right=right)


@dataclass
class Source:
    assistant: Assistant
    accounts: Accounts


def build_source(root: Path) -> Source:
    """``alpha``: a Markdown handbook (headings, a table), a two-page PDF, plain notes and a
    file that failed to parse; ``beta``: one secret note. alice reads alpha, bob and erin
    edit it; alice also reads beta."""
    assistant = open_installation(root / "source")
    files = root / "files"
    files.mkdir()
    (files / "handbook.md").write_text(HANDBOOK, encoding="utf-8")
    (files / "notes.txt").write_text(NOTES, encoding="utf-8")
    (files / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a PDF")
    (files / "secret.txt").write_text(f"The {BETA_SECRET} merger stays confidential.", "utf-8")
    alpha_files = [files / "handbook.md", write_pdf(files / "report.pdf"), files / "notes.txt"]
    assistant.ingest([*alpha_files, files / "broken.pdf"], collection=ALPHA)
    assistant.ingest([files / "secret.txt"], collection=BETA)
    accounts = make_accounts(assistant)
    for username, role in (("alice", Role.VIEWER), ("bob", Role.EDITOR), ("erin", Role.EDITOR)):
        add_user(accounts, username, role)
    give(assistant, "alice", ALPHA, Right.VIEWER)
    give(assistant, "bob", ALPHA, Right.EDITOR)
    give(assistant, "erin", ALPHA, Right.EDITOR)
    give(assistant, "alice", BETA, Right.VIEWER)
    return Source(assistant, accounts)


@pytest.fixture
def source(tmp_path: Path) -> Source:
    return build_source(tmp_path)


def open_target(data_dir: Path, database_url: str | None = None) -> tuple[Assistant, Accounts]:
    """Another installation with its own collection; alice exists here, erin only with the
    viewer role, bob not at all."""
    assistant = open_installation(data_dir, database_url)
    own = data_dir.with_name(f"{data_dir.name}-menu.txt")
    own.write_text("Our own canteen menu lists soup on Mondays.", encoding="utf-8")
    assistant.ingest([own], collection="gamma")
    accounts = make_accounts(assistant)
    add_user(accounts, "alice", Role.VIEWER)
    add_user(accounts, "erin", Role.VIEWER)
    return assistant, accounts


def documents_of(assistant: Assistant, collection: str) -> dict[str, tuple[Any, ...]]:
    with assistant.sessions() as session:
        coll = repo.get_collection(session=session, name=collection)
        rows = session.scalars(select(Document).where(Document.collection_id == coll.id))
        return {
            d.file_name: (
                d.content_hash,
                d.media_type,
                d.size_bytes,
                d.version,
                d.status,
                d.error,
                d.page_count,
                d.page_labels,
                d.title,
                as_utc(d.created_at),
                as_utc(d.updated_at),
            )
            for d in rows
        }


def chunks_of(assistant: Assistant, collection: str) -> list[tuple[Any, ...]]:
    with assistant.sessions() as session:
        coll = repo.get_collection(session=session, name=collection)
        rows = session.execute(
            select(Chunk, Document.file_name)
            .join(Document, Document.id == Chunk.document_id)
            .where(Chunk.collection_id == coll.id)
            .order_by(Document.file_name, Chunk.ordinal)
        )
        return [
            (
                name,
                c.ordinal,
                c.text,
                c.page,
                c.char_start,
                c.char_end,
                c.heading_path,
                c.is_table,
                c.token_count,
                c.page_label,
                c.boxes,
            )
            for c, name in rows
        ]


def grants_of(assistant: Assistant, collection: str) -> list[tuple[str, str]]:
    with assistant.sessions() as session:
        coll = repo.get_collection(session=session, name=collection)
        return access_repo.grants_on(session=session, collection_id=coll.id)


def results(assistant: Assistant, collection: str, query: str, mode: str) -> list[tuple[Any, ...]]:
    passages = assistant.search(query, collections=[collection], k=8, mode=mode)  # type: ignore[arg-type]
    return [
        (p.chunk.file_name, p.chunk.page, p.chunk.char_start, p.chunk.text, round(p.score, 5))
        for p in passages
    ]


def fingerprint(assistant: Assistant) -> tuple[Any, ...]:
    """Every stored row and every file of the data folder (but the SQLite files)."""
    models = (Collection, Document, Chunk, User, CollectionGrant, AuditEvent)
    with assistant.sessions() as session:
        tables = tuple(
            sorted(repr(tuple(row)) for row in session.execute(select(model.__table__)))
            for model in models
        )
    root = assistant.settings.data_dir
    files = {
        str(path.relative_to(root)): (
            hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "folder"
        )
        for path in sorted(root.rglob("*"))
        if not path.name.startswith("assistant.db")
    }
    return tables, files


def members_of(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive, "r:gz") as tar:
        found: dict[str, bytes] = {}
        for member in tar.getmembers():
            handle = tar.extractfile(member)
            assert handle is not None
            found[member.name] = handle.read()
        return found


def test_round_trip_to_another_installation_keeps_everything(
    source: Source, tmp_path: Path, database_url: str
) -> None:
    archive = tmp_path / "out" / "alpha.tar.gz"
    saved = export_collection(source.assistant, ALPHA, archive)
    target, accounts = open_target(tmp_path / "target", database_url)

    restored = restore_collection(target, archive, accounts=accounts)

    assert (saved.collection, saved.documents, saved.grants) == (ALPHA, 4, 3)
    assert saved.chunks == restored.chunks == len(chunks_of(source.assistant, ALPHA))
    assert (restored.collection, restored.source_collection, restored.documents) == (
        ALPHA,
        ALPHA,
        4,
    )
    assert documents_of(target, ALPHA) == documents_of(source.assistant, ALPHA)
    chunks = chunks_of(target, ALPHA)
    assert chunks == chunks_of(source.assistant, ALPHA)
    assert any(c[7] for c in chunks), "the handbook's table is a table chunk"
    assert {c[3] for c in chunks if c[0] == "report.pdf"} == {1, 2}
    assert {c[9] for c in chunks if c[0] == "report.pdf"} == {"7", "8"}
    assert all(c[10] for c in chunks if c[0] == "report.pdf"), "boxes on the page images"
    assert any(" > " in c[6] for c in chunks), "nested headings are kept"
    assert documents_of(target, ALPHA)["broken.pdf"][4] == DocumentStatus.FAILED
    assert restored.grants == (("alice", Right.VIEWER),)
    assert restored.skipped_grants == (
        SkippedGrant("bob", Right.EDITOR, "no user of that name here"),
        SkippedGrant("erin", Right.EDITOR, "the viewer role cannot hold the editor right"),
    )
    assert grants_of(target, ALPHA) == [("alice", "viewer")]
    assert target.collections() == [ALPHA, "gamma"]
    report = target.check()
    assert (report.missing, report.orphaned) == (0, 0)
    for query in QUERIES:
        assert results(target, ALPHA, query, "dense") == results(
            source.assistant, ALPHA, query, "dense"
        )
    events = accounts.audit.query(AuditQuery(username=OPERATOR, collection=ALPHA))
    assert sorted(e.action for e in events) == ["create_collection", "grant"]

    back = tmp_path / "back.tar.gz"
    assert export_collection(target, ALPHA, back).chunks == saved.chunks
    third = open_installation(tmp_path / "third")
    restore_collection(third, back)
    assert chunks_of(third, ALPHA) == chunks
    assert documents_of(third, ALPHA) == documents_of(source.assistant, ALPHA)


def test_searches_match_exactly_once_the_corpora_are_the_same(
    source: Source, tmp_path: Path
) -> None:
    """BM25 statistics span every collection, so the source drops its other collection to
    hold the same corpus as the target: then every mode ranks and scores alike."""
    archive = tmp_path / "alpha.tar.gz"
    export_collection(source.assistant, ALPHA, archive)
    target = open_installation(tmp_path / "target")
    restore_collection(target, archive)
    source.assistant.delete_document(collection=BETA, file_name="secret.txt")

    for query in QUERIES:
        for mode in ("bm25", "dense", "hybrid"):
            expected = results(source.assistant, ALPHA, query, mode)
            assert expected, (query, mode)
            assert results(target, ALPHA, query, mode) == expected, (query, mode)


def test_the_archive_holds_one_collection_its_vectors_and_no_account_secrets(
    source: Source, tmp_path: Path
) -> None:
    archive = tmp_path / "alpha.tar.gz"
    export_collection(source.assistant, ALPHA, archive)
    members = members_of(archive)

    assert list(members) == [MANIFEST, *PAYLOAD]
    manifest = json.loads(members[MANIFEST])
    assert manifest["format_version"] == 1
    assert manifest["product_version"]
    assert manifest["embedding"] == {"model_name": DEFAULT_MODEL_NAME, "dim": 64}
    for name in PAYLOAD:
        described = manifest["members"][name]
        assert described["sha256"] == hashlib.sha256(members[name]).hexdigest()
        assert described["size"] == len(members[name])
    everything = b"".join(members.values())
    assert BETA_SECRET.encode() not in everything
    assert b"secret.txt" not in everything
    with source.assistant.sessions() as session:
        hashes = [u.password_hash for u in access_repo.list_users(session=session)]
    assert all(h.encode() not in everything for h in hashes)
    assert b"password" not in everything and b"argon2" not in everything
    assert json.loads(members[COLLECTION])["name"] == ALPHA
    grants = [json.loads(line) for line in members[GRANTS].splitlines()]
    assert grants == [
        {"username": "alice", "right": "viewer"},
        {"username": "bob", "right": "editor"},
        {"username": "erin", "right": "editor"},
    ]
    chunks = [json.loads(line) for line in members[CHUNKS].splitlines()]
    vectors = np.load(io.BytesIO(members[VECTORS]), allow_pickle=False)
    assert vectors.dtype == np.float32 and vectors.shape == (len(chunks), 64)
    file_names = {d["id"]: d["file_name"] for d in map(json.loads, members[DOCUMENTS].splitlines())}
    texts = [
        index_text(
            Chunk(text=c["text"], heading_path=c["heading_path"]), file_names[c["document_id"]]
        )
        for c in chunks
    ]
    np.testing.assert_allclose(vectors, HashingEmbedder().encode(texts), rtol=1e-6)
    assert len(members[DOCUMENTS].splitlines()) == 4


def test_restoring_beside_the_original_needs_a_new_name(source: Source, tmp_path: Path) -> None:
    archive = tmp_path / "alpha.tar.gz"
    export_collection(source.assistant, ALPHA, archive)
    before = fingerprint(source.assistant)

    with pytest.raises(CollectionExistsError, match="'alpha' exists"):
        restore_collection(source.assistant, archive)
    assert fingerprint(source.assistant) == before

    restored = restore_collection(source.assistant, archive, name="  alpha copy ")
    assert restored.collection == "alpha copy"
    assert chunks_of(source.assistant, "alpha copy") == chunks_of(source.assistant, ALPHA)
    assert grants_of(source.assistant, "alpha copy") == grants_of(source.assistant, ALPHA)
    assert source.assistant.check().consistent
    for query in QUERIES:
        copy = results(source.assistant, "alpha copy", query, "dense")
        assert copy == results(source.assistant, ALPHA, query, "dense")


def test_a_collection_without_chunks_round_trips(source: Source, tmp_path: Path) -> None:
    broken = tmp_path / "files" / "broken.pdf"
    source.assistant.ingest([broken], collection="failures only")
    archive = tmp_path / "failures.tar.gz"
    saved = export_collection(source.assistant, "failures only", archive)
    target = open_installation(tmp_path / "target")

    restored = restore_collection(target, archive)

    assert (saved.documents, saved.chunks, restored.documents, restored.chunks) == (1, 0, 1, 0)
    assert documents_of(target, "failures only") == documents_of(source.assistant, "failures only")
    assert target.check().consistent


def test_unknown_collection_is_not_exported(source: Source, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        export_collection(source.assistant, "nope", tmp_path / "out" / "nope.tar.gz")
    assert list((tmp_path / "out").iterdir()) == []


def test_export_refuses_chunks_missing_from_the_index(source: Source, tmp_path: Path) -> None:
    """An archive without every vector would restore a collection that cannot be found."""
    handbook = next(d for d in source.assistant.documents() if d.file_name == "handbook.md")
    source.assistant.index.delete([source.assistant.chunks_of(handbook.id)[0].chunk_id])
    source.assistant.index.commit()
    out = tmp_path / "out"
    out.mkdir()

    with pytest.raises(BackupError, match=r"1 chunks .* check --repair"):
        export_collection(source.assistant, ALPHA, out / "alpha.tar.gz")
    assert list(out.iterdir()) == []

    source.assistant.check(repair=True)
    assert export_collection(source.assistant, ALPHA, out / "alpha.tar.gz").chunks > 0
    assert [p.name for p in out.iterdir()] == ["alpha.tar.gz"]


@pytest.fixture(scope="module")
def alpha_archive(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The archive of a source's ``alpha``, made once for the tests that only restore it."""
    root = tmp_path_factory.mktemp("pristine")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ASSISTANT_GUARD__ENABLED", "false")  # as for every unit test
        export_collection(build_source(root).assistant, ALPHA, root / "alpha.tar.gz")
    return (root / "alpha.tar.gz").read_bytes()


@pytest.fixture
def archive(alpha_archive: bytes, tmp_path: Path) -> Path:
    path = tmp_path / "alpha.tar.gz"
    path.write_bytes(alpha_archive)
    return path


@pytest.fixture
def target(tmp_path: Path) -> Assistant:
    return open_target(tmp_path / "target")[0]


Entry = tuple[tarfile.TarInfo, bytes]


def regular(name: str, data: bytes) -> Entry:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def link(name: str, to: str) -> Entry:
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = to
    return info, b""


def entries(members: dict[str, bytes]) -> list[Entry]:
    return [regular(name, data) for name, data in members.items()]


def resealed(members: dict[str, bytes], changes: dict[str, bytes]) -> dict[str, bytes]:
    """``members`` with some payload replaced and the manifest's checksums made to match."""
    updated = {**members, **changes}
    manifest = json.loads(updated[MANIFEST])
    for name in PAYLOAD:
        manifest["members"][name] = {
            "sha256": hashlib.sha256(updated[name]).hexdigest(),
            "size": len(updated[name]),
        }
    updated[MANIFEST] = json.dumps(manifest).encode()
    return updated


def edited_manifest(members: dict[str, bytes], **fields: Any) -> dict[str, bytes]:
    manifest = {**json.loads(members[MANIFEST]), **fields}
    return {**members, MANIFEST: json.dumps(manifest).encode()}


def pickled_vectors(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    rows = len(members[CHUNKS].splitlines())
    np.save(buffer, np.array([{"row": n} for n in range(rows)], dtype=object), allow_pickle=True)
    return buffer.getvalue()


def first_chunk_edited(members: dict[str, bytes], **fields: Any) -> bytes:
    lines = members[CHUNKS].splitlines()
    lines[0] = json.dumps({**json.loads(lines[0]), **fields}).encode()
    return b"\n".join(lines) + b"\n"


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


Hostile = Callable[[dict[str, bytes], Path], list[Entry]]
HOSTILE: dict[str, tuple[Hostile, str]] = {
    "path traversal": (
        lambda m, root: [*entries(m), regular("../escape.txt", b"x")],
        "points outside the archive",
    ),
    "absolute path": (
        lambda m, root: [regular(str(root / "escape.txt"), b"x"), *entries(m)],
        "absolute path",
    ),
    "symbolic link": (
        lambda m, root: [
            *entries({k: v for k, v in m.items() if k != VECTORS}),
            link(VECTORS, str(root / "escape.txt")),
        ],
        "not a regular file",
    ),
    "unexpected member": (lambda m, root: [*entries(m), regular("run.sh", b"")], "unexpected"),
    "repeated member": (lambda m, root: [*entries(m), regular(CHUNKS, b"")], "appears twice"),
    "missing member": (
        lambda m, root: entries({k: v for k, v in m.items() if k != GRANTS}),
        "lacks its member 'grants.jsonl'",
    ),
    "altered chunk text": (
        lambda m, root: entries({**m, CHUNKS: m[CHUNKS].replace(b"Hotel", b"Motel")}),
        "checksum of 'chunks.jsonl' does not match",
    ),
    "no manifest": (
        lambda m, root: entries({k: v for k, v in m.items() if k != MANIFEST}),
        "holds no manifest.json",
    ),
    "newer format": (
        lambda m, root: entries(edited_manifest(m, format_version=2)),
        "format version 2, made by a newer version",
    ),
    "another format": (
        lambda m, root: entries(edited_manifest(m, format="something-else")),
        "does not describe a collection backup",
    ),
    "pickled vectors": (
        lambda m, root: entries(resealed(m, {VECTORS: pickled_vectors(m)})),
        "not a plain array file",
    ),
    "vectors of another type": (
        lambda m, root: entries(
            resealed(m, {VECTORS: npy(np.load(io.BytesIO(m[VECTORS])).astype(np.float64))})
        ),
        "float32",
    ),
    "one vector short": (
        lambda m, root: entries(resealed(m, {VECTORS: npy(np.load(io.BytesIO(m[VECTORS]))[1:])})),
        "has shape",
    ),
    "invalid chunk": (
        lambda m, root: entries(
            resealed(m, {CHUNKS: first_chunk_edited(m, char_start=10, char_end=2)})
        ),
        "chunks.jsonl line 1 is invalid",
    ),
    "chunk of no document": (
        lambda m, root: entries(resealed(m, {CHUNKS: first_chunk_edited(m, document_id=-7)})),
        "belong to no document",
    ),
    "wrong counts": (
        lambda m, root: entries(
            edited_manifest(m, counts={"documents": 4, "chunks": 1, "grants": 3})
        ),
        "the manifest counts",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_or_altered_archive_is_refused_and_changes_nothing(
    case: str, archive: Path, target: Assistant, tmp_path: Path
) -> None:
    build, message = HOSTILE[case]
    hostile = tmp_path / "hostile.tar.gz"
    with tarfile.open(hostile, "w:gz") as tar:
        for info, data in build(members_of(archive), tmp_path):
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    before = fingerprint(target)

    with pytest.raises(ArchiveError, match=message):
        restore_collection(target, hostile)

    assert fingerprint(target) == before
    assert not (tmp_path / "escape.txt").exists()


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: data[:100] + b"\0" * 64 + data[164:], id="overwritten"),
        pytest.param(lambda data: b"not an archive at all " * 50, id="not gzip"),
        pytest.param(lambda data: b"", id="empty"),
    ],
)
def test_a_damaged_file_is_refused_and_changes_nothing(
    damage: Callable[[bytes], bytes], archive: Path, target: Assistant, tmp_path: Path
) -> None:
    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(damage(archive.read_bytes()))
    before = fingerprint(target)

    with pytest.raises(ArchiveError, match=r"not a readable backup archive|checksum"):
        restore_collection(target, damaged)

    assert fingerprint(target) == before


def test_oversized_members_are_refused_before_they_are_read(
    archive: Path, target: Assistant
) -> None:
    before = fingerprint(target)
    with pytest.raises(ArchiveError, match="more than the 512 allowed"):
        restore_collection(target, archive, limits=ArchiveLimits(max_member_bytes=512))
    with pytest.raises(ArchiveError, match=r"'manifest.json' has \d+ bytes"):
        restore_collection(target, archive, limits=ArchiveLimits(max_manifest_bytes=16))
    assert fingerprint(target) == before


def test_a_missing_archive_is_reported(target: Assistant, tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="does not exist"):
        restore_collection(target, tmp_path / "nowhere.tar.gz")


def test_vectors_of_another_dimension_are_refused(archive: Path, tmp_path: Path) -> None:
    target = open_installation(tmp_path / "narrow", dim=32)
    (tmp_path / "own.txt").write_text("Soup on Mondays.", encoding="utf-8")
    target.ingest([tmp_path / "own.txt"], collection="gamma")
    before = fingerprint(target)

    with pytest.raises(ModelMismatchError, match=r"64 dimensions.*with 32 dimensions"):
        restore_collection(target, archive)

    assert fingerprint(target) == before


def test_a_fresh_installation_of_another_model_refuses_the_vectors(
    archive: Path, tmp_path: Path
) -> None:
    target = open_installation(
        tmp_path / "other", model="other-model", configured=str(tmp_path / "other-model")
    )
    before = fingerprint(target)

    with pytest.raises(ModelMismatchError, match=r"'all-MiniLM-L6-v2'.*uses 'other-model'"):
        restore_collection(target, archive)

    assert fingerprint(target) == before


def test_a_failed_index_update_undoes_the_restore(
    archive: Path, target: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(**_: object) -> None:
        raise OSError("no space left on device")

    monkeypatch.setattr("assistant.backup.index_with_vectors", disk_full)
    before = fingerprint(target)

    with pytest.raises(BackupError, match=r"no space left on device.*the restore was undone"):
        restore_collection(target, archive)

    assert fingerprint(target) == before
    assert target.check().consistent


def test_a_crash_before_the_index_save_is_repaired_by_the_drift_check(
    source: Source, archive: Path, target: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    def killed(**_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("assistant.backup.index_with_vectors", killed)
    with pytest.raises(KeyboardInterrupt):
        restore_collection(target, archive)
    stored = len(chunks_of(target, ALPHA))
    assert stored > 0

    drift = target.check()
    assert (drift.missing, drift.orphaned) == (stored, 0)
    target.check(repair=True)
    assert target.check().consistent
    for query in QUERIES:
        assert results(target, ALPHA, query, "dense") == results(
            source.assistant, ALPHA, query, "dense"
        )


def test_the_commands_save_and_restore_a_collection(
    source: Source, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "alpha.tar.gz"
    target, _ = open_target(tmp_path / "target")
    runner = CliRunner()

    monkeypatch.setattr(cli, "_service", lambda: source.assistant)
    saved = runner.invoke(cli.app, ["backup", ALPHA, "--out", str(archive)])
    assert saved.exit_code == 0, saved.output
    assert "saved alpha: 4 documents" in saved.output
    missing = runner.invoke(cli.app, ["backup", "nope", "--out", str(tmp_path / "x.tar.gz")])
    assert missing.exit_code == 2
    assert "no collection named 'nope'" in missing.output

    monkeypatch.setattr(cli, "_service", lambda: target)
    restored = runner.invoke(cli.app, ["restore", str(archive), "--as", "alpha two"])
    assert restored.exit_code == 0, restored.output
    assert "restored alpha as alpha two: 4 documents" in restored.output
    assert "viewer right given to alice" in restored.output
    assert "not given: editor right of bob (no user of that name here)" in restored.output
    again = runner.invoke(cli.app, ["restore", str(archive), "--as", "alpha two"])
    assert again.exit_code == 2
    assert "'alpha two' exists" in again.output
    assert chunks_of(target, "alpha two") == chunks_of(source.assistant, ALPHA)


def test_a_restore_fills_the_second_stage_of_an_installation_that_has_one(
    source: Source, tmp_path: Path
) -> None:
    archive = tmp_path / "alpha.tar.gz"
    export_collection(source.assistant, ALPHA, archive)
    second = KeywordEmbedder("hotel")
    target = Assistant(
        Settings(
            data_dir=tmp_path / "second-stage",
            storage=StorageSettings(url=None),
            index=IndexSettings(
                second_stage_model="keyword-test",
                collection_fusion={ALPHA: CollectionFusion(second_stage_weight=1.0)},
            ),
        ),
        embedder=HashingEmbedder(dim=64, model_name=DEFAULT_MODEL_NAME),
        second_embedder=second,
        generator=ScriptedGenerator(["unused"]),
    )

    restored = restore_collection(target, archive)

    assert second.calls > 0
    assert target.check().consistent
    reopened = HybridIndex.load(
        target.settings.index_dir,
        HashingEmbedder(dim=64, model_name=DEFAULT_MODEL_NAME),
        second_embedder=second,
    )
    assert reopened.second is not None and len(reopened.second) == restored.chunks
    (top, *_) = target.search("hotel limit per night", collections=[ALPHA], k=3)
    assert "hotel" in top.chunk.text.lower()


def test_a_document_listed_indexing_with_all_its_chunks_indexed_is_archived_ready(
    source: Source, tmp_path: Path
) -> None:
    with transaction(source.assistant.sessions) as session:  # its listing lagging its index
        for doc in session.scalars(select(Document).where(Document.status == "ready")):
            doc.status = "indexing"
    archive = tmp_path / "alpha.tar.gz"
    export_collection(source.assistant, ALPHA, archive)

    records = [json.loads(line) for line in members_of(archive)[DOCUMENTS].splitlines()]
    assert "indexing" not in {record["status"] for record in records}
    assert "ready" in {record["status"] for record in records}
