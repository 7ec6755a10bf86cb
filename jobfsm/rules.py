"""The public vocabulary: the stable rule ids with their default severities, the severities, the modes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
LEVELS = (*SEVERITIES, "off")
Mode = Literal["sampled", "strict"]
MODES: tuple[Mode, ...] = ("sampled", "strict")
RANK: dict[str, int] = {"error": 3, "warning": 2, "info": 1, "off": 0}


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule id with its default severity and what it means."""

    id: str
    severity: Severity
    meaning: str


RULES: tuple[Rule, ...] = (
    Rule("illegal-transition", "error", "a change that the mode does not allow"),
    Rule("left-terminal", "error", "a different status after a terminal one"),
    Rule("unknown-status", "warning", "a status outside the spec and its aliases (the machine does not move)"),
    Rule("status-case", "warning", "a known status in the wrong case (normalised)"),
    Rule("status-alias", "info", "a status from another vocabulary, mapped"),
    Rule("skipped-states", "info", "sampled mode: the statuses the job must have passed through unseen"),
    Rule("unterminated", "warning",
         "the trace ends before a terminal status (error when complete traces are required)"),
    Rule("incomplete-start", "error",
         "complete traces are required and the first status is not the initial one"),
    Rule("missing-status", "error", "a body without `status` in a trace of bodies"),
    Rule("invalid-field", "error",
         "a known field of the wrong type (`percentageComplete` not a number, `status` not a string, ...)"),
    Rule("progress-out-of-range", "error", "`percentageComplete` below 0 or above 100"),
    Rule("progress-regressed", "warning",
         "`percentageComplete` drops within one attempt (not across waiting -> inProgress)"),
    Rule("completed-without-resource", "warning",
         "completed with no resourceId, resourceLocation, Location or item body"),
    Rule("empty-resource-id", "error", "a resource reference that is present but empty"),
    Rule("resource-changed", "error", "resourceId differs between two polls of one job"),
    Rule("operation-changed", "error", "operation differs between two polls of one job"),
    Rule("monitor-lost", "warning", "404 or operationNotFound before any terminal status"),
    Rule("auth-error", "warning", "401 from the monitor: it is pre-authenticated, so the client sent credentials"),
    Rule("http-status-mismatch", "warning", "the HTTP code contradicts the body's status (the body wins)"),
    Rule("no-status-observed", "warning", "a monitor that never answered with a status"),
)

BY_ID: dict[str, Rule] = {r.id: r for r in RULES}
