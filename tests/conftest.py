"""Shared fixtures and the pinned Hypothesis profiles.

Profiles: ``ci`` (the default: derandomized, bounded, no example database, so every run of the
suite explores the same examples) and ``dev`` (more examples, randomized, for hunting locally):
``HYPOTHESIS_PROFILE=dev pytest``.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from emu.kernel import Kernel

settings.register_profile(
    "ci",
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=400, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def kernel() -> Kernel:
    """A fresh one-processor kernel with the canonical chooser."""
    return Kernel()
