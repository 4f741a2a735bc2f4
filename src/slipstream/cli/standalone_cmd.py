"""`slipstream standalone`: everything on one machine, from one command.

It prepares `SLIPSTREAM_HOME` (config with fresh keys, DAGs and logs folders), starts the API
server (`slipstream api-server` on `[api] host` and `[api] port`) as a child process first, so
that its start-up overlaps ours (it loads its code, then waits for the schema), migrates the
metadata database, creates the `admin` user on first start, and runs the scheduler with the
local executor in this process, and the DAG processor in a thread of it, whose parsing children
the executor's warm worker forks (`cli.hosted_processor`); a line says when the API answers.

The first start with no admin user creates one named `admin` with a random password, prints the
password once in the banner and keeps it in `$SLIPSTREAM_HOME/standalone_admin_password.txt`
(readable by its owner only), as Airflow's standalone does with its generated password file.

Ctrl-C (or SIGTERM) shuts everything down once, cleanly: running tries are given time to finish
and each child gets one SIGTERM (they run in their own process group, so a Ctrl-C in the terminal
reaches this process only). Children die with this process, even when it is killed by `kill -9`.
If a child exits on its own (the API server's port is taken, say), everything stops with exit
code 1 and a message naming it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from slipstream.config import Config
    from slipstream.db.engine import Database

CHILD_STOP_TIMEOUT = 10.0
SCHEMA_WAIT = 120.0
API_READY_TIMEOUT = 60.0
PORT_FREE_TIMEOUT = 2.0
ADMIN_USERNAME = "admin"
PASSWORD_FILE = "standalone_admin_password.txt"


@click.command("standalone")
def standalone() -> None:
    """Run the DAG processor, scheduler, executor and API server together until stopped."""
    from slipstream.config import ensure_home, get_config, load_config, reset_config_cache
    from slipstream.core.exceptions import AirflowConfigException

    try:
        home = ensure_home(load_config())  # before the children start: one set of fresh keys
        reset_config_cache()
        config = get_config()
    except AirflowConfigException as err:
        raise click.ClickException(str(err)) from None
    api = ApiAddress.from_config(config)
    api.require_free_port()
    children = Children()
    try:
        wait = ("--wait-for-schema", str(SCHEMA_WAIT))
        children.start("API server", "api-server", *api.args(), *wait)
        _run(home, config, api, children)
    except KeyboardInterrupt:  # during start-up, before the scheduler handles signals
        pass
    finally:
        children.stop()
    if children.failed:
        raise SystemExit(1)


@dataclass(frozen=True)
class ApiAddress:
    """Where the API server listens (`[api] host` and `[api] port`)."""

    host: str
    port: int

    @classmethod
    def from_config(cls, config: Config) -> ApiAddress:
        port = config.getint("api", "port")
        if not 0 < port < 65536:
            raise click.ClickException(f"Invalid [api] port {port}: use 1 to 65535")
        return cls(config.get("api", "host"), port)

    @property
    def url(self) -> str:
        """The URL to open; a wildcard address is reached at localhost."""
        host = "localhost" if self.host in ("", "0.0.0.0", "::") else self.host
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    def args(self) -> tuple[str, ...]:
        return ("--host", self.host, "--port", str(self.port))

    def require_free_port(self) -> None:
        """Stop with a clear message when something else listens on the port. A server that is
        just stopping (one of a standalone killed a moment ago) is given a moment to let go."""
        deadline = time.monotonic() + PORT_FREE_TIMEOUT
        while True:
            try:
                _try_bind(self.host, self.port)
                return
            except OSError as err:
                if time.monotonic() >= deadline:
                    raise click.ClickException(
                        f"The API server cannot listen on {self.host}:{self.port}: "
                        f"{err.strerror or err}. Set another port in [api] port "
                        "(or SLIPSTREAM__API__PORT)."
                    ) from None
                time.sleep(0.1)

    def is_serving(self) -> bool:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        host = "::1" if host == "::" else host
        try:
            socket.create_connection((host, self.port), timeout=0.5).close()
            return True
        except OSError:
            return False


def _try_bind(host: str, port: int) -> None:
    family, kind, proto, _, address = socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        sock.bind(address)


class Children:
    """The child processes (`slipstream <command>`); once watched, one that exits on its own
    stops everything."""

    def __init__(self) -> None:
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.failed: str | None = None
        self._stopping = threading.Event()
        self._stop_event = threading.Event()

    def start(self, name: str, *args: str) -> None:
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "slipstream", *args],
            process_group=0,  # a Ctrl-C in the terminal reaches standalone only
            preexec_fn=_stop_with_parent(),
        )

    def fail(self, name: str, reason: str) -> None:
        """Something of ours ended on its own: stop everything, saying so."""
        if self._stopping.is_set() or self.failed:
            return
        self.failed = name
        click.echo(f"The {name} ended unexpectedly ({reason}): stopping Slipstream.", err=True)
        self._stop_event.set()

    def watch(self, stop_event: threading.Event) -> None:
        """From now on, set `stop_event` when a child exits on its own (at once if one did)."""
        self._stop_event = stop_event
        for name, process in self.processes.items():
            threading.Thread(target=self._watch, args=(name, process), daemon=True).start()

    def stop(self) -> None:
        """SIGTERM every child still running, once; wait for all, killing the stuck ones."""
        self._stopping.set()
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + CHILD_STOP_TIMEOUT
        for process in self.processes.values():
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def _watch(self, name: str, process: subprocess.Popen[bytes]) -> None:
        code = process.wait()
        if self._stopping.is_set() or self.failed:
            return
        self.failed = name
        click.echo(
            f"The {name} exited unexpectedly (exit code {code}): stopping Slipstream.", err=True
        )
        self._stop_event.set()


def _run(home: Path, config: Config, api: ApiAddress, children: Children) -> None:
    from slipstream.cli.hosted_processor import HostedDagProcessor
    from slipstream.cli.scheduler_cmd import _build_executor, _setup_logging, _stop_on_signals
    from slipstream.core.clock import SystemClock
    from slipstream.db.session import open_database
    from slipstream.executors.local import LocalExecutor
    from slipstream.scheduler import Scheduler, run_forever

    _setup_logging(config)
    db = open_database(config)
    processor: HostedDagProcessor | None = None
    executor = None
    try:
        executor = _build_executor(LocalExecutor, config, db)
        executor.serve_parsing = executor.wait_for_schema = True
        executor.start()  # its warm worker imports while we migrate
        _migrate_apart(db)
        password = ensure_admin(db, home)
        stop = threading.Event()
        children.watch(stop)
        processor = HostedDagProcessor(
            db,
            config,
            executor.parse_socket,
            on_exit=lambda reason: children.fail("DAG processor", reason),
        )
        processor.start()
        click.echo(f"Slipstream is running (ready in {_since_start():.2f} s)", err=True)
        click.echo("\n".join(_banner(home, config, db, api, password)), err=True)
        threading.Thread(target=_announce_when_serving, args=(api, stop), daemon=True).start()
        with _stop_on_signals(stop):
            run_forever(
                Scheduler(db, executor, SystemClock(), config),
                num_runs=-1,
                stop=stop,
                manage_executor=False,
            )
    finally:
        if processor is not None:
            processor.stop()
        if executor is not None:
            executor.end()
        children.stop()
        db.dispose()
        click.echo("Slipstream stopped.", err=True)


def _migrate_apart(db: Database) -> None:
    """Migrate the database; a schema upgrade runs in a forked child, so Alembic (about 11 MB)
    never stays loaded in this long-lived process."""
    from slipstream.db.migrate import check, migrate

    if check(db):  # at head: only the default pool is ensured, without Alembic
        migrate(db)
        return
    db.dispose()  # the child opens connections of its own
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            db.after_fork()
            migrate(db)
            code = 0
        except BaseException:
            import traceback

            traceback.print_exc()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise click.ClickException("Migrating the metadata database failed (see above)")


def ensure_admin(db: Database, home: Path) -> str | None:
    """Create the `admin` user with a random password unless some admin user exists; returns
    the password when it was created. The password file is written in the user's transaction,
    so a user is never created without it."""
    from slipstream.api.auth.passwords import generate_password, hash_password
    from slipstream.cli.db_cmd import audit
    from slipstream.db.store import users

    with db.begin() as session:
        if users.count_users(session, role="admin"):
            return None
        if users.get_user(session, ADMIN_USERNAME) is not None:
            click.echo(
                f"Warning: no user has the admin role, and user {ADMIN_USERNAME!r} exists with "
                "another: create an admin with `slipstream users create --role admin`.",
                err=True,
            )
            return None
        password = generate_password()
        users.create_user(
            session, ADMIN_USERNAME, role="admin", password_hash=hash_password(password)
        )
        audit(
            session,
            "cli_users_create",
            extra={"username": ADMIN_USERNAME, "role": "admin", "by": "standalone"},
        )
        _write_secret(home / PASSWORD_FILE, password + "\n")
    return password


def _write_secret(path: Path, text: str) -> None:
    """Write `text` to `path`, readable by its owner only (also when the file existed)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(text)


def _banner(
    home: Path, config: Config, db: Database, api: ApiAddress, password: str | None
) -> list[str]:
    password_file = home / PASSWORD_FILE
    if password is not None:
        login = f"{ADMIN_USERNAME} / {password}  (kept in {password_file})"
    elif password_file.exists():
        login = f"{ADMIN_USERNAME}, password in {password_file}"
    else:
        login = "your users (`slipstream users create`)"
    return [
        f"  home:        {home}",
        f"  DAGs folder: {config.getpath('core', 'dags_folder')}",
        f"  database:    {db.url.render_as_string(hide_password=True)}",
        f"  web UI:      {api.url}  (REST API at {api.url}/api/v2)",
        f"  login:       {login}",
        "Press Ctrl-C to stop.",
    ]


def _announce_when_serving(api: ApiAddress, stop: threading.Event) -> None:
    """Say when the API server answers (the scheduler runs meanwhile)."""
    deadline = time.monotonic() + API_READY_TIMEOUT
    while not api.is_serving():
        if stop.wait(0.02):
            return
        if time.monotonic() > deadline:
            click.echo(f"Warning: the API server does not answer at {api.url} yet.", err=True)
            return
    click.echo(f"API server ready at {api.url} (in {_since_start():.2f} s)", err=True)


def _since_start() -> float:
    """Seconds since this process started (Linux: from /proc), else since this module loaded."""
    try:
        with open("/proc/self/stat") as stat, open("/proc/uptime") as uptime:
            fields = stat.read().rsplit(")", 1)[1].split()
            started = int(fields[19]) / os.sysconf("SC_CLK_TCK")
            return max(0.0, float(uptime.read().split()[0]) - started)
    except (OSError, ValueError, IndexError):
        return time.monotonic() - _LOADED


_LOADED = time.monotonic()


def _stop_with_parent() -> Callable[[], None] | None:
    """What a child runs before exec so that Linux sends it SIGTERM when standalone dies, even
    by `kill -9`: a restarted standalone never finds a second processor or server running.
    Prepared here, so the child (forked from a process with threads) imports nothing."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes
        import signal

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    set_parent_death_signal, sigterm = 1, int(signal.SIGTERM)

    def in_child() -> None:
        prctl(set_parent_death_signal, sigterm, 0, 0, 0)

    return in_child
