"""Asset timetables against duck-typed conditions and the serialized-dict evaluator."""

from __future__ import annotations

from datetime import timedelta

import pendulum
import pytest

from slipstream.timetables import (
    AllOf,
    AssetOrTimeSchedule,
    AssetTriggeredTimetable,
    CronDataIntervalTimetable,
    DataInterval,
    DeltaTriggerTimetable,
    SerializedAssetCondition,
    TimeRestriction,
    TimetableError,
)


def utc(*args: int) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz="UTC")


class Cond:
    def __init__(self, key: str) -> None:
        self.key = key

    def evaluate(self, statuses: dict[str, bool]) -> bool:
        return statuses.get(self.key, False)

    def serialize(self) -> dict:
        return {"__type": "asset_alias", "name": self.key, "group": "asset"}


def test_asset_triggered_timetable_basics():
    tt = AssetTriggeredTimetable(Cond("x"))
    assert tt.description == "Triggered by assets"
    assert tt.next_dagrun_info(None, TimeRestriction(utc(2024, 1, 1), None, True)) is None
    assert tt.infer_manual_data_interval(utc(2024, 1, 2)) == DataInterval.exact(utc(2024, 1, 2))
    assert tt.evaluate({"x": True}) and not tt.evaluate({})
    assert tt.generate_run_id("asset_triggered", run_after=utc(2024, 1, 2, 3)) == (
        "asset_triggered__2024-01-02T03:00:00+00:00"
    )
    assert tt.serialize()["batch_asset_events"] is True


def test_asset_list_must_hold_assets():
    with pytest.raises(TimetableError, match="should be assets"):
        AssetTriggeredTimetable([Cond("x"), "s3://not-an-asset"])
    with pytest.raises(TimetableError):
        AssetTriggeredTimetable("s3://bucket")


def test_all_of_wrapper():
    cond = AllOf(Cond("a"), Cond("b"))
    assert cond.evaluate({"a": True, "b": True}) and not cond.evaluate({"a": True})
    assert cond.serialize()["__type"] == "asset_all"
    c = Cond("c")
    assert AllOf(c) == AllOf(c) and AllOf(c) != AllOf(Cond("c"))  # members compare as given
    assert list(cond.iter_assets()) == []


def test_serialized_condition_evaluator():
    data = {
        "__type": "asset_any",
        "objects": [
            {"__type": "asset", "uri": "s3://a", "name": "a"},
            {
                "__type": "asset_all",
                "objects": [
                    {"__type": "asset", "uri": "s3://b", "name": "b"},
                    {"__type": "asset_alias", "name": "alias"},
                ],
            },
            {"__type": "asset", "uri": "s3://a", "name": "a"},
        ],
    }
    cond = SerializedAssetCondition(data)
    assert cond.evaluate({"s3://a": True})
    assert not cond.evaluate({"s3://b": True})
    assert cond.evaluate({"s3://b": True, "alias": True})
    assert [uri for uri, _ in cond.iter_assets()] == ["s3://a", "s3://b"]
    assert cond.serialize() is data
    with pytest.raises(TimetableError):
        SerializedAssetCondition({"__type": "nope"})


def test_asset_or_time_schedule_delegates_to_timetable(freeze):
    inner = CronDataIntervalTimetable("@daily", "UTC")
    tt = AssetOrTimeSchedule(timetable=inner, assets=[Cond("a")])
    assert tt.summary == "Asset or 0 0 * * *"
    assert tt.description == "Triggered by assets or At 00:00"
    assert tt.periodic and tt.can_be_scheduled
    restriction = TimeRestriction(utc(2024, 1, 1), None, True)
    assert tt.next_dagrun_info(None, restriction) == inner.next_dagrun_info(None, restriction)
    assert tt.infer_manual_data_interval(utc(2024, 1, 5, 3)) == DataInterval(
        utc(2024, 1, 4), utc(2024, 1, 5)
    )
    assert tt.generate_run_id("scheduled", run_after=utc(2024, 1, 2)) == (
        "scheduled__2024-01-02T00:00:00+00:00"
    )
    assert tt.generate_run_id("asset_triggered", run_after=utc(2024, 1, 2, 5)) == (
        "asset_triggered__2024-01-02T05:00:00+00:00"
    )
    assert tt.evaluate({"a": True})
    tt.validate()
    bad = AssetOrTimeSchedule(timetable=DeltaTriggerTimetable(timedelta(0)), assets=Cond("a"))
    with pytest.raises(TimetableError, match="positive"):
        bad.validate()
