"""Hypothesis strategies (the ``hypothesis`` extra): legal traces, and illegal ones that carry the index
and rule of their first violation, to drive a client's own tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from jobfsm.lifecycle import LIFECYCLE
from jobfsm.machine import tables
from jobfsm.spec import Spec

__all__ = ["IllegalTrace", "illegal_traces", "legal_traces"]


@dataclass(frozen=True)
class IllegalTrace:
    """A trace whose first error is ``rule`` at poll ``index``."""

    trace: list[Any]
    index: int
    rule: str


def legal_traces(spec: Spec = LIFECYCLE, *, mode: str = "sampled", bodies: bool = False, complete: bool = False,
                 max_polls: int = 30) -> st.SearchStrategy[list[Any]]:
    """Traces that validate without errors or warnings (``unterminated`` aside, unless ``complete``):
    repeats, skips in sampled mode, and as bodies a rising ``percentageComplete`` (restarting on a retry)
    and a ``resourceId`` on success."""
    _check_args(mode, max_polls, 1)
    return _legal(spec, mode, bodies, complete, max_polls)


def illegal_traces(spec: Spec = LIFECYCLE, *, mode: str = "sampled", bodies: bool = False,
                   max_polls: int = 30) -> st.SearchStrategy[IllegalTrace]:
    """Legal traces with one poll corrupted: a status that cannot follow (``illegal-transition`` or
    ``left-terminal``) or, as bodies, a broken field too; the corrupted poll is the first error."""
    _check_args(mode, max_polls, 2)
    return _corrupt(spec, mode, bodies, max_polls)


def _check_args(mode: str, max_polls: int, least: int) -> None:
    if mode not in ("sampled", "strict"):
        raise ValueError(f"mode must be 'sampled' or 'strict', not {mode!r}")
    if not isinstance(max_polls, int) or max_polls < least:
        raise ValueError(f"max_polls must be an integer of at least {least}, not {max_polls!r}")


@st.composite
def _legal(draw: st.DrawFn, spec: Spec, mode: str, bodies: bool, complete: bool, max_polls: int) -> list[Any]:
    walk = draw(_walk(spec, mode, complete, max_polls))
    return _as_bodies(spec, walk) if bodies else walk


@st.composite
def _walk(draw: st.DrawFn, spec: Spec, mode: str, complete: bool, max_polls: int) -> list[str]:
    t = tables(spec)
    walk = [spec.initial if complete else draw(st.sampled_from(spec.names))]
    while len(walk) < max_polls and (complete or draw(st.booleans())):
        here = walk[-1]
        if here in t.terminal:  # a finished job may still be polled: the same answer again
            if draw(st.booleans()):
                break
            walk.append(here)
            continue
        walk.append(draw(st.sampled_from((here, *t.successors[here]))))
    if complete and walk[-1] not in t.terminal:
        walk += list(t.paths[walk[-1]][draw(st.sampled_from(sorted(t.paths[walk[-1]].keys() & t.terminal)))])
    if mode == "sampled" and len(walk) > 2:
        keep = draw(st.lists(st.booleans(), min_size=len(walk) - 2, max_size=len(walk) - 2))
        walk = [walk[0], *(s for s, k in zip(walk[1:-1], keep, strict=True) if k), walk[-1]]
    return walk


def _as_bodies(spec: Spec, walk: list[str]) -> list[dict[str, Any]]:
    t = tables(spec)
    out: list[dict[str, Any]] = []
    progress = 0.0
    for i, status in enumerate(walk):
        prev = walk[i - 1] if i else None
        if prev is not None and (prev, status) in t.resets:
            progress = 0.0
        elif status not in t.terminal and status != spec.initial:
            progress = min(100.0, progress + 12.5)
        body: dict[str, Any] = {"operation": "ItemCopy", "percentageComplete": progress, "status": status}
        if status in t.success:
            body["percentageComplete"] = progress = 100.0
            body["resourceId"] = "01JOBFSMRESOURCE"
        out.append(body)
    return out


@st.composite
def _corrupt(draw: st.DrawFn, spec: Spec, mode: str, bodies: bool, max_polls: int) -> IllegalTrace:
    t = tables(spec)
    allowed = {a: set(t.successors[a] if mode == "strict" else t.paths[a]) | {a} for a in spec.names}

    def spots(walk: list[str]) -> list[int]:
        """The polls that some status could not take the place of legally."""
        return [i for i in range(1, len(walk)) if set(spec.names) - allowed[walk[i - 1]]]

    kind = draw(st.sampled_from(["status", "field", "range", "missing"] if bodies else ["status"]))
    if kind == "status":
        walk = draw(_walk(spec, mode, False, max_polls).filter(lambda w: bool(spots(w))))
        i = draw(st.sampled_from(spots(walk)))
        bad = draw(st.sampled_from(sorted(set(spec.names) - allowed[walk[i - 1]])))
        corrupted = [*walk[:i], bad, *walk[i + 1:]]
        rule = "left-terminal" if walk[i - 1] in t.terminal else "illegal-transition"
        return IllegalTrace(_as_bodies(spec, corrupted) if bodies else corrupted, i, rule)
    trace = _as_bodies(spec, draw(_walk(spec, mode, False, max_polls)))
    i = draw(st.integers(0, len(trace) - 1))
    if kind == "field":
        trace[i]["percentageComplete"] = draw(st.sampled_from(["50", True, [], {}]))
        return IllegalTrace(trace, i, "invalid-field")
    if kind == "range":
        trace[i]["percentageComplete"] = draw(st.sampled_from([-1, 100.5, 250]))
        return IllegalTrace(trace, i, "progress-out-of-range")
    del trace[i]["status"]
    return IllegalTrace(trace, i, "missing-status")
