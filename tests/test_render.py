"""Pins jobfsm.render: deterministic DOT and Mermaid, both Graphviz backends, and the no-backend error."""

from __future__ import annotations

import html
import os
import re
import shutil
import struct
import sys
import xml.etree.ElementTree as ET

import pytest
from conftest import dense_spec

from jobfsm import LIFECYCLE, Spec
from jobfsm.cli import main
from jobfsm.render import RenderError, clean, render_image, to_dot, to_mermaid

REQUIRE = os.environ.get("JOBFSM_REQUIRE_BACKENDS") == "1"  # set by .ci/run: a missing backend fails there
EVENTS = set(LIFECYCLE.events)


def _backend_or_skip(backend: str) -> None:
    """Skip a backend that is not installed here, unless CI requires both."""
    if backend == "system":
        present = shutil.which("dot") is not None and _importable("graphviz")
    else:
        present = _importable("pygraphviz")
    if not present:
        if REQUIRE:
            pytest.fail(f"the {backend} Graphviz backend is required in CI and missing")
        pytest.skip(f"the {backend} Graphviz backend is not installed")


def _importable(name: str) -> bool:
    try:
        __import__(name)
    except ImportError:
        return False
    return True


def test_dot_is_deterministic() -> None:
    """Two renderings of the same spec are byte for byte the same."""
    assert to_dot(LIFECYCLE) == to_dot(LIFECYCLE)
    assert to_mermaid(LIFECYCLE) == to_mermaid(LIFECYCLE)


def test_dot_parses_and_holds_the_lifecycle() -> None:
    """The DOT parses with Graphviz; nodes are the statuses (plus the start marker); edges carry events."""
    _backend_or_skip("pygraphviz")
    import pygraphviz

    graph = pygraphviz.AGraph(string=to_dot(LIFECYCLE))
    assert set(graph.nodes()) == {*LIFECYCLE.names, "__start"}
    labelled = {(a, b, graph.get_edge(a, b).attr["label"]) for a, b in graph.edges() if a != "__start"
                and graph.get_edge(a, b).attr["style"] != "invis"}
    assert labelled == {(e.source, e.dest, e.event) for e in LIFECYCLE.edges}


def test_dot_drawing_rules() -> None:
    """Initial marked, terminal statuses final (double border) and side by side, main path weighted."""
    dot = to_dot(LIFECYCLE)
    assert "__start -> notStarted [arrowsize=0.8];" in dot
    for name in LIFECYCLE.terminals:
        line = next(x for x in dot.splitlines() if x.strip().startswith(f"{name} ["))
        assert "peripheries=2" in line
    assert "  { rank=same; cancelled; completed; failed; }" in dot
    assert '  notStarted -> inProgress [label="start", tooltip="a worker picked the job up", weight=8];' in dot
    assert 'graph [rankdir=TB, label=<My title>' in to_dot(LIFECYCLE, direction="TB", title="My title")


def test_mermaid_state_diagram() -> None:
    """Mermaid: a stateDiagram-v2 with the start, every edge labelled by its event, and the final states."""
    lines = to_mermaid(LIFECYCLE, direction="TB").splitlines()
    assert lines[:5] == ["---", 'title: "asyncJobStatus lifecycle"', "---", "stateDiagram-v2", "  direction TB"]
    assert "  [*] --> notStarted" in lines
    assert {line.strip() for line in lines if " : " in line} == {
        f"{e.source} --> {e.dest} : {e.event}" for e in LIFECYCLE.edges}
    assert [line for line in lines if line.endswith("--> [*]")] == [
        "  completed --> [*]", "  failed --> [*]", "  cancelled --> [*]"]


@pytest.mark.parametrize("backend", ["system", "pygraphviz"])
def test_svg_names_every_status_and_event(backend: str) -> None:
    """The SVG of each backend parses as XML and names all seven statuses and every event."""
    _backend_or_skip(backend)
    svg = render_image(to_dot(LIFECYCLE), "svg", backend)
    texts = {t.text for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")}
    assert set(LIFECYCLE.names) <= texts
    assert texts >= EVENTS


@pytest.mark.parametrize("backend", ["system", "pygraphviz"])
def test_png_and_pdf_are_valid(backend: str) -> None:
    """PNG has the signature and a sensible size in its header; PDF starts as a PDF."""
    _backend_or_skip(backend)
    png = render_image(to_dot(LIFECYCLE), "png", backend)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width > 600
    assert height > 300
    assert render_image(to_dot(LIFECYCLE), "pdf", backend).startswith(b"%PDF")


def test_no_backend_is_one_clear_error(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """With neither backend, images fail with one line naming both remedies; DOT and Mermaid still work."""
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    monkeypatch.setitem(sys.modules, "pygraphviz", None)
    message = ("rendering svg needs Graphviz: pip install 'jobfsm[render]' (pygraphviz, which carries Graphviz), or "
               "install the dot program (e.g. apt-get install graphviz) and pip install graphviz; DOT and Mermaid "
               "output need neither")
    with pytest.raises(RenderError) as info:
        render_image(to_dot(LIFECYCLE), "svg")
    assert str(info.value) == message
    assert main(["render", "--format", "svg"]) == 2
    assert capsys.readouterr().err == f"jobfsm: error: {message}\n"
    assert main(["render", "--format", "mermaid"]) == 0
    assert main(["render"]) == 0


def test_render_writes_the_format_of_the_extension(tmp_path: os.PathLike[str]) -> None:
    """`-o x.mmd` writes Mermaid and `-o x.dot` DOT, without --format."""
    for name, start in (("x.mmd", b"---\ntitle:"), ("x.dot", b"digraph lifecycle {")):
        path = os.path.join(tmp_path, name)
        assert main(["render", "-o", path]) == 0
        with open(path, "rb") as f:
            assert f.read().startswith(start)


@pytest.mark.parametrize(("name", "dot_id", "mermaid_lines"), [
    ('say "hi"', "__s0", ['  state "say #34;hi#34;" as s0', "  s0 --> done : go"]),
    ("end", "end", ['  state "end" as s0', "  s0 --> done : go"]),
    ("node", "__s0", ["  node --> done : go"]),
    ("__start", "__s0", ["  __start --> done : go"]),
    ("s1", "s1", ['  state "s1" as s0', "  s0 --> done : go"]),
], ids=["quotes", "mermaid-keyword", "dot-keyword", "dot-start-node", "mermaid-synthetic-id"])
def test_awkward_names_are_renamed(name: str, dot_id: str, mermaid_lines: list[str]) -> None:
    """Names with quotes, keywords of DOT or Mermaid, and names like the ids made up for those get made-up ids."""
    from jobfsm import Edge, Spec, Status

    spec = Spec("t", (Status(name, "initial"), Status("done", "terminal", outcome="success")),
                (Edge(name, "go", "done"),))
    assert f"  {dot_id} -> done [" in to_dot(spec)
    lines = to_mermaid(spec).splitlines()
    assert all(line in lines for line in mermaid_lines)


def test_empty_title_draws_no_title() -> None:
    """An empty title leaves the graph label out (Graphviz refuses an empty HTML label)."""
    dot = to_dot(LIFECYCLE, title="")
    assert "label=<>" not in dot
    assert dot.splitlines()[1].startswith("  graph [rankdir=LR, labelloc=t,")
    if shutil.which("dot") and _importable("graphviz"):
        assert render_image(dot, "svg", "system").lstrip().startswith(b"<?xml")


@pytest.mark.parametrize(("argv", "message"), [
    (["-o", "out.JPG"], "-o out.JPG: cannot tell the format from '.jpg'; use --format (dot, mermaid, pdf, png, svg)"),
    (["--format", "svg", "-o", "out.png"], "-o out.png looks like png, but --format is svg"),
    (["--check", "d", "--update", "d"], "--check and --update: give one of them"),
    (["--check", "d", "--direction", "TB", "-o", "x.png"],
     "--check draws the committed diagrams only; drop --output, --direction"),
    (["--job", "a"], "--job only go with --trace FILE"),
    (["--check", "/nonexistent"], "--check /nonexistent: not a directory"),
], ids=["unknown-extension", "format-mismatch", "check-and-update", "check-with-drawing", "job-without-trace",
        "check-missing-dir"])
def test_render_refuses_what_it_would_ignore(argv: list[str], message: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """Options that would be ignored or would write the wrong format are a usage error, exit 2."""
    assert main(["render", *argv]) == 2
    assert capsys.readouterr().err == f"jobfsm: error: {message}\n"


def _agraph(dot: str) -> object:
    import pygraphviz

    return pygraphviz.AGraph(string=dot)


@pytest.mark.parametrize("title", ["\x01\x1b[1mbold\x7f", "x" * 17_000, "&" * 4_000, "bad\udcffutf8", "a\nb"],
                         ids=["control", "17k", "ampersands", "surrogate", "newline"])
def test_hostile_titles_still_draw(title: str) -> None:
    """Control characters, undecodable bytes and huge titles come out escaped and capped; Graphviz draws them."""
    _backend_or_skip("pygraphviz")
    dot = to_dot(LIFECYCLE, title=title)
    assert "\x01" not in dot
    assert "\udcff" not in dot
    assert len(dot) < 20_000
    _agraph(dot)
    assert render_image(dot, "svg", "pygraphviz").lstrip().startswith(b"<?xml")
    mermaid = to_mermaid(LIFECYCLE, title=title)
    assert mermaid.splitlines()[1].startswith('title: "')
    assert mermaid.count("\n") == to_mermaid(LIFECYCLE).count("\n")


def test_long_traces_draw_a_bounded_picture(tmp_path: os.PathLike[str]) -> None:
    """10,000 changes of every kind give at most one edge per pair of statuses and short labels."""
    from jobfsm import Validator
    from jobfsm.overlay import overlay_from_file

    trace = os.path.join(tmp_path, "t.json")
    with open(trace, "w") as f:
        f.write(str(["notStarted", "completed", "inProgress", "cancelled", "waiting", "failed", "cancelPending"]
                    * 1430).replace("'", '"'))
    dot = to_dot(LIFECYCLE, overlay=overlay_from_file(trace, Validator()))
    edges = [line for line in dot.splitlines() if " -> " in line]
    assert len(edges) <= 1 + 1 + len(LIFECYCLE.edges) + 49
    assert max(len(line) for line in dot.splitlines()) < 600
    assert "times]" in dot


@pytest.mark.parametrize("script", ["echo 'Error: broken' >&2; exit 1", "exit 0"],
                         ids=["dot-fails", "dot-quits-early"])
def test_a_failing_dot_is_one_line_error(script: str, tmp_path: os.PathLike[str], monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """A dot that fails, or quits before reading its input, is a RenderError and exit 2, never exit 0."""
    if not _importable("graphviz"):
        pytest.skip("needs the graphviz package")
    fake = os.path.join(tmp_path, "dot")
    with open(fake, "w") as f:
        f.write(f"#!/bin/sh\n{script}\n")
    os.chmod(fake, 0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    big = to_dot(LIFECYCLE, title="x" * 1999) * 300  # more than a pipe holds, so an early quit breaks it
    with pytest.raises(RenderError) as info:
        render_image(big, "svg", "system")
    assert str(info.value).startswith("dot could not draw it")
    assert "\n" not in str(info.value)
    assert main(["render", "--backend", "system", "-o", os.path.join(tmp_path, "x.svg")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("jobfsm: error: dot could not draw it")
    assert err.count("\n") == 1


def test_output_fifo_without_reader_is_an_error_not_a_wait(tmp_path: os.PathLike[str]) -> None:
    """-o to a FIFO nobody reads fails at once with one line."""
    import subprocess

    fifo = os.path.join(tmp_path, "fifo")
    os.mkfifo(fifo)
    done = subprocess.run([sys.executable, "-m", "jobfsm", "render", "-o", fifo, "--format", "dot"],
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (2, f"jobfsm: error: cannot write {fifo}: No such device or address\n")


def test_output_dash_is_standard_output(capsys: pytest.CaptureFixture[str]) -> None:
    """-o - writes to standard output, not to a file called '-'."""
    assert main(["render", "-o", "-", "--format", "mermaid"]) == 0
    assert capsys.readouterr().out.startswith("---\ntitle:")
    assert not os.path.exists("-")


def _shown(label: str) -> str:
    """What Graphviz shows for a DOT label read back: escString's ``\\\\`` and ``\\n``, then HTML entities."""
    return html.unescape(re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), label))


def test_hostile_names_read_back_from_dot(hostile_spec: Spec) -> None:
    """Graphviz parses the DOT of hostile names into one node per status and one edge per event, labelled
    with the names as written (control characters made visible)."""
    _backend_or_skip("pygraphviz")
    import pygraphviz

    graph = pygraphviz.AGraph(string=to_dot(hostile_spec))
    labels = {str(n): _shown(n.attr["label"]) for n in graph.nodes() if n != "__start"}
    assert sorted(labels.values()) == sorted(clean(n) for n in hostile_spec.names)
    events = {(labels[a], labels[b], _shown(e.attr["label"])) for e in graph.edges() for a, b in [e]
              if "__start" not in (a, b)}
    assert events == {(clean(e.source), clean(e.dest), clean(e.event)) for e in hostile_spec.edges}
    tips = {labels[str(n)]: _shown(n.attr["tooltip"]) for n in graph.nodes() if n != "__start"}
    assert tips["start"] == 'initial: begins "here" & <now>'
    assert graph.graph_attr["label"] == "weird &quot;name&quot; &lt;&amp;&gt; lifecycle"  # HTML-like: entities


@pytest.mark.parametrize("backend", ["system", "pygraphviz"])
def test_hostile_names_drawn_as_written(backend: str, hostile_spec: Spec) -> None:
    """In the SVG Graphviz draws, every line of every name and event shows as written: no entity decoded,
    no ``\\N`` replaced by a node id, no quote lost."""
    _backend_or_skip(backend)
    svg = render_image(to_dot(hostile_spec), "svg", backend)
    texts = [t.text for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    wanted = [line for name in hostile_spec.names for line in clean(name).split("\n")]
    wanted += [line for e in hostile_spec.edges for line in clean(e.event).split("\n")]
    assert sorted(texts) == sorted(['weird "name" <&> lifecycle', *wanted])


def test_hostile_names_in_mermaid(hostile_spec: Spec) -> None:
    """Mermaid gets made-up ids for awkward names, the names as entity codes on one line, and nothing it
    reads as syntax: no quote, comment start, bracket or backslash of a name survives."""
    lines = to_mermaid(hostile_spec).splitlines()
    states = [line for line in lines if line.startswith("  state ")]
    assert states == [
        '  state "say #34;hi#34;" as s1', '  state "back#92;slash#92;" as s2', '  state "a#60;b #38; c#62;d" as s3',
        '  state "two lines" as s4', '  state "naïve — 日本語" as s5', '  state "end" as s7',
        '  state "50#37;#37; done" as s8', '  state "#96;tick#96;" as s9',
        '  state "#38;lt#59;entity#38;gt#59;" as s10', '  state "#92;N" as s11', '  state "pipe#124;bar" as s12',
        '  state "#91;*#93;" as s13', '  state "a#59;b#58;c#35;d" as s14', '  state "#123;brace#125;" as s15',
        '  state "x -#62; y" as s16', '  state "*stars* _u_ #91;l#93;(u)" as s17',
        '  state "bell#92;x07tab#92;x09" as s18',
    ]
    assert "  s1 --> s2 : go back#92;slash#92;" in lines
    assert "  node --> s7 : go end" in lines
    assert "  s18 --> subgraph : go subgraph" in lines
    assert sum(" --> " in line for line in lines) == 1 + len(hostile_spec.edges) + 1
    assert lines[1] == 'title: "weird \\"name\\" <&> lifecycle"'
    assert not any("%%" in line or "\\" in line for line in lines[4:])


def _wide(edges: int) -> Spec:
    """q, then a0.. each one edge from q and one to done, and an edge a0 -> a1 when ``edges`` is odd."""
    from jobfsm import Edge, Status
    n = edges // 2
    statuses = (Status("q", "initial"), *(Status(f"a{i}", "active") for i in range(n)),
                Status("done", "terminal", outcome="success"))
    links = [Edge("q", f"go{i}", f"a{i}") for i in range(n)] + [Edge(f"a{i}", "finish", "done") for i in range(n)]
    return Spec("wide", statuses, (*links, *([Edge("a0", "next", "a1")] if edges % 2 else [])))


def _spec_file(spec: Spec, tmp_path: os.PathLike[str]) -> str:
    import json

    from jobfsm.specfile import to_json
    path = os.path.join(tmp_path, "spec.json")
    with open(path, "w") as f:
        json.dump(to_json(spec), f)
    return path


@pytest.mark.parametrize(("edges", "argv", "drawn"), [
    (201, ["-o", "{out}.svg"], 201),
    (201, ["-o", "{out}.png"], 201),
    (201, ["--format", "pdf"], 201),
    (201, ["--update", "{out}"], 201),
    (200, ["--trace", "{trace}", "-o", "{out}.svg"], 201),
], ids=["svg", "png", "pdf", "update", "trace-violation"])
def test_images_past_the_edge_limit_are_refused(edges: int, argv: list[str], drawn: int, tmp_path: os.PathLike[str],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """More than MAX_IMAGE_EDGES edges to draw (a trace's red ones too) is one line and exit 2, nothing written,
    instead of minutes in Graphviz; DOT and Mermaid of the same lifecycle still come out."""
    from jobfsm.render import MAX_IMAGE_EDGES

    assert MAX_IMAGE_EDGES == 200
    spec = _spec_file(_wide(edges), tmp_path)
    trace = os.path.join(tmp_path, "trace.txt")
    with open(trace, "w") as f:
        f.write("q\na0\ndone\na1\n")  # a1 after done: left-terminal, a red edge
    out = os.path.join(tmp_path, "out")
    args = [a.format(out=out, trace=trace) for a in argv]
    assert main(["render", "--spec", spec, *args]) == 2
    assert capsys.readouterr() == ("", f"jobfsm: error: {spec}: {drawn} edges to draw, more than the 200 that Graphviz "
                                       "lays out in reasonable time; DOT and Mermaid output still work (--format dot, "
                                       "--format mermaid)\n")
    assert sorted(os.listdir(tmp_path)) == ["spec.json", "trace.txt"]
    overlay = ["--trace", trace] if "--trace" in argv else []
    for fmt in ("dot", "mermaid"):
        assert main(["render", "--spec", spec, *overlay, "--format", fmt, "-o", f"{out}.{fmt}"]) == 0


def test_images_up_to_the_edge_limit_are_drawn(tmp_path: os.PathLike[str]) -> None:
    """200 edges draw, and so does a dense lifecycle just under the limit (16 statuses, each one's edges to all
    the others: 197 edges), in seconds (a subprocess under a time limit; 901 such edges took dot two minutes)."""
    import subprocess

    _backend_or_skip("system")
    for spec, name in ((_wide(200), "wide"), (dense_spec(14), "dense")):
        path = _spec_file(spec, tmp_path)
        out = os.path.join(tmp_path, f"{name}.svg")
        done = subprocess.run([sys.executable, "-m", "jobfsm", "render", "--spec", path, "-o", out],
                              capture_output=True, text=True, timeout=60)
        assert (done.returncode, done.stderr) == (0, "")
        assert ET.parse(out).getroot().tag == "{http://www.w3.org/2000/svg}svg"


def test_bidirectional_overrides_are_escaped_in_drawings() -> None:
    """U+202E and the other marks that reorder text show as escapes in DOT and Mermaid, not reversing the label."""
    from jobfsm import Edge, Status
    spec = Spec("x", (Status("a", "initial"), Status("z", "terminal", outcome="success")),
                (Edge("a", "\u202ego\u2066", "z"),))
    assert '  a -> z [label="\\\\u202ego\\\\u2066", tooltip="", weight=8];' in to_dot(spec).splitlines()
    assert "  a --> z : #92;u202ego#92;u2066" in to_mermaid(spec).splitlines()
