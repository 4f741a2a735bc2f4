"""BashSensor: exit 0 is done, other codes poke again (or fail with retry_exit_code)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from slipstream.core.exceptions import AirflowFailException, AirflowSensorTimeout
from slipstream.sdk.sensors.bash import BashSensor


def test_exit_codes(make_context: Any) -> None:
    done = BashSensor(task_id="done", bash_command="echo checking; exit 0")
    assert done.poke(make_context(done)) is True
    waiting = BashSensor(task_id="wait", bash_command="exit 1")
    assert waiting.poke(make_context(waiting)) is False
    other = BashSensor(task_id="other", bash_command="exit 3")
    assert other.poke(make_context(other)) is False


def test_retry_exit_code(make_context: Any) -> None:
    op = BashSensor(task_id="retry", bash_command="exit 2", retry_exit_code=2)
    assert op.poke(make_context(op)) is False
    fails = BashSensor(task_id="fails", bash_command="exit 1", retry_exit_code=2)
    with pytest.raises(AirflowFailException, match="return code 1"):
        fails.poke(make_context(fails))


def test_pokes_until_the_command_succeeds(make_context: Any, tmp_path: Path) -> None:
    flag = tmp_path / "count"
    command = f'echo x >> {flag}; [ "$(wc -l < {flag})" -ge 3 ]'
    op = BashSensor(task_id="third", bash_command=command, poke_interval=0.01)
    assert op.execute(make_context(op)) is None
    assert flag.read_text().count("x") == 3


def test_env_and_timeout(make_context: Any) -> None:
    op = BashSensor(task_id="env", bash_command='[ "$READY" = yes ]', env={"READY": "yes"})
    assert op.poke(make_context(op)) is True
    never = BashSensor(task_id="never", bash_command="false", poke_interval=0.01, timeout=0.03)
    with pytest.raises(AirflowSensorTimeout):
        never.execute(make_context(never))
