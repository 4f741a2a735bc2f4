"""FileSensor: files, globs, folders, and the fs connection's base path."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from slipstream.core.exceptions import AirflowNotFoundException, AirflowSensorTimeout
from slipstream.sdk.sensors.filesystem import FileSensor


@pytest.fixture(autouse=True)
def no_fs_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for prefix in ("AIRFLOW_CONN_", "SLIPSTREAM_CONN_"):
        monkeypatch.delenv(f"{prefix}FS_DEFAULT", raising=False)


def test_absolute_file_without_fs_default_warns(
    make_context: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    target = tmp_path / "data.csv"
    target.write_text("x")
    op = FileSensor(task_id="file", filepath=str(target), poke_interval=0.01)
    with caplog.at_level(logging.WARNING):
        op.execute(make_context(op))
    assert "connection 'fs_default' is not defined" in caplog.text
    assert op.path == str(target)


def test_missing_file_times_out(make_context: Any, tmp_path: Path) -> None:
    op = FileSensor(
        task_id="missing", filepath=str(tmp_path / "nope"), poke_interval=0.01, timeout=0.03
    )
    with pytest.raises(AirflowSensorTimeout):
        op.execute(make_context(op))


def test_path_is_joined_to_the_connection_base_path(
    make_context: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_FS_LANDING", json.dumps({"conn_type": "fs", "extra": {"path": str(tmp_path)}})
    )
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "part-001.parquet").write_text("x")
    op = FileSensor(task_id="glob", filepath="in/part-*.parquet", fs_conn_id="fs_landing")
    assert op.path == str(tmp_path / "in" / "part-*.parquet")
    assert op.poke(make_context(op)) is True
    other = FileSensor(task_id="other", filepath="in/*.csv", fs_conn_id="fs_landing")
    assert other.poke(make_context(other)) is False


def test_fs_default_base_path(
    make_context: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_FS_DEFAULT", f"fs://?path={tmp_path}")
    (tmp_path / "ready.flag").write_text("")
    op = FileSensor(task_id="flag", filepath="ready.flag")
    assert op.poke(make_context(op)) is True


def test_unknown_connection_fails(make_context: Any) -> None:
    op = FileSensor(task_id="typo", filepath="x", fs_conn_id="fs_typo")
    with pytest.raises(AirflowNotFoundException):
        op.poke(make_context(op))


def test_folders_need_a_file_somewhere_inside(make_context: Any, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    (folder / "nested").mkdir(parents=True)
    op = FileSensor(task_id="folder", filepath=str(folder))
    assert op.poke(make_context(op)) is False
    (folder / "nested" / "file.txt").write_text("x")
    assert op.poke(make_context(op)) is True


def test_recursive_glob(make_context: Any, tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "deep.json").write_text("{}")
    flat = FileSensor(task_id="flat", filepath=str(tmp_path / "**" / "deep.json"))
    deep = FileSensor(task_id="deep", filepath=str(tmp_path / "**" / "deep.json"), recursive=True)
    assert flat.poke(make_context(flat)) is False
    assert deep.poke(make_context(deep)) is True
    assert FileSensor.template_fields == ("filepath",)
