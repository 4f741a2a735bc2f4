"""SDK assets: Asset/AssetAlias/AssetAll/AssetAny/Metadata with Airflow 3 behaviour."""

from __future__ import annotations

import json

import pytest

from slipstream.sdk.assets import (
    Asset,
    AssetAlias,
    AssetAll,
    AssetAny,
    BaseAsset,
    Dataset,
    Metadata,
    deserialize_asset_condition,
)


def test_name_and_uri_default_to_each_other():
    by_name = Asset("orders")
    assert (by_name.name, by_name.uri, by_name.group) == ("orders", "orders", "asset")
    by_uri = Asset(uri="s3://bucket/orders")
    assert by_uri.name == by_uri.uri == "s3://bucket/orders"
    both = Asset(name="orders", uri="s3://bucket/orders", group="sales", extra={"k": 1})
    assert (both.group, both.extra, both.watchers) == ("sales", {"k": 1}, [])
    assert Asset("x").extra == {}
    with pytest.raises(TypeError, match="either 'name' or 'uri'"):
        Asset()


def test_equality_and_hash_use_name_and_uri():
    a = Asset("orders", "s3://bucket/orders", extra={"a": 1})
    b = Asset(name="orders", uri="s3://bucket/orders", group="other")
    assert a == b and hash(a) == hash(b)
    assert a != Asset("orders", "s3://bucket/other")
    assert a != Asset("other", "s3://bucket/orders")
    assert len({a, b, Asset("x")}) == 2
    assert Dataset is Asset
    assert Dataset("s3://legacy/key").uri == "s3://legacy/key"


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("S3://bucket/key/", "s3://bucket/key"),  # scheme lowercased, trailing slash dropped
        ("s3://bucket", "s3://bucket/"),
        ("postgres://db/t?b=2&a=1#frag", "postgres://db/t?a=1&b=2"),
        ("x-custom://Keep/As/Is/", "x-custom://Keep/As/Is/"),
        ("just a name", "just a name"),  # not URI-like: kept
        ("file:///tmp/data.csv", "file:///tmp/data.csv"),
    ],
)
def test_uri_normalisation(given, stored):
    assert Asset(uri=given).uri == stored


@pytest.mark.parametrize(
    ("uri", "match"),
    [
        ("my bucket://data", "invalid scheme"),
        ("1abc://data", "invalid scheme"),
        ("airflow://dag/x", "reserved"),
        ("", "cannot be empty"),
        ("   ", "whitespace"),
        ("x" * 1501, "1500"),
    ],
)
def test_invalid_uris(uri, match):
    with pytest.raises(ValueError, match=match):
        Asset(name="ok", uri=uri)


def test_invalid_names_and_fields():
    for name in ("self", "context"):
        with pytest.raises(ValueError, match="prohibited name"):
            Asset(name)
    with pytest.raises(ValueError, match="must be a string"):
        Asset(name=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="extra must be a dict"):
        Asset("a", extra=[1])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cannot be empty"):
        AssetAlias("")


def test_credentials_are_dropped_with_a_warning():
    with pytest.warns(UserWarning, match="auth info"):
        asset = Asset(uri="postgres://user:secret@host/db")
    assert asset.uri == "postgres://host/db"


def test_operators_build_conditions_and_flatten():
    a, b, c = Asset("a"), Asset("b"), Asset("c")
    both = a & b
    assert isinstance(both, AssetAll) and both.objects == (a, b)
    assert (a & b & c).objects == (a, b, c)
    either = a | b | c
    assert isinstance(either, AssetAny) and either.objects == (a, b, c)
    mixed = (a | b) & c
    assert isinstance(mixed, AssetAll) and mixed.objects == (AssetAny(a, b), c)
    assert repr(AssetAny(a, AssetAlias("al"))).startswith("AssetAny(Asset(name='a'")
    with pytest.raises(TypeError, match="asset expressions"):
        AssetAll(a, "b")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        a & "b"  # type: ignore[operator]
    assert bool(AssetAll())


def test_evaluate_by_uri_and_alias_name():
    a = Asset("a", "s3://bucket/a")
    b = Asset("b", "s3://bucket/b")
    alias = AssetAlias("daily-report")
    assert a.evaluate({"s3://bucket/a": True})
    assert not a.evaluate({"a": True})  # keyed by uri, not name
    assert alias.evaluate({"daily-report": True})
    cond = (a & b) | alias
    assert not cond.evaluate({"s3://bucket/a": True})
    assert cond.evaluate({"s3://bucket/a": True, "s3://bucket/b": True})
    assert cond.evaluate({"daily-report": True})
    assert not cond.evaluate({"s3://bucket/a": True, "s3://bucket/b": False})


def test_iterators_dedupe_assets():
    a, b = Asset("a"), Asset("b")
    alias = AssetAlias("al", group="g")
    cond = AssetAll(a, AssetAny(b, a, alias))
    assert list(cond.iter_assets()) == [("a", a), ("b", b)]
    assert list(cond.iter_asset_aliases()) == [("al", alias)]
    assert list(alias.iter_assets()) == [] and list(a.iter_asset_aliases()) == []


def test_serialize_round_trip():
    cond = AssetAny(
        AssetAll(Asset("a", "s3://b/a", group="g", extra={"x": [1]}), Asset("b")),
        AssetAlias("al", group="grp"),
    )
    data = json.loads(json.dumps(cond.serialize()))
    assert data["__type"] == "asset_any"
    restored = deserialize_asset_condition(data)
    assert restored == cond
    first = restored.objects[0].objects[0]
    assert (first.group, first.extra) == ("g", {"x": [1]})
    assert restored.serialize() == cond.serialize()
    with pytest.raises(ValueError, match="not a serialized asset condition"):
        deserialize_asset_condition({"__type": "dataset"})


def test_as_expression():
    a = Asset("a", "s3://b/a")
    assert (a & AssetAlias("al")).as_expression() == {
        "all": [
            {"asset": {"uri": "s3://b/a", "name": "a", "group": "asset"}},
            {"alias": {"name": "al", "group": "asset"}},
        ]
    }


def test_metadata():
    asset = Asset("a")
    meta = Metadata(asset, {"rows": 10})
    assert (meta.asset, meta.extra, meta.alias) == (asset, {"rows": 10}, None)
    assert Metadata(asset).extra == {}
    assert Metadata(asset, {"rows": 10}) == meta
    assert "rows" in repr(meta)


def test_usable_by_timetables():
    from slipstream.timetables import (
        AssetTriggeredTimetable,
        create_timetable,
        deserialize_timetable,
    )

    a, b = Asset("a"), Asset("b")
    tt = create_timetable([a, b], combine_all=AssetAll)
    assert isinstance(tt, AssetTriggeredTimetable) and tt.asset_condition == AssetAll(a, b)
    restored = deserialize_timetable(tt.serialize(), condition_decoder=deserialize_asset_condition)
    assert restored.asset_condition == AssetAll(a, b)
    assert isinstance(create_timetable(a | b).asset_condition, BaseAsset)
    assert create_timetable(a).evaluate({"a": True})
