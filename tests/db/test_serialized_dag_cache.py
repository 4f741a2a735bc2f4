"""The cache of deserialized DAG versions: bounded by the tasks it holds, least recently used
out first, so a thousand small DAGs all stay while a few huge ones cannot fill memory."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from slipstream.db.store.serialized_dags import _LruCache


def test_values_leave_least_recently_used_first_once_their_weight_exceeds_the_capacity() -> None:
    cache: _LruCache[str] = _LruCache(10, weigh=len)
    cache.put(1, "aaaa")
    cache.put(2, "bbbb")
    assert cache.get(1) == "aaaa"  # 1 is now the most recently used
    cache.put(3, "cccc")  # 12 > 10: 2, the least recently used, goes
    assert (cache.get(1), cache.get(2), cache.get(3)) == ("aaaa", None, "cccc")


def test_a_value_heavier_than_the_capacity_stays_alone() -> None:
    cache: _LruCache[str] = _LruCache(5, weigh=len)
    cache.put(1, "ab")
    cache.put(2, "x" * 50)
    assert cache.get(1) is None and cache.get(2) == "x" * 50


def test_putting_a_key_again_replaces_its_weight() -> None:
    cache: _LruCache[str] = _LruCache(10, weigh=len)
    cache.put(1, "a" * 9)
    cache.put(1, "a")
    cache.put(2, "b" * 9)
    assert cache.get(1) == "a" and cache.get(2) == "b" * 9


def test_many_small_dags_fit() -> None:
    cache: _LruCache[int] = _LruCache(50_000, weigh=lambda tasks: tasks + 1)
    for version in range(1_000):
        cache.put(version, 10)
    assert all(cache.get(version) == 10 for version in range(1_000))


def test_version_files_are_cached_per_database(tmp_path: Path) -> None:
    """Version ids repeat across databases (a test process, `db reset`): each database's
    versions keep their own file."""
    from slipstream.db.engine import Database
    from slipstream.db.migrate import migrate
    from slipstream.db.store import serialized_dags

    files = {}
    for name in ("one", "two"):
        db = Database(f"sqlite:///{tmp_path}/{name}.db")
        migrate(db, default_pool_slots=1)
        with db.begin() as session:
            version = serialized_dags.add_version(
                session, dag_id="d", data={"dag": {}}, dag_hash="h", fileloc=f"/{name}.py",
                version_number=1, now=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
            )  # fmt: skip
        with db.session() as session:
            files[name] = serialized_dags.version_filelocs(session, [version, None])
            assert serialized_dags.version_filelocs(session, [version]) == files[name]
        db.dispose()
    assert list(files["one"].values()) == ["/one.py"]
    assert list(files["two"].values()) == ["/two.py"]
    assert files["one"].keys() == files["two"].keys()
