"""The account tables on every supported database (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from assistant.storage import access_repository as access_repo
from assistant.storage import repository as repo
from assistant.storage.db import (
    MIGRATIONS_DIR,
    create_db_engine,
    make_session_factory,
    migrate,
    transaction,
)
from assistant.storage.models import Collection, CollectionGrant, Right, User


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = create_db_engine(database_url)
    migrate(engine)
    yield make_session_factory(engine)
    engine.dispose()


def add_user(session: Session, name: str) -> User:
    user = User(username=name, password_hash="x", role="viewer")
    session.add(user)
    session.flush()
    return user


def test_migration_creates_the_account_tables_with_a_time_index(database_url: str) -> None:
    engine = create_db_engine(database_url)
    migrate(engine)
    inspector = inspect(engine)
    assert {"users", "collection_grants", "audit_events"} <= set(inspector.get_table_names())
    indexed = {tuple(ix["column_names"]) for ix in inspector.get_indexes("audit_events")}
    assert ("at",) in indexed
    engine.dispose()


def test_usernames_and_grant_pairs_are_unique(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        user = add_user(session, "alice")
        coll = repo.get_or_create_collection(session=session, name="hr")
        access_repo.set_grant(
            session=session, user_id=user.id, collection_id=coll.id, right="viewer"
        )
        access_repo.set_grant(
            session=session, user_id=user.id, collection_id=coll.id, right="editor"
        )
        user_id, coll_id = user.id, coll.id
    with sessions() as session:
        assert access_repo.grants_of(session=session, user_id=user_id) == {coll_id: Right.EDITOR}
        assert access_repo.grants_on(session=session, collection_id=coll_id) == [
            ("alice", "editor")
        ]
    with pytest.raises(IntegrityError), transaction(sessions) as session:
        session.add(CollectionGrant(user_id=user_id, collection_id=coll_id, right="viewer"))
    with pytest.raises(IntegrityError), transaction(sessions) as session:
        add_user(session, "alice")


def test_grants_go_with_their_user_or_collection(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        alice, bob = add_user(session, "alice"), add_user(session, "bob")
        hr = repo.get_or_create_collection(session=session, name="hr")
        for user in (alice, bob):
            access_repo.set_grant(
                session=session, user_id=user.id, collection_id=hr.id, right="viewer"
            )
        finance = repo.get_or_create_collection(session=session, name="finance")
        access_repo.set_grant(
            session=session, user_id=bob.id, collection_id=finance.id, right="viewer"
        )
        alice_id, hr_id = alice.id, hr.id
    with transaction(sessions) as session:
        session.delete(session.get(User, alice_id))
    with transaction(sessions) as session:
        session.delete(session.get(Collection, hr_id))
    with sessions() as session:
        assert session.scalar(select(func.count(CollectionGrant.id))) == 1
        assert (
            access_repo.remove_grant(session=session, user_id=alice_id, collection_id=hr_id)
            is False
        )


def test_accounts_made_before_the_password_demand_are_not_asked_for_a_new_one(
    database_url: str,
) -> None:
    engine = create_db_engine(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
        connection.execute(
            text(
                "INSERT INTO users (username, password_hash, role, disabled, created_at,"
                " failed_logins, password_changed_at) VALUES ('old', 'x', 'admin', false,"
                " CURRENT_TIMESTAMP, 0, CURRENT_TIMESTAMP)"
            )
        )
    migrate(engine)
    with make_session_factory(engine)() as session:
        old = session.scalars(select(User)).one()
        assert old.must_change_password is False
    with transaction(make_session_factory(engine)) as session:
        assert add_user(session, "new").must_change_password is False
    engine.dispose()
