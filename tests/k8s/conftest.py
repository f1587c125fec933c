"""Fixtures of the manifest gate: each overlay and component combination rendered once."""

import pytest
from k8s_gate import OVERLAYS, Render, cached_render, combination_name, combinations


@pytest.fixture(params=combinations(), ids=[combination_name(*combo) for combo in combinations()])
def rendered(request) -> Render:
    """Each overlay with each subset of the optional components."""
    return cached_render(*request.param)


@pytest.fixture(params=OVERLAYS)
def overlay(request) -> Render:
    """Each overlay alone, for checks the components cannot change."""
    return cached_render(request.param, ())


@pytest.fixture
def dev() -> Render:
    return cached_render("dev", ())


@pytest.fixture
def prod() -> Render:
    return cached_render("prod", ())
