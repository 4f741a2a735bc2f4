"""create_timetable (the DAG's `schedule=` mapping), serialization round trips, import cost."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

import pendulum
import pytest
from dateutil.relativedelta import MO, relativedelta

from slipstream.timetables import (
    AssetOrTimeSchedule,
    AssetTriggeredTimetable,
    ContinuousTimetable,
    CronDataIntervalTimetable,
    CronTriggerTimetable,
    DeltaDataIntervalTimetable,
    DeltaTriggerTimetable,
    EventsTimetable,
    MultipleCronTriggerTimetable,
    NullTimetable,
    OnceTimetable,
    TimeRestriction,
    Timetable,
    TimetableError,
    create_timetable,
    deserialize_timetable,
    encode_timetable,
)
from slipstream.timetables.base import DagRunInfo, DataInterval


class FakeAsset:
    """Stands in for an SDK asset: the timetables only need evaluate() and serialize()."""

    def __init__(self, uri: str) -> None:
        self.uri = uri

    def evaluate(self, statuses: dict[str, bool]) -> bool:
        return statuses.get(self.uri, False)

    def serialize(self) -> dict:
        return {"__type": "asset", "name": self.uri, "uri": self.uri, "group": "asset", "extra": {}}


def test_create_timetable_defaults_follow_airflow_3():
    assert isinstance(create_timetable(None), NullTimetable)
    assert isinstance(create_timetable("@once"), OnceTimetable)
    assert isinstance(create_timetable("@continuous"), ContinuousTimetable)
    cron = create_timetable("5 4 * * *", "Europe/Amsterdam")
    assert isinstance(cron, CronTriggerTimetable)  # create_cron_data_intervals=False
    assert cron.timezone.name == "Europe/Amsterdam"
    assert isinstance(create_timetable(timedelta(hours=1)), DeltaTriggerTimetable)
    custom = CronDataIntervalTimetable("@daily", "UTC")
    assert create_timetable(custom) is custom
    assert isinstance(create_timetable(FakeAsset("s3://a")), AssetTriggeredTimetable)


def test_create_timetable_from_asset_list_means_all_of_them():
    a, b = FakeAsset("s3://a"), FakeAsset("s3://b")
    tt = create_timetable([a, b])
    assert isinstance(tt, AssetTriggeredTimetable)
    assert tt.summary == "Asset" and not tt.periodic and tt.can_be_scheduled
    assert tt.next_dagrun_info(None, TimeRestriction(None, None, True)) is None
    assert not tt.evaluate({"s3://a": True})
    assert tt.evaluate({"s3://a": True, "s3://b": True})

    seen = []

    def combine(*objs):
        seen.append(objs)
        return objs[0]

    tt = create_timetable((a, b), combine_all=combine)
    assert seen == [(a, b)] and tt.asset_condition is a


@pytest.mark.parametrize("schedule", [42, 1.5, {"a": 1}, object(), ["@daily"]])
def test_create_timetable_rejects_other_values(schedule):
    with pytest.raises(TimetableError) as info:
        create_timetable(schedule)
    assert repr(schedule) in str(info.value)


CASES: list[Timetable] = [
    NullTimetable(),
    OnceTimetable(),
    ContinuousTimetable(),
    CronTriggerTimetable("@daily", timezone="Europe/Amsterdam"),
    CronTriggerTimetable(
        "0 */2 * * *",
        timezone=pendulum.FixedTimezone(-5 * 3600),
        interval=timedelta(hours=2),
        run_immediately=timedelta(minutes=10),
    ),
    CronTriggerTimetable("0 0 * * 1", timezone="UTC", interval=relativedelta(weeks=1)),
    CronDataIntervalTimetable("30 6 * * 1-5", "America/New_York"),
    DeltaTriggerTimetable(timedelta(minutes=90), interval=timedelta(minutes=90)),
    DeltaDataIntervalTimetable(relativedelta(months=1, weekday=MO(1))),
    DeltaDataIntervalTimetable(timedelta(days=2)),
    MultipleCronTriggerTimetable("0 9 * * *", "0 17 * * *", timezone="Asia/Tokyo"),
    EventsTimetable(
        [pendulum.datetime(2024, 5, 1, tz="Europe/Paris"), pendulum.datetime(2024, 1, 1)],
        restrict_to_events=True,
    ),
    AssetTriggeredTimetable([FakeAsset("s3://a"), FakeAsset("s3://b")]),
    AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("@hourly", timezone="UTC"), assets=FakeAsset("s3://a")
    ),
]


@pytest.mark.parametrize("timetable", CASES, ids=lambda t: type(t).__name__)
def test_serialization_round_trip(timetable):
    data = json.loads(json.dumps(timetable.serialize()))  # must be JSON-able
    assert data["__type"] == type(timetable).__name__
    restored = deserialize_timetable(data)
    assert type(restored) is type(timetable)
    assert restored == timetable
    assert restored.serialize() == timetable.serialize()
    assert restored.summary == timetable.summary
    assert restored.description == timetable.description


def test_round_tripped_timetable_schedules_the_same():
    restriction = TimeRestriction(pendulum.datetime(2024, 1, 1), None, True)
    for timetable in CASES[3:11]:
        restored = deserialize_timetable(timetable.serialize())
        assert restored.next_dagrun_info(None, restriction) == timetable.next_dagrun_info(
            None, restriction
        )


def test_deserialized_asset_condition_still_evaluates():
    tt = deserialize_timetable(
        AssetTriggeredTimetable([FakeAsset("a"), FakeAsset("b")]).serialize()
    )
    assert tt.evaluate({"a": True, "b": True}) and not tt.evaluate({"a": True})
    assert [uri for uri, _ in tt.asset_condition.iter_assets()] == ["a", "b"]
    decoded = deserialize_timetable(
        AssetOrTimeSchedule(timetable=NullTimetable(), assets=[FakeAsset("a")]).serialize(),
        condition_decoder=lambda d: FakeAsset(d["__type"]),
    )
    assert decoded.asset_condition.uri == "asset_all"


def test_deserialize_accepts_airflow_paths_and_rejects_unknown():
    data = {"__type": "airflow.timetables.trigger.CronTriggerTimetable", "expression": "0 0 * * *"}
    data["timezone"] = "UTC"
    assert deserialize_timetable(data) == CronTriggerTimetable("@daily", timezone="UTC")
    with pytest.raises(TimetableError, match="NoSuchTimetable"):
        deserialize_timetable({"__type": "NoSuchTimetable"})
    with pytest.raises(TimetableError):
        deserialize_timetable({"expression": "0 0 * * *"})


class WorkdayTimetable(Timetable):
    """A custom timetable written Airflow-style: serialize() returns only its own fields."""

    def __init__(self, hour: int = 9) -> None:
        self.hour = hour

    def serialize(self) -> dict:
        return {"hour": self.hour}

    @classmethod
    def deserialize(cls, data: dict) -> Timetable:
        return cls(data["hour"])

    def next_dagrun_info(self, last_automated_data_interval, restriction):
        return DagRunInfo.exact(pendulum.datetime(2024, 1, 1, self.hour))

    def infer_manual_data_interval(self, run_after):
        return DataInterval.exact(run_after)


def test_custom_timetable_round_trips_through_encode():
    data = encode_timetable(WorkdayTimetable(7))
    assert data["__type"].endswith("test_timetable_factory.WorkdayTimetable")
    restored = deserialize_timetable(data)
    assert isinstance(restored, WorkdayTimetable) and restored.hour == 7
    assert restored.summary == "WorkdayTimetable"


def test_asset_or_time_schedule_rejects_nesting():
    inner = AssetTriggeredTimetable(FakeAsset("a"))
    with pytest.raises(TimetableError, match="cannot wrap"):
        AssetOrTimeSchedule(timetable=inner, assets=FakeAsset("b")).validate()


def test_import_is_light():
    code = (
        "import sys, time; t = time.perf_counter(); import slipstream.timetables as m; "
        "d = time.perf_counter() - t; "
        "bad = [n for n in ('croniter', 'pendulum', 'dateutil', 'slipstream.sdk') if n in sys.modules]; "
        "print(bad, d)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    bad, _ = out.stdout.rsplit(" ", 1)
    assert bad.strip() == "[]"
    # Using a timetable pulls in the schedule modules but never the SDK.
    code = (
        "import sys; from slipstream.timetables import create_timetable; "
        "create_timetable('@daily'); create_timetable([]); print('slipstream.sdk' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
