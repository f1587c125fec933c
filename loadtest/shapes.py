"""Locust LoadTestShape classes for the profiles in loadtest.profiles.

Locust runs the first shape class it finds in the locustfile and ignores --users and
--spawn-rate when there is one, so the locustfile exposes a shape only when a shape name
is given: LOAD_SHAPE=step, or `--shape step` on Locust's command line.
"""

import argparse
import os
import sys

from locust import LoadTestShape, events

from loadtest.profiles import PROFILES, Profile, build_profile, parameter_names


def selected_shape_name(argv: list[str] | None = None) -> str | None:
    """Read the shape name from --shape or LOAD_SHAPE.

    Locust imports the locustfile before it parses custom options, so the name is read
    here from the raw command line.
    """
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--shape")
    known, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    return known.shape or os.environ.get("LOAD_SHAPE") or None


@events.init_command_line_parser.add_listener
def add_shape_options(parser) -> None:
    parser.add_argument(
        "--shape",
        choices=list(PROFILES),
        default=None,
        env_var="LOAD_SHAPE",
        help="load shape to run instead of --users and --spawn-rate",
    )
    for name, kind in parameter_names().items():
        parser.add_argument(
            f"--shape-{name.replace('_', '-')}",
            type=kind,
            default=None,
            env_var=f"SHAPE_{name.upper()}",
            help=f"shape parameter {name} (default: the shape's own)",
        )


class ProfileShape(LoadTestShape):
    """Drives Locust from a Profile; subclasses set `profile_name`."""

    abstract = True
    profile_name = ""

    def __init__(self) -> None:
        super().__init__()
        self._profile: Profile | None = None

    @property
    def profile(self) -> Profile:
        if self._profile is None:
            options = self.runner.environment.parsed_options if self.runner else None
            values = {
                name: getattr(options, f"shape_{name}", None) for name in parameter_names()
            }
            self._profile = build_profile(self.profile_name, values)
        return self._profile

    def tick(self) -> tuple[int, float] | None:
        return self.profile.tick(self.get_run_time())


def shape_class(name: str) -> type[ProfileShape]:
    """Return a concrete LoadTestShape for the named profile."""
    build_profile(name)  # reject an unknown name or invalid SHAPE_* values at import
    class_name = "".join(part.title() for part in name.split("-")) + "Shape"
    return type(class_name, (ProfileShape,), {"abstract": False, "profile_name": name})
