"""The cache of deserialized DAG versions: bounded by the tasks it holds, least recently used
out first, so a thousand small DAGs all stay while a few huge ones cannot fill memory."""

from __future__ import annotations

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
