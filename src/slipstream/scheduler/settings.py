"""The settings the scheduler obeys, read once from the configuration (Airflow's names)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

# field -> (section, key) in the configuration
_SOURCES = {
    "max_map_length": ("core", "max_map_length"),
    "default_pool_slots": ("core", "default_pool_task_slot_count"),
    "max_tis_per_query": ("scheduler", "max_tis_per_query"),
    "max_dagruns_to_create_per_loop": ("scheduler", "max_dagruns_to_create_per_loop"),
    "max_dagruns_per_loop_to_schedule": ("scheduler", "max_dagruns_per_loop_to_schedule"),
    "idle_sleep": ("scheduler", "scheduler_idle_sleep_time"),
    "heartbeat_sec": ("scheduler", "scheduler_heartbeat_sec"),
    "health_check_threshold": ("scheduler", "scheduler_health_check_threshold"),
    "ti_heartbeat_sec": ("scheduler", "task_instance_heartbeat_sec"),
    "ti_heartbeat_timeout": ("scheduler", "task_instance_heartbeat_timeout"),
    "ti_heartbeat_check_interval": (
        "scheduler",
        "task_instance_heartbeat_timeout_detection_interval",
    ),
    "queued_timeout": ("scheduler", "task_queued_timeout"),
    "queued_timeout_check_interval": ("scheduler", "task_queued_timeout_check_interval"),
    "num_runs": ("scheduler", "num_runs"),
}


@dataclass(frozen=True)
class SchedulerSettings:
    """Limits, intervals and timeouts of the scheduling loop (seconds for durations)."""

    max_map_length: int = 1024
    default_pool_slots: int = 128
    max_tis_per_query: int = 512
    max_dagruns_to_create_per_loop: int = 10
    max_dagruns_per_loop_to_schedule: int = 20
    idle_sleep: float = 1.0
    heartbeat_sec: float = 5.0
    health_check_threshold: float = 30.0
    ti_heartbeat_sec: float = 3.0
    ti_heartbeat_timeout: float = 300.0
    ti_heartbeat_check_interval: float = 10.0
    queued_timeout: float = 600.0
    queued_timeout_check_interval: float = 120.0
    run_timeout_check_interval: float = 1.0
    dirty_sweep_interval: float = 30.0
    num_runs: int = -1

    @classmethod
    def from_config(cls, config: Any) -> SchedulerSettings:
        """Read every setting from a `slipstream.config.Config` (or anything with the same
        `getint`/`getfloat(section, key, fallback)`); missing keys keep their defaults."""
        values: dict[str, Any] = {}
        for field in fields(cls):
            source = _SOURCES.get(field.name)
            if source is None:
                continue
            default = field.default
            reader = config.getint if isinstance(default, int) else config.getfloat
            values[field.name] = reader(*source, fallback=default)
        return cls(**values)


def settings_from(config: Any) -> SchedulerSettings:
    """`config` as settings: None gives the defaults, settings pass through."""
    if config is None:
        return SchedulerSettings()
    if isinstance(config, SchedulerSettings):
        return config
    return SchedulerSettings.from_config(config)
