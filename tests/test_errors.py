"""Pins jobfsm.errors: one error root, every public error defined there and importable from jobfsm."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import jobfsm
import jobfsm.errors
from jobfsm.errors import JobFSMError


def _subclasses(cls: type) -> set[type]:
    return {sub for direct in cls.__subclasses__() for sub in {direct, *_subclasses(direct)}}


def test_every_error_lives_in_errors_and_is_exported() -> None:
    """Every JobFSMError subclass of any jobfsm module is defined in jobfsm.errors and importable from jobfsm."""
    for info in pkgutil.iter_modules(jobfsm.__path__):
        if info.name not in ("__main__", "_speedups"):  # runs the command / may not have been built
            importlib.import_module(f"jobfsm.{info.name}")
    errors = {cls for cls in _subclasses(JobFSMError) if cls.__module__.startswith("jobfsm")}
    assert {cls.__module__ for cls in errors} == {"jobfsm.errors"}
    assert {cls.__name__ for cls in errors} < set(jobfsm.__all__)
    assert all(getattr(jobfsm, cls.__name__) is cls for cls in errors)


@pytest.mark.parametrize(("name", "builtin"), [
    ("SpecError", ValueError), ("SpecFileError", ValueError), ("InputError", ValueError),
    ("OptionsError", ValueError), ("UnknownStatusError", KeyError), ("TraceViolationError", AssertionError),
    ("IllegalStepError", ValueError), ("RenderError", RuntimeError), ("ScenarioError", ValueError),
    ("PollLimitError", RuntimeError), ("ObservationError", AssertionError),
], ids=lambda v: v if isinstance(v, str) else v.__name__)
def test_each_error_is_a_jobfsm_error_and_its_builtin(name: str, builtin: type[Exception]) -> None:
    """Each public error is importable from jobfsm, derives from JobFSMError and the built-in it resembles."""
    cls = getattr(jobfsm, name)
    assert cls is getattr(jobfsm.errors, name)
    assert issubclass(cls, JobFSMError)
    assert issubclass(cls, builtin)


def test_old_homes_still_import() -> None:
    """The errors that moved to jobfsm.errors are still importable where they were defined before."""
    from jobfsm.fake import PollLimitError, ScenarioError
    from jobfsm.render import RenderError
    from jobfsm.tracker import IllegalStepError

    assert (PollLimitError, ScenarioError, RenderError, IllegalStepError) == (
        jobfsm.PollLimitError, jobfsm.ScenarioError, jobfsm.RenderError, jobfsm.IllegalStepError)
