"""Fixtures every test may use: an isolated home, and migrated metadata databases.

- `slipstream_home`: `SLIPSTREAM_HOME` set to an empty temporary folder, `SLIPSTREAM__*`,
  `AIRFLOW__*` and `SLIPSTREAM_CONFIG` removed from the environment, and the cached
  configuration forgotten before and after the test.
- `sqlite_db`: a migrated SQLite `Database` in the test's `tmp_path` (a copy of one migrated per
  session, so each test pays a file copy, not a migration).
- `pg_db`: a migrated PostgreSQL `Database` in a fresh database of its own (`CREATE DATABASE
  test_<n> TEMPLATE ...` from one migrated per session) on a throwaway server; tests using it
  must be marked `integration`.
- `any_db`: runs the test on both, with ids `sqlite` and `postgresql`.
- `pg_server`: the server itself, for tests that need an empty database (`create_database`).
- `migrated_home`: `slipstream_home` holding a migrated SQLite database (a copy, as above).
- `run_slipstream`: runs the `slipstream` command, a real subprocess, in that environment.

The PostgreSQL server is started once per session, on first use, from Debian's binaries
(`/usr/lib/postgresql/<version>/bin`; `make test` installs them), on 127.0.0.1 and a free port,
with its data in a temporary folder (in /dev/shm when there is one), trust authentication and
durability off (fsync). When
running as root it runs as the `postgres` user, which must own the data folder. It is stopped
with `pg_ctl stop -m immediate` at the end of the session. Missing binaries fail the test with
what to install; they never skip it.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from slipstream.db.engine import Database

DEFAULT_POOL_SLOTS = 128


@pytest.fixture
def slipstream_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    from slipstream.config import reset_config_cache

    home = tmp_path / "slipstream_home"
    home.mkdir()
    for name in list(os.environ):
        if name.startswith(("SLIPSTREAM__", "AIRFLOW__")) or name == "SLIPSTREAM_CONFIG":
            monkeypatch.delenv(name)
    monkeypatch.setenv("SLIPSTREAM_HOME", str(home))
    reset_config_cache()
    yield home
    reset_config_cache()


@pytest.fixture
def run_slipstream(slipstream_home: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """`run_slipstream("variables", "list", input=None)`: the finished process, output as text."""
    script = str(Path(sys.executable).with_name("slipstream"))

    def run(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [script, *args], capture_output=True, text=True, input=input, timeout=60
        )

    return run


@pytest.fixture
def migrated_home(slipstream_home: Path, _sqlite_template: Path) -> Path:
    shutil.copyfile(_sqlite_template, slipstream_home / "slipstream.db")
    return slipstream_home


# -- SQLite ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from slipstream.db.migrate import migrate

    path = tmp_path_factory.mktemp("sqlite_template") / "slipstream.db"
    db = Database(f"sqlite:///{path}")
    migrate(db, default_pool_slots=DEFAULT_POOL_SLOTS)
    db.dispose()  # the last connection to close checkpoints the WAL into the file
    return path


@pytest.fixture
def sqlite_db(_sqlite_template: Path, tmp_path: Path) -> Iterator[Database]:
    path = tmp_path / "slipstream.db"
    shutil.copyfile(_sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    yield db
    db.dispose()


# -- PostgreSQL --------------------------------------------------------------------------------


class PostgresServer:
    """A throwaway PostgreSQL server (see the module docstring)."""

    TEMPLATE = "slipstream_template"

    def __init__(self) -> None:
        self.bindir = _postgres_bindir()
        shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None  # memory: faster DDL
        self.root = Path(tempfile.mkdtemp(prefix="slipstream-pg-", dir=shm))
        self.datadir = self.root / "data"
        self.port = _free_port()
        self._numbers = itertools.count(1)
        self._template_ready = False
        self._started = False

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        self.root.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run("initdb", "-D", str(self.datadir), "-U", "postgres", "-A", "trust", "-N")
        self._run(
            "pg_ctl", "-D", str(self.datadir), "-o", options, "-l", str(self.root / "log"),
            "-w", "-t", "60", "start",
        )  # fmt: skip
        self._started = True

    def stop(self) -> None:
        if self._started:
            self._run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def create_database(self, *, migrated: bool = True) -> str:
        """A new empty (or migrated) database; returns its URL."""
        if migrated and not self._template_ready:
            self._create_template()
        name = f"test_{next(self._numbers)}"
        template = f" TEMPLATE {self.TEMPLATE} STRATEGY FILE_COPY" if migrated else ""
        self._admin(f"CREATE DATABASE {name}{template}")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def _create_template(self) -> None:
        from slipstream.db.migrate import migrate

        self._admin(f"CREATE DATABASE {self.TEMPLATE}")
        db = Database(self.url(self.TEMPLATE))
        migrate(db, default_pool_slots=DEFAULT_POOL_SLOTS)
        db.dispose()
        self._template_ready = True

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url().replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(sql.encode())

    def _run(self, program: str, *args: str) -> None:
        command = [str(Path(self.bindir) / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, cwd=self.root)
        if result.returncode != 0:
            log = self.root / "log"
            raise RuntimeError(
                f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}"
                f"{result.stderr}\n{log.read_text() if log.exists() else ''}"
            )


def _postgres_bindir() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.fail(
            "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb): "
            "install Debian's `postgresql` package (`make deps` does, as root)",
            pytrace=False,
        )
    return os.path.dirname(found[-1])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_db(pg_server: PostgresServer) -> Iterator[Database]:
    url = pg_server.create_database()
    db = Database(url)
    yield db
    db.dispose()
    pg_server.drop_database(url)


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)],
)
def any_db(request: pytest.FixtureRequest) -> Database:
    name = "sqlite_db" if request.param == "sqlite" else "pg_db"
    db: Database = request.getfixturevalue(name)
    return db
