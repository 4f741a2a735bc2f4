"""`slipstream users create | list | delete | reset-password`, run as users run them."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from slipstream.api.auth.passwords import verify_password
from slipstream.cli.users_cmd import ROLES
from slipstream.db.engine import Database
from slipstream.db.store import audit, users

Run = Callable[..., CompletedProcess[str]]


@pytest.fixture
def db(migrated_home: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{migrated_home}/slipstream.db")
    yield database
    database.dispose()


def _ok(result: CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def _hash_of(db: Database, username: str) -> str:
    with db.session() as session:
        found = users.get_user(session, username)
    assert found is not None, username
    return found[1]


def _events(db: Database) -> list[tuple[str, str | None]]:
    with db.session() as session:
        return [(e.event, e.extra) for e in audit.list_events(session, newest_first=False)]


def test_create_list_reset_delete(run_slipstream: Run, db: Database) -> None:
    created = run_slipstream(
        *("users", "create", "--username", "ada", "--role", "Op", "--email", "ada@example.com"),
        *("--firstname", "Ada", "--lastname", "Lovelace", "--password", "analytical-engine"),
    )
    assert _ok(created) == "User ada created with role op\n"
    assert verify_password(_hash_of(db, "ada"), "analytical-engine")

    listed = json.loads(_ok(run_slipstream("users", "list", "--output", "json")))
    assert [{k: v for k, v in row.items() if k != "created_at"} for row in listed] == [
        {
            "username": "ada",
            "role": "op",
            "email": "ada@example.com",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "active": True,
            "last_login": None,
        }
    ]
    assert listed[0]["created_at"].endswith("+00:00")
    table = _ok(run_slipstream("users", "list"))
    assert "Lovelace" in table and "$argon2" not in table

    reset = run_slipstream("users", "reset-password", "-u", "ada", "--use-random-password")
    [password] = re.findall(r"^Password: (\S+)$", _ok(reset), re.MULTILINE)
    assert verify_password(_hash_of(db, "ada"), password)
    assert not verify_password(_hash_of(db, "ada"), "analytical-engine")

    assert _ok(run_slipstream("users", "delete", "--username", "ada")) == "User ada deleted\n"
    assert _ok(run_slipstream("users", "list")) == "No data found\n"
    events = _events(db)
    assert [event for event, _ in events] == [
        "cli_users_create",
        "cli_users_reset_password",
        "cli_users_delete",
    ]
    assert json.loads(events[0][1] or "{}") == {"username": "ada", "role": "op"}
    assert not any(password in (extra or "") for _, extra in events)


def test_password_prompted_with_confirmation_or_generated(
    run_slipstream: Run, db: Database
) -> None:
    prompted = run_slipstream(
        "users", "create", "-u", "bob", "-r", "viewer", input="bobs-password\nbobs-password\n"
    )
    assert "User bob created with role viewer" in _ok(prompted)
    assert "bobs-password" not in prompted.stdout
    assert verify_password(_hash_of(db, "bob"), "bobs-password")

    generated = _ok(
        run_slipstream("users", "create", "-u", "eve", "-r", "admin", "--use-random-password")
    )
    [password] = re.findall(r"^Password: (\S+)$", generated, re.MULTILINE)
    assert len(password) >= 16
    assert verify_password(_hash_of(db, "eve"), password)


def test_errors_name_the_problem_and_change_nothing(run_slipstream: Run, db: Database) -> None:
    bad_role = run_slipstream("users", "create", "-u", "x", "-r", "superuser", "-p", "long-enough")
    assert bad_role.returncode == 2
    assert "'superuser' is not one of 'admin', 'op', 'user', 'viewer'" in bad_role.stderr

    short = run_slipstream("users", "create", "-u", "x", "-r", "user", "-p", "short")
    assert short.returncode == 1
    assert "Password too short: use at least 8 characters" in short.stderr

    both = run_slipstream(
        "users", "create", "-u", "x", "-r", "user", "-p", "long-enough", "--use-random-password"
    )
    assert both.returncode == 2 and "not both" in both.stderr

    _ok(run_slipstream("users", "create", "-u", "dup", "-r", "user", "-p", "first-password"))
    duplicate = run_slipstream(
        "users", "create", "-u", "dup", "-r", "admin", "-p", "other-password"
    )
    assert duplicate.returncode == 1
    assert "User 'dup' already exists" in duplicate.stderr
    assert verify_password(_hash_of(db, "dup"), "first-password")

    missing_delete = run_slipstream("users", "delete", "-u", "nobody")
    assert missing_delete.returncode == 1 and "User 'nobody' not found" in missing_delete.stderr
    missing_reset = run_slipstream("users", "reset-password", "-u", "nobody", "-p", "long-enough")
    assert missing_reset.returncode == 1 and "User 'nobody' not found" in missing_reset.stderr

    with db.session() as session:
        assert [u.username for u in users.list_users(session)] == ["dup"]
    assert [event for event, _ in _events(db)] == ["cli_users_create"]


def test_the_cli_offers_the_roles_the_store_knows() -> None:
    assert ROLES == users.ROLES
