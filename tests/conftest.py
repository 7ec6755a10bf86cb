"""Shared test helpers: where the test data lives."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parent / "data"
SHARED = DATA / "shared"

pytest_plugins = ["pytester"]
