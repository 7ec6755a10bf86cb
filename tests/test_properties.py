"""Pins the validator's invariants with Hypothesis: legal walks are clean; one corrupted step is found there."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from jobfsm import LIFECYCLE, Options, Validator, validate

NAMES = LIFECYCLE.names
ERRORS = {"illegal-transition", "left-terminal"}


@st.composite
def strict_walks(draw: st.DrawFn) -> list[str]:
    """A walk along edges from any status, with repeats, possibly stopping before a terminal status."""
    walk = [draw(st.sampled_from(NAMES))]
    for _ in range(draw(st.integers(0, 30))):
        options = (walk[-1], *LIFECYCLE.successors(walk[-1]))
        walk.append(draw(st.sampled_from(options)))
    return walk


@st.composite
def sampled_walks(draw: st.DrawFn) -> list[str]:
    """A strict walk seen through polls: any subsequence of it, first poll anywhere."""
    walk = draw(strict_walks())
    keep = draw(st.lists(st.booleans(), min_size=len(walk), max_size=len(walk)))
    seen = [s for s, k in zip(walk, keep, strict=True) if k]
    return seen or walk[:1]


def bodies(walk: list[str], *, retries_restart: bool = True) -> list[dict[str, Any]]:
    """Realistic bodies for a walk: progress rising within an attempt, a resourceId on completion."""
    out: list[dict[str, Any]] = []
    progress = 0.0
    for prev, status in zip([None, *walk], walk, strict=False):
        if retries_restart and (prev, status) == ("waiting", "inProgress"):
            progress = 0.0
        progress = min(100.0, progress + (7.5 if status == "inProgress" else 0.0))
        body: dict[str, Any] = {"operation": "ItemCopy", "percentageComplete": progress, "status": status}
        if status == "completed":
            body["resourceId"] = "01R"
        out.append(body)
    return out


@settings(max_examples=300)
@given(strict_walks())
def test_every_legal_walk_validates_clean_in_both_modes(walk: list[str]) -> None:
    """A walk along edges has no error or warning but `unterminated` in strict and sampled mode."""
    for mode in ("strict", "sampled"):
        for trace in (walk, bodies(walk)):
            report = validate(trace, mode=mode)  # type: ignore[arg-type]
            assert report.ok
            assert {v.rule for v in report.violations} <= {"unterminated"}


@settings(max_examples=300)
@given(sampled_walks())
def test_every_sampled_walk_validates_clean_in_sampled_mode(walk: list[str]) -> None:
    """Polls that skip statuses are legal in sampled mode, with only info notes and `unterminated`."""
    report = validate(bodies(walk, retries_restart=False))
    assert report.ok
    assert {v.rule for v in report.violations if v.severity != "info"} <= {"unterminated"}


def _illegal_after(status: str, mode: str) -> list[str]:
    if LIFECYCLE.is_terminal(status):
        return [n for n in NAMES if n != status]
    allowed = LIFECYCLE.successors(status) if mode == "strict" else LIFECYCLE.reachable(status)
    return [n for n in NAMES if n != status and n not in allowed]


@settings(max_examples=300)
@given(st.sampled_from(["strict", "sampled"]), st.data())
def test_a_single_corrupted_step_is_reported_at_its_index(mode: str, data: st.DataObject) -> None:
    """Replace one poll of a legal walk by a status that cannot follow: the first error is at that index."""
    walk = data.draw(strict_walks() if mode == "strict" else sampled_walks())
    spots = [i for i in range(1, len(walk) + 1) if _illegal_after(walk[i - 1], mode)]
    if not spots:
        return
    i = data.draw(st.sampled_from(spots))
    bad = data.draw(st.sampled_from(_illegal_after(walk[i - 1], mode)))
    corrupted = [*walk[:i], bad, *walk[i + 1:]]
    errors = [v for v in validate(corrupted, mode=mode).violations if v.severity == "error"]  # type: ignore[arg-type]
    assert errors
    assert errors[0].index == i
    assert errors[0].rule == ("left-terminal" if LIFECYCLE.is_terminal(walk[i - 1]) else "illegal-transition")
    assert (errors[0].from_status, errors[0].to_status) == (walk[i - 1], bad)


RAW_STATUSES = [*NAMES, "Completed", "INPROGRESS", "running", "succeeded", "deletePending", "mystery", ""]
BODIES = st.fixed_dictionaries({"status": st.sampled_from(RAW_STATUSES)}, optional={
    "percentageComplete": st.one_of(st.none(), st.integers(0, 100), st.floats(0, 100)),
    "resourceId": st.sampled_from([None, "", "A", "B"]),
    "resourceLocation": st.sampled_from([None, "", "https://x/items/1"]),
    "operation": st.sampled_from([None, "ItemCopy", "DownloadUrl"]),
})
ITEMS = st.lists(st.one_of(st.sampled_from(RAW_STATUSES), BODIES), max_size=25)


def _violations(check: Any) -> list[Any]:
    return list(check.finish().violations)


@settings(max_examples=500)
@given(ITEMS, st.sampled_from(["strict", "sampled"]), st.booleans())
def test_fast_paths_agree_with_the_general_path(items: list[Any], mode: str, complete: bool) -> None:
    """feed_many and poll (the short cuts) report exactly what feed reports, poll by poll."""
    validator = Validator(Options(mode, complete))  # type: ignore[arg-type]
    general, fast = validator.job(), validator.job()
    for item in items:
        general.feed(item)
    for pos, item in enumerate(items):
        if isinstance(item, str):
            fast.feed(item)
        else:
            fast.poll(item["status"], item.get("percentageComplete"), item.get("resourceId"),
                      item.get("resourceLocation"), item.get("operation"), pos)
    assert _violations(fast) == _violations(general)
    if all(isinstance(i, str) for i in items):
        many = validator.job()
        many.feed_many(items)
        assert _violations(many) == _violations(general)
