"""What `slipstream standalone` decides in-process: the generated admin, the API address.
The processes themselves are tested in tests/engine/test_standalone.py."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from click.exceptions import ClickException

from slipstream.api.auth.passwords import hash_password, verify_password
from slipstream.cli.standalone_cmd import PASSWORD_FILE, ApiAddress, ensure_admin
from slipstream.db.engine import Database
from slipstream.db.store import audit, users


def test_the_first_start_creates_admin_once_with_a_private_password_file(
    sqlite_db: Database, tmp_path: Path
) -> None:
    stale = tmp_path / PASSWORD_FILE
    stale.write_text("left over\n")
    stale.chmod(0o644)

    password = ensure_admin(sqlite_db, tmp_path)

    assert password is not None and len(password) >= 16
    assert stale.read_text() == password + "\n"
    assert stat.S_IMODE(stale.stat().st_mode) == 0o600
    with sqlite_db.session() as session:
        found = users.get_user(session, "admin")
        events = audit.list_events(session, newest_first=False)
    assert found is not None
    entry, password_hash = found
    assert entry.role == "admin" and verify_password(password_hash, password)
    assert [e.event for e in events] == ["cli_users_create"]
    assert password not in (events[0].extra or "")

    assert ensure_admin(sqlite_db, tmp_path) is None  # the next start keeps it
    assert stale.read_text() == password + "\n"


def test_an_existing_admin_of_another_name_means_no_generated_user(
    sqlite_db: Database, tmp_path: Path
) -> None:
    with sqlite_db.begin() as session:
        users.create_user(session, "boss", role="admin", password_hash=hash_password("x" * 8))
    assert ensure_admin(sqlite_db, tmp_path) is None
    assert not (tmp_path / PASSWORD_FILE).exists()


def test_a_non_admin_user_named_admin_is_left_alone(
    sqlite_db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with sqlite_db.begin() as session:
        users.create_user(session, "admin", role="viewer", password_hash=hash_password("x" * 8))
    assert ensure_admin(sqlite_db, tmp_path) is None
    assert "no user has the admin role" in capsys.readouterr().err
    with sqlite_db.session() as session:
        assert [u.role for u in users.list_users(session)] == ["viewer"]


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8080"),
        ("0.0.0.0", "http://localhost:8080"),
        ("::1", "http://[::1]:8080"),
        ("api.example.com", "http://api.example.com:8080"),
    ],
)
def test_the_banner_url(host: str, url: str) -> None:
    assert ApiAddress(host, 8080).url == url


def test_a_port_in_use_is_refused_with_what_to_change(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    import slipstream.cli.standalone_cmd as standalone

    monkeypatch.setattr(standalone, "PORT_FREE_TIMEOUT", 0.0)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ClickException, match=r"cannot listen on 127\.0\.0\.1:\d+.*API__PORT"):
            ApiAddress("127.0.0.1", port).require_free_port()
    ApiAddress("127.0.0.1", port).require_free_port()  # free again
