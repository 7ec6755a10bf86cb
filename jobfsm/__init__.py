"""jobfsm: the executable specification of the Microsoft Graph / OneDrive asyncJobStatus lifecycle.

Names are loaded on first use, so that ``import jobfsm`` (and the pytest plugin, and ``jobfsm --help``)
cost next to nothing until something is validated.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_HOMES = {
    "IllegalStepError": "errors", "InputError": "errors", "JobFSMError": "errors", "ObservationError": "errors",
    "OptionsError": "errors", "PollLimitError": "errors", "RenderError": "errors", "ScenarioError": "errors",
    "SpecError": "errors", "SpecFileError": "errors", "TraceViolationError": "errors", "UnknownStatusError": "errors",
    "LIFECYCLE": "lifecycle",
    "InputProblem": "report", "JobReport": "report", "Report": "report", "Violation": "report",
    "RULES": "rules", "Rule": "rules",
    "Alias": "spec", "Edge": "spec", "Resolved": "spec", "Spec": "spec", "Status": "spec",
    "JobCheck": "validation", "Options": "validation", "Validator": "validation", "validate": "validation",
    "Tracker": "tracker",
    "assert_valid_trace": "testing", "TraceRecorder": "testing",
    "Coverage": "coverage", "CoverageCollector": "coverage",
    "FakeMonitor": "fake", "FakeServer": "fake", "Quirks": "fake",
}

__all__ = ["__version__", *_HOMES]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'jobfsm' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"jobfsm.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:
    from jobfsm.coverage import Coverage, CoverageCollector
    from jobfsm.errors import (
        IllegalStepError,
        InputError,
        JobFSMError,
        ObservationError,
        OptionsError,
        PollLimitError,
        RenderError,
        ScenarioError,
        SpecError,
        SpecFileError,
        TraceViolationError,
        UnknownStatusError,
    )
    from jobfsm.fake import FakeMonitor, FakeServer, Quirks
    from jobfsm.lifecycle import LIFECYCLE
    from jobfsm.report import InputProblem, JobReport, Report, Violation
    from jobfsm.rules import RULES, Rule
    from jobfsm.spec import Alias, Edge, Resolved, Spec, Status
    from jobfsm.testing import TraceRecorder, assert_valid_trace
    from jobfsm.tracker import Tracker
    from jobfsm.validation import JobCheck, Options, Validator, validate
