"""`slipstream db migrate | check | reset`: main paths as users run them (a subprocess per
command), the rest in-process with click's runner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

from click.testing import CliRunner

from slipstream.cli.db_cmd import db_group
from slipstream.cli.pools_cmd import pools_group
from slipstream.cli.variables_cmd import variables_group
from slipstream.db.engine import Database
from slipstream.db.migrate import HEAD_REVISION
from slipstream.db.store import audit, pools

Run = Callable[..., CompletedProcess[str]]


def _events(home: Path) -> list[str]:
    db = Database(f"sqlite:///{home}/slipstream.db")
    with db.session() as session:
        events = [e.event for e in audit.list_events(session, newest_first=False)]
    db.dispose()
    return events


def test_migrate_check_on_a_fresh_home(run_slipstream: Run, slipstream_home: Path) -> None:
    checked = run_slipstream("db", "check")
    assert checked.returncode == 1
    assert "has not been migrated yet. Run `slipstream db migrate`." in checked.stderr
    assert (slipstream_home / "slipstream.cfg").exists()  # the home was set up

    first = run_slipstream("db", "migrate")
    assert first.returncode == 0, first.stderr
    assert f"migrated to revision {HEAD_REVISION}" in first.stdout
    runner = CliRunner()
    assert f"already at revision {HEAD_REVISION}" in runner.invoke(db_group, ["migrate"]).stdout
    checked_again = runner.invoke(db_group, ["check"])
    assert checked_again.exit_code == 0 and f"revision {HEAD_REVISION}" in checked_again.stdout
    assert _events(slipstream_home) == ["cli_db_migrate"]


def test_data_commands_need_a_migrated_database(slipstream_home: Path) -> None:
    runner = CliRunner()
    for group, args in ((variables_group, ["list"]), (pools_group, ["set", "p", "1", "d"])):
        result = runner.invoke(group, args)
        assert result.exit_code == 1
        assert "Run `slipstream db migrate`" in result.stderr
    assert "slipstream db migrate" in runner.invoke(variables_group, ["set", "--help"]).stdout
    assert not (slipstream_home / "slipstream.db").exists()


def test_reset(run_slipstream: Run, migrated_home: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(pools_group, ["set", "etl", "3", "ETL"]).exit_code == 0
    declined = runner.invoke(db_group, ["reset"], input="n\n")
    assert declined.exit_code == 1 and "Aborted" in declined.stderr
    assert "etl" in runner.invoke(pools_group, ["list", "-o", "json"]).stdout

    reset = run_slipstream("db", "reset", "--yes")
    assert reset.returncode == 0, reset.stderr
    assert f"reset to revision {HEAD_REVISION}" in reset.stdout
    assert _events(migrated_home) == ["cli_db_reset"]  # the wiped log says who wiped it
    db = Database(f"sqlite:///{migrated_home}/slipstream.db")
    with db.session() as session:
        assert pools.pool_usage(session) == {"default_pool": (128, 0)}
    db.dispose()
