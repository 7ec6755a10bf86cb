"""jobfsm: the executable specification of the Microsoft Graph / OneDrive asyncJobStatus lifecycle."""

from jobfsm.errors import InputError, JobFSMError, OptionsError, SpecError, TraceViolationError, UnknownStatusError
from jobfsm.lifecycle import LIFECYCLE
from jobfsm.report import InputProblem, JobReport, Report, Violation
from jobfsm.rules import RULES, Rule
from jobfsm.spec import Alias, Edge, Resolved, Spec, Status
from jobfsm.validation import JobCheck, Options, Validator, validate

__version__ = "0.1.0"

__all__ = [
    "LIFECYCLE", "RULES", "Alias", "Edge", "InputError", "InputProblem", "JobCheck", "JobFSMError",
    "JobReport", "Options", "OptionsError", "Report", "Resolved", "Rule", "Spec", "SpecError", "Status",
    "TraceViolationError", "UnknownStatusError", "Validator", "Violation", "__version__", "validate",
]
