"""Load profiles: user counts over time, with no Locust import so the simulator can use them.

Each profile is bounded: `tick` returns None once `duration_seconds` have passed, which ends
the Locust run. Parameters come from the environment as SHAPE_<FIELD> (for example
SHAPE_PEAK_USERS=200) or from Locust's command line as --shape-<field>.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields


class ProfileError(ValueError):
    pass


@dataclass(frozen=True)
class Profile:
    # Users started (or stopped) per second when the user count changes.
    spawn_rate: float = 10.0

    @property
    def duration_seconds(self) -> float:
        raise NotImplementedError

    def users_at(self, elapsed: float) -> int:
        raise NotImplementedError

    def tick(self, elapsed: float) -> tuple[int, float] | None:
        """Return (users, spawn rate) for Locust, or None to end the run."""
        if elapsed >= self.duration_seconds:
            return None
        return self.users_at(elapsed), self.spawn_rate

    def validate(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if value < 0:
                raise ProfileError(f"{item.name} must be 0 or more, got {value}")
        if self.spawn_rate <= 0:
            raise ProfileError(f"spawn_rate must be above 0, got {self.spawn_rate}")


@dataclass(frozen=True)
class StepProfile(Profile):
    """Add `step_users` every `step_seconds`, `steps` times, then hold the top level.

    The defaults reach 200 users. With the costs in loadtest/capacity.json and the prod
    overlay's requests, that is about 340 requests/s, past the CPU target of the minimum
    replicas of product and user (see `make hpa-sim`). Each step lasts four HPA sync
    periods, and the hold leaves time for the last scale-ups.
    """

    start_users: int = 25
    step_users: int = 25
    step_seconds: float = 60.0
    steps: int = 8
    hold_seconds: float = 180.0

    @property
    def duration_seconds(self) -> float:
        return self.steps * self.step_seconds + self.hold_seconds

    def validate(self) -> None:
        super().validate()
        if self.steps < 1 or self.step_seconds <= 0:
            raise ProfileError("steps must be 1 or more and step_seconds above 0")

    def users_at(self, elapsed: float) -> int:
        step = min(int(elapsed // self.step_seconds), self.steps - 1)
        return self.start_users + step * self.step_users


@dataclass(frozen=True)
class SpikeProfile(Profile):
    """Hold a base load, jump to `spike_users` for `spike_seconds`, then return to the base."""

    base_users: int = 10
    spike_users: int = 150
    base_seconds: float = 60.0
    spike_seconds: float = 60.0
    recovery_seconds: float = 180.0
    spawn_rate: float = 50.0

    @property
    def duration_seconds(self) -> float:
        return self.base_seconds + self.spike_seconds + self.recovery_seconds

    def users_at(self, elapsed: float) -> int:
        in_spike = self.base_seconds <= elapsed < self.base_seconds + self.spike_seconds
        return self.spike_users if in_spike else self.base_users


@dataclass(frozen=True)
class SoakProfile(Profile):
    """Hold a steady load for a long time to show leaks and slow drifts."""

    users: int = 50
    soak_seconds: float = 1800.0

    @property
    def duration_seconds(self) -> float:
        return self.soak_seconds

    def users_at(self, elapsed: float) -> int:
        return self.users


@dataclass(frozen=True)
class RampDownProfile(Profile):
    """Hold a peak, lower the load linearly to a floor, and hold the floor.

    The floor lasts past the HPA's default 300 s scale-down stabilization window so that
    scale-in can be seen in the same run.
    """

    peak_users: int = 100
    floor_users: int = 5
    peak_seconds: float = 180.0
    ramp_seconds: float = 120.0
    floor_seconds: float = 420.0

    @property
    def duration_seconds(self) -> float:
        return self.peak_seconds + self.ramp_seconds + self.floor_seconds

    def users_at(self, elapsed: float) -> int:
        if elapsed < self.peak_seconds:
            return self.peak_users
        ramp_elapsed = elapsed - self.peak_seconds
        if ramp_elapsed >= self.ramp_seconds:
            return self.floor_users
        fraction = ramp_elapsed / self.ramp_seconds
        return round(self.peak_users - fraction * (self.peak_users - self.floor_users))


PROFILES: dict[str, type[Profile]] = {
    "step": StepProfile,
    "spike": SpikeProfile,
    "soak": SoakProfile,
    "ramp-down": RampDownProfile,
}


def parameter_names() -> dict[str, type]:
    """Return every profile parameter with its type, for command-line options."""
    names: dict[str, type] = {}
    for profile in PROFILES.values():
        for item in fields(profile):
            names[item.name] = item.type
    return names


def build_profile(
    name: str,
    values: dict[str, object] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Profile:
    """Build the named profile from `values`, then SHAPE_<FIELD> variables, then defaults."""
    if name not in PROFILES:
        raise ProfileError(f"unknown shape {name!r}; choose one of {', '.join(PROFILES)}")
    profile_class = PROFILES[name]
    values = values or {}
    environ = os.environ if environ is None else environ
    arguments = {}
    for item in fields(profile_class):
        raw = values.get(item.name)
        if raw is None:
            raw = environ.get(f"SHAPE_{item.name.upper()}")
        if raw is None:
            continue
        try:
            arguments[item.name] = item.type(raw) if isinstance(item.type, type) else float(raw)
        except ValueError as exc:
            raise ProfileError(f"{item.name} must be a number, got {raw!r}") from exc
    profile = profile_class(**arguments)
    profile.validate()
    return profile
