"""A throwaway PostgreSQL server for the benchmarks, from Debian's binaries.

Like the test suite's (tests/conftest.py), but with PostgreSQL's default durability (fsync and
synchronous commits on): a benchmark measures what a user's server does. It listens on
127.0.0.1 and a free port; each stack gets a fresh database of its own. As root, the server runs
as the `postgres` user. `make deps` installs the binaries.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


class PostgresServer:
    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found:
            raise RuntimeError(
                "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb): "
                "run `make deps` (as root) or use --db sqlite"
            )
        self.bindir = os.path.dirname(found[-1])
        self.version = Path(self.bindir).parent.name
        self.root = Path(tempfile.mkdtemp(prefix="slipstream-bench-pg-"))
        self.datadir = self.root / "data"
        self.port = _free_port()
        self._numbers = itertools.count(1)
        self._started = False

    def start(self) -> PostgresServer:
        self.root.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c max_connections=400 -c shared_buffers=256MB"
        )
        self._run("initdb", "-D", str(self.datadir), "-U", "postgres", "-A", "trust", "-N")
        self._run(
            "pg_ctl", "-D", str(self.datadir), "-o", options, "-l", str(self.root / "log"),
            "-w", "-t", "60", "start",
        )  # fmt: skip
        self._started = True
        return self

    def stop(self) -> None:
        if self._started:
            self._run("pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "stop")
            self._started = False
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def create_database(self, prefix: str) -> str:
        """A new empty database; returns its name."""
        name = f"{prefix}_{next(self._numbers)}"
        self.admin(f"CREATE DATABASE {name}")
        return name

    def drop_database(self, name: str) -> None:
        self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def url(self, database: str, driver: str = "") -> str:
        scheme = f"postgresql+{driver}" if driver else "postgresql"
        return f"{scheme}://postgres@127.0.0.1:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_port() -> int:
    return _free_port()
