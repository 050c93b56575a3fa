"""Fixtures for the simulated-portal tests: one default universe, one server per module."""

from __future__ import annotations

import pytest

from harvester.sim import SimServer, build_universe

FIRST_HOST = 60  # away from the default 20 that the demo uses


@pytest.fixture(scope="session")
def universe():
    return build_universe(seed=2025)


@pytest.fixture(scope="module")
def server(universe):
    with SimServer(universe, first_host=FIRST_HOST) as srv:
        yield srv
