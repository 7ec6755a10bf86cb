"""Pins the verdicts on the shared recorded traces (tests/data/shared, copied from ../shared/traces)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import SHARED

from jobfsm.cli import main

EXPECTED: dict[str, dict[str, Any]] = json.loads((SHARED / "expected.json").read_text())
CASES = sorted(EXPECTED)


def test_every_shared_trace_is_a_case() -> None:
    """Every trace on disk (JSON, HAR, cassette) has an expected verdict, and there are some."""
    on_disk = {p.name for p in SHARED.iterdir() if p.suffix in (".json", ".har", ".yaml")} - {"expected.json"}
    assert on_disk == set(CASES)
    assert len(CASES) >= 14


@pytest.mark.parametrize("name", CASES, ids=CASES)
def test_shared_trace_verdict(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`jobfsm validate --format json` gives the expected ok, final, rules, and none of the absent ones."""
    want = EXPECTED[name]
    code = main(["validate", "--format", "json", "--mode", want.get("mode", "sampled"), str(SHARED / name)])
    report = json.loads(capsys.readouterr().out)
    violations = [v for job in report["jobs"] for v in job["violations"]]
    rules = {v["rule"] for v in violations}
    assert report["ok"] is want["ok"]
    assert code == (0 if want["ok"] else 1)
    assert set(want.get("rules", [])) <= rules
    assert not set(want.get("absent", [])) & rules
    assert not set(want.get("absent_severity", [])) & {v["severity"] for v in violations}
    assert len(report["jobs"]) == want.get("jobs", 1)
    if "final" in want:
        assert report["jobs"][0]["final"] == want["final"]
