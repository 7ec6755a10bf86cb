"""Pins jobfsm.overlay and overlay drawing: a recorded trace laid over the lifecycle."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SHARED

from jobfsm import LIFECYCLE, InputError, Options, Validator
from jobfsm.cli import main
from jobfsm.overlay import overlay_from_file
from jobfsm.render import INFERRED, VIOLATION, VISITED, Step, to_dot, to_mermaid


def _overlay(name: str, mode: str = "sampled"):  # type: ignore[no-untyped-def]
    return overlay_from_file(str(SHARED / name), Validator(Options(mode)))  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "visits", "steps"), [
    ("doc-copy-flow.json", {"inProgress": 1, "completed": 1}, [Step(1, "inProgress", "completed", "observed")]),
    ("left-terminal.json", {"inProgress": 2, "completed": 1}, [
        Step(1, "inProgress", "completed", "observed"), Step(2, "completed", "inProgress", "violation",
                                                             "left-terminal")]),
    ("long-queue-then-completed.json", {"notStarted": 4, "completed": 1}, [
        Step(1, "notStarted", "inProgress", "inferred"), Step(1, "inProgress", "completed", "inferred")]),
    ("retry-flow.json", {"inProgress": 3, "waiting": 1, "completed": 1}, [
        Step(1, "inProgress", "waiting", "observed"), Step(2, "waiting", "inProgress", "observed"),
        Step(3, "inProgress", "completed", "observed")]),
    ("har-doc-303.har", {"inProgress": 1, "completed": 1}, [Step(1, "inProgress", "completed", "observed")]),
    ("har-500-with-body.har", {"inProgress": 1, "failed": 1}, [Step(1, "inProgress", "failed", "observed")]),
    ("vcr-doc-flow.yaml", {"inProgress": 1, "completed": 1}, [Step(1, "inProgress", "completed", "observed")]),
], ids=["legal", "left-terminal", "sampled-skip", "retry", "har-303", "har-500", "cassette"])
def test_overlay_of_shared_traces(name: str, visits: dict[str, int], steps: list[Step]) -> None:
    """Polls per status and the numbered changes, observed, inferred or violating."""
    overlay = _overlay(name)
    assert (dict(overlay.visits), list(overlay.steps)) == (visits, steps)


def test_legal_trace_dot_marks_its_path() -> None:
    """doc-copy-flow: visited statuses bold with poll counts, the taken edge blue and numbered."""
    dot = to_dot(LIFECYCLE, overlay=_overlay("doc-copy-flow.json"))
    assert (f'  inProgress -> completed [label="complete [1]", tooltip="the work finished", weight=8, '
            f'color="{VISITED}", fontcolor="{VISITED}", penwidth=2.5];') in dot
    assert '  completed [label="completed\\n1 poll", fillcolor="#e6f4ea", color="#188038", ' in dot
    assert VIOLATION not in dot.split("graph [", 1)[1].split("\n", 1)[1]


def test_illegal_trace_dot_marks_the_violation_in_red() -> None:
    """left-terminal: the step back from completed is a red edge labelled with its order and rule."""
    dot = to_dot(LIFECYCLE, overlay=_overlay("left-terminal.json"))
    assert (f'  completed -> inProgress [xlabel="[2] left-terminal", color="{VIOLATION}", '
            f'fontcolor="{VIOLATION}", penwidth=2.5, constraint=false];') in dot


def test_inferred_passage_is_dashed() -> None:
    """A sampled skip draws the hops it implies dashed, in the inferred colour."""
    dot = to_dot(LIFECYCLE, overlay=_overlay("long-queue-then-completed.json"))
    line = next(x for x in dot.splitlines() if x.startswith("  notStarted -> inProgress"))
    assert line.endswith(f'color="{INFERRED}", fontcolor="{INFERRED}", penwidth=2.5, style=dashed];')


def test_mermaid_overlay() -> None:
    """Mermaid overlays number edges (inferred with '?'), add the violation edge, and class the statuses."""
    lines = to_mermaid(LIFECYCLE, overlay=_overlay("left-terminal.json")).splitlines()
    assert "  inProgress --> completed : complete [1]" in lines
    assert "  completed --> inProgress : [2] left-terminal" in lines
    assert "  class inProgress violation" in lines
    assert "  class completed visited" in lines
    skip = to_mermaid(LIFECYCLE, overlay=_overlay("long-queue-then-completed.json")).splitlines()
    assert "  notStarted --> inProgress : start [1?]" in skip


@pytest.mark.parametrize("fmt", ["dot", "mermaid", "svg", "png", "pdf"])
def test_render_trace_in_every_format(fmt: str, tmp_path: Path) -> None:
    """`jobfsm render --trace` works for every format (images need a Graphviz backend)."""
    if fmt in ("svg", "png", "pdf"):
        pytest.importorskip("pygraphviz")
    out = tmp_path / f"o.{fmt}"
    assert main(["render", "--trace", str(SHARED / "left-terminal.json"), "--format", fmt, "-o", str(out)]) == 0
    assert out.stat().st_size > 100


def test_a_log_of_several_jobs_needs_a_pick(tmp_path: Path) -> None:
    """A multi-job log asks for --job; --job picks one; an unknown one lists the jobs."""
    log = Path(__file__).parent.parent / "examples" / "many-jobs.jsonl"
    validator = Validator()
    with pytest.raises(InputError) as info:
        overlay_from_file(str(log), validator)
    assert str(info.value) == f"{log}: holds 3 jobs (copy-a, copy-b, copy-c); pick one with --job"
    assert overlay_from_file(str(log), validator, job="copy-b").visits == {"inProgress": 2, "waiting": 1,
                                                                           "completed": 1}
    with pytest.raises(InputError) as info:
        overlay_from_file(str(log), validator, job="nope")
    assert str(info.value) == f"{log}: no job 'nope'; the jobs are copy-a, copy-b, copy-c"


def test_visits_count_only_the_polls_that_carried_the_status(tmp_path: Path) -> None:
    """Unknown statuses add no poll to the status the machine stays at; the note says where the trace ended."""
    trace = tmp_path / "t.txt"
    trace.write_text("inProgress\nbogus\nbogus\nCompleted\nrunning\n")
    overlay = overlay_from_file(str(trace), Validator())
    assert dict(overlay.visits) == {"inProgress": 2, "completed": 1}
    assert overlay.note == "the trace ends at inProgress after 5 polls: not terminal (unterminated)"
    assert "the trace ends at inProgress after 5 polls: not terminal (unterminated)" in to_dot(LIFECYCLE,
                                                                                                overlay=overlay)
    assert _overlay("doc-copy-flow.json").note == "the trace ends at completed after 2 polls"


def test_job_pick_in_a_file_without_keys_names_it_plainly(tmp_path: Path) -> None:
    """--job on a trace without job keys lists its one job as '(no job key)', not Python's None."""
    with pytest.raises(InputError) as info:
        overlay_from_file(str(SHARED / "doc-copy-flow.json"), Validator(), job="x")
    assert str(info.value) == f"{SHARED / 'doc-copy-flow.json'}: no job 'x'; the jobs are (no job key)"


def test_job_keys_in_messages_are_safe_and_short(tmp_path: Path) -> None:
    """Keys with newlines or escapes are quoted, long lists are cut, and '1' and 1 are told apart."""
    log = tmp_path / "t.jsonl"
    lines = ['{"job": "a\\nb", "status": "failed"}', '{"job": 1, "status": "failed"}',
             '{"job": "1", "status": "completed"}']
    lines += [f'{{"job": "j{i}", "status": "failed"}}' for i in range(10)]
    log.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as info:
        overlay_from_file(str(log), Validator())
    assert str(info.value) == (f"{log}: holds 13 jobs ('a\\nb', 1 (a number), 1, j0, j1, ... (13 in all)); pick one "
                               "with --job")
    assert overlay_from_file(str(log), Validator(), job="1").visits == {"completed": 1}
