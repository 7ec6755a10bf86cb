"""Draw a spec: Graphviz DOT and Mermaid text (pure, deterministic), images through Graphviz.

An ``Overlay`` lays an observed trace over the drawing. The Graphviz backends (the system ``dot``
through the ``graphviz`` package, or pygraphviz, whose wheels carry Graphviz) are imported here only,
and only when an image is asked for.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

from jobfsm.errors import RenderError as RenderError  # re-exported: its home was here
from jobfsm.report import clean as clean  # re-exported: drawings and docs take names through it
from jobfsm.report import plural
from jobfsm.spec import Spec

Direction = Literal["LR", "TB", "RL", "BT"]
DIRECTIONS: tuple[Direction, ...] = ("LR", "TB", "RL", "BT")
IMAGE_FORMATS = ("svg", "png", "pdf")
MAX_IMAGE_EDGES = 200
"""The most edges an image is drawn with. Graphviz's layout time grows steeply with edges that cross many
ranks: 200 edges take it up to about 6 s (measured on dense, random and long-backwards lifecycles), a
lifecycle of 32 statuses and 901 edges two minutes, one of 2,026 edges more than five."""
BACKENDS = ("auto", "system", "pygraphviz")

# fill, border: one look per kind of status, terminal ones by outcome
STYLE = {
    "initial": ("#fef7e0", "#b06000"),
    "active": ("#e8f0fe", "#1a73e8"),
    "success": ("#e6f4ea", "#188038"),
    "failure": ("#fce8e6", "#c5221f"),
    "cancel": ("#f1f3f4", "#5f6368"),
}
VISITED, VIOLATION, INFERRED = "#0b57d0", "#d93025", "#7b1fa2"
LEGEND = ("[n]: the n-th change of the trace;  bold blue: observed;  dashed purple: inferred (sampled mode);  "
          "red: violation;  N polls: answers that carried that status")


@dataclass(frozen=True)
class Step:
    """One change seen in a trace: ``kind`` is observed (one edge), inferred (a hop of a sampled skip)
    or violation (a change the mode forbids, labelled with its rule)."""

    order: int
    source: str
    dest: str
    kind: Literal["observed", "inferred", "violation"]
    rule: str | None = None


@dataclass(frozen=True)
class Overlay:
    """An observed trace to draw over the lifecycle: polls per status and the changes in order."""

    visits: Mapping[str, int] = field(default_factory=dict)
    steps: tuple[Step, ...] = ()
    name: str = "trace"
    note: str = ""
    """A line about the whole trace (where it ended), shown under the legend."""


def title_of(spec: Spec, overlay: Overlay | None = None) -> str:
    """The default title: the lifecycle, and the trace laid over it."""
    base = f"{spec.name} lifecycle"
    return base if overlay is None else f"{base}: {overlay.name}"


def to_dot(spec: Spec, *, direction: Direction = "LR", title: str | None = None,
           overlay: Overlay | None = None) -> str:
    """The lifecycle as Graphviz DOT: initial marked, terminal statuses final (double border) and
    coloured by outcome, side by side; the main path kept straight; edges labelled with events."""
    title = title_of(spec, overlay) if title is None else title
    main = _main_path(spec)
    ids = {s.name: _dot_id(s.name, i) for i, s in enumerate(spec.statuses)}
    label = _html(title)
    if overlay is not None:
        small = LEGEND + (f"\n{overlay.note}" if overlay.note else "")
        label += f'<BR/><FONT POINT-SIZE="10">{_html(small)}</FONT>'
    out = [
        "digraph lifecycle {",
        f'  graph [rankdir={direction}, {f"label=<{label}>, " if label else ""}labelloc=t, fontname="Helvetica", '
        'fontsize=16, '
        'nodesep=0.6, ranksep=1.1, newrank=true, pad=0.2];',
        '  node [fontname="Helvetica", fontsize=12, shape=box, style="rounded,filled", penwidth=1.4];',
        '  edge [fontname="Helvetica", fontsize=10, color="#5f6368", fontcolor="#3c4043", arrowsize=0.7];',
        '  __start [shape=circle, style=filled, fillcolor="#202124", color="#202124", width=0.18, label=""];',
    ]
    visits = overlay.visits if overlay else {}
    for s in spec.statuses:
        fill, border = STYLE[s.outcome or s.kind]
        label = s.name if s.name not in visits else f"{s.name}\n{plural(visits[s.name], 'poll')}"
        attrs = [f'label="{_dot(label)}"', f'fillcolor="{fill}"', f'color="{border}"',
                 f'tooltip="{_dot(s.kind + (f" ({s.outcome})" if s.outcome else "") + ": " + s.meaning)}"']
        if s.kind == "terminal":
            attrs.append("peripheries=2")
        if s.name in main:
            attrs.append("group=main")
        if s.name in visits:
            attrs += ["penwidth=3.5", 'fontname="Helvetica-Bold"']
        out.append(f"  {ids[s.name]} [{', '.join(attrs)}];")
    out.append(f"  __start -> {ids[spec.initial]} [arrowsize=0.8];")
    # terminal statuses side by side, success in the middle (in line with the main path), cancel and
    # failure on either side; invisible edges within the rank fix that order
    ends = sorted(spec.terminals, key=lambda n: {"cancel": 0, "success": 1}.get(spec.outcome(n) or "", 2))
    out.append(f"  {{ rank=same; {' '.join(f'{ids[n]};' for n in ends)} }}")
    if len(ends) > 1:
        out.append(f"  {' -> '.join(ids[n] for n in ends)} [style=invis];")
    taken = _taken(overlay)
    for e in spec.edges:
        attrs = [f'label="{_dot(e.event)}"', f'tooltip="{_dot(e.reason)}"']
        if e.source in main and e.dest in main:
            attrs.append("weight=8")
        marks = taken.get((e.source, e.dest), [])
        if marks:
            dashed = all(kind == "inferred" for kind, _ in marks)
            colour = INFERRED if dashed else VISITED
            attrs[0] = f'label="{_dot(e.event)} [{_orders([order for _, order in marks])}]"'
            attrs += [f'color="{colour}"', f'fontcolor="{colour}"', "penwidth=2.5"]
            if dashed:
                attrs.append("style=dashed")
        out.append(f"  {ids[e.source]} -> {ids[e.dest]} [{', '.join(attrs)}];")
    for (source, dest), (rule, orders) in _violations(overlay).items():
        # xlabel: placed after the layout, so the label of an edge that breaks the layout stays clear
        out.append(f'  {ids[source]} -> {ids[dest]} [xlabel="[{_orders(orders)}] {_dot(rule)}", '
                   f'color="{VIOLATION}", fontcolor="{VIOLATION}", penwidth=2.5, constraint=false];')
    out.append("}")
    return "\n".join(out) + "\n"


def to_mermaid(spec: Spec, *, direction: Direction = "LR", title: str | None = None,
               overlay: Overlay | None = None) -> str:
    """The lifecycle as a Mermaid ``stateDiagram-v2``; an overlay numbers the changes in the edge labels
    and marks visited and violating statuses with classes."""
    title = title_of(spec, overlay) if title is None else title
    ids = {s.name: _mermaid_id(s.name, i) for i, s in enumerate(spec.statuses)}
    out = ["---", f"title: {json.dumps(' '.join(clean(title).split()))}", "---", "stateDiagram-v2",
           f"  direction {direction}"]
    for s in spec.statuses:
        if ids[s.name] != s.name:
            out.append(f'  state "{_mermaid_text(s.name)}" as {ids[s.name]}')
    out.append(f"  [*] --> {ids[spec.initial]}")
    taken = _taken(overlay)
    for e in spec.edges:
        label = _mermaid_text(e.event)
        marks = taken.get((e.source, e.dest), [])
        if marks:
            shown = [f"{order}{'?' if kind == 'inferred' else ''}" for kind, order in marks]
            label += f" [{_orders(shown)}]"
        out.append(f"  {ids[e.source]} --> {ids[e.dest]} : {label}")
    for (source, dest), (rule, orders) in _violations(overlay).items():
        out.append(f"  {ids[source]} --> {ids[dest]} : [{_orders(orders)}] {_mermaid_text(rule)}")
    out += [f"  {ids[n]} --> [*]" for n in spec.terminals]
    for kind, (fill, border) in STYLE.items():
        out.append(f"  classDef {kind} fill:{fill},stroke:{border},color:#202124")
    for s in spec.statuses:
        out.append(f"  class {ids[s.name]} {s.outcome or s.kind}")
    if overlay is not None:
        out.append(f"  classDef visited stroke:{VISITED},stroke-width:3px,font-weight:bold")
        out.append(f"  classDef violation stroke:{VIOLATION},stroke-width:3px,font-weight:bold")
        bad = {st.dest for st in overlay.steps if st.kind == "violation"}
        for s in spec.statuses:
            if s.name in overlay.visits:
                out.append(f"  class {ids[s.name]} {'violation' if s.name in bad else 'visited'}")
    return "\n".join(out) + "\n"


def check_drawable(spec: Spec, source: str, overlay: Overlay | None = None) -> None:
    """Refuse an image of a lifecycle that Graphviz cannot lay out in reasonable time (``source`` names
    where it came from); DOT and Mermaid text has no such limit."""
    edges = len(spec.edges) + len(_violations(overlay))
    if edges > MAX_IMAGE_EDGES:
        raise RenderError(f"{source}: {plural(edges, 'edge')} to draw, more than the {MAX_IMAGE_EDGES} that Graphviz "
                          f"lays out in reasonable time; DOT and Mermaid output still work (--format dot, --format "
                          f"mermaid)")


def render_image(dot: str, fmt: str, backend: str = "auto") -> bytes:
    """DOT to SVG, PNG or PDF through Graphviz: the system ``dot`` via the graphviz package when both
    are there (``auto``, ``system``), else pygraphviz (``auto``, ``pygraphviz``)."""
    if fmt not in IMAGE_FORMATS:
        raise RenderError(f"unknown image format {fmt!r}; expected one of {', '.join(IMAGE_FORMATS)}")
    has_dot = shutil.which("dot") is not None
    if backend in ("auto", "system") and has_dot:
        try:
            import graphviz
        except ImportError:
            if backend == "system":
                raise RenderError("the system backend needs the graphviz package: pip install graphviz") from None
        else:
            try:
                image = bytes(graphviz.Source(dot).pipe(format=fmt, quiet=True))
                if not image:
                    raise RenderError(f"dot could not draw it: it wrote no {fmt}")
                return image
            except graphviz.CalledProcessError as exc:
                raise RenderError(f"dot could not draw it: {_first_line(exc.stderr)}") from None
            except (OSError, graphviz.ExecutableNotFound) as exc:  # dot quit before reading it all, or vanished
                raise RenderError(f"dot could not draw it: {exc}") from None
    elif backend == "system":
        raise RenderError("the system backend needs Graphviz's dot program on PATH (e.g. apt-get install graphviz)")
    if backend in ("auto", "pygraphviz"):
        try:
            import pygraphviz
        except ImportError:
            pass
        else:
            try:
                with _quiet_fontconfig():
                    return bytes(pygraphviz.AGraph(string=dot).draw(format=fmt, prog="dot"))
            except (pygraphviz.DotError, OSError, ValueError) as exc:
                raise RenderError(f"Graphviz could not draw it: {_first_line(str(exc))}") from None
    if has_dot:
        remedy = "pip install graphviz (the dot program is here), or pip install 'jobfsm[render]'"
    else:
        remedy = ("pip install 'jobfsm[render]' (pygraphviz, which carries Graphviz), or install the dot program "
                  "(e.g. apt-get install graphviz) and pip install graphviz")
    raise RenderError(f"rendering {fmt} needs Graphviz: {remedy}; DOT and Mermaid output need neither")


def _first_line(data: bytes | str | None) -> str:
    text = data.decode(errors="replace") if isinstance(data, bytes) else (data or "")
    return next((line.strip() for line in text.splitlines() if line.strip()), "no reason given")


@contextmanager
def _quiet_fontconfig() -> Iterator[None]:
    """The fontconfig inside pygraphviz's wheel warns about newer system config files on every draw;
    hold back standard error meanwhile and pass on everything else it says."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            rest = [line for line in caught.read().decode(errors="replace").splitlines()
                    if not line.startswith("Fontconfig warning")]
            if rest:
                print("\n".join(rest), file=sys.stderr)


def _main_path(spec: Spec) -> set[str]:
    """The initial status, its most travelled successor and that one's success: drawn in a straight line."""
    success = [n for n in spec.terminals if spec.outcome(n) == "success"]
    if not success:
        return set()
    path = spec.shortest_path(spec.initial, success[0]) or ()
    return {spec.initial, *(e.dest for e in path)}


def _violations(overlay: Overlay | None) -> dict[tuple[str, str], tuple[str, list[int]]]:
    """Violating changes grouped by pair of statuses (one red edge each, however often it happened)."""
    out: dict[tuple[str, str], tuple[str, list[int]]] = {}
    for step in overlay.steps if overlay else ():
        if step.kind == "violation":
            out.setdefault((step.source, step.dest), (step.rule or "", []))[1].append(step.order)
    return out


def _orders(orders: Sequence[object], most: int = 6) -> str:
    """Change numbers for a label, the first few and how many more: labels stay short on long traces."""
    shown = ",".join(str(o) for o in orders[:most])
    return shown if len(orders) <= most else f"{shown},... {len(orders)} times"


def _taken(overlay: Overlay | None) -> dict[tuple[str, str], list[tuple[str, int]]]:
    marks: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for step in overlay.steps if overlay else ():
        if step.kind != "violation":
            marks.setdefault((step.source, step.dest), []).append((step.kind, step.order))
    return marks


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


_DOT_KEYWORDS = ("node", "edge", "graph", "digraph", "subgraph", "strict")
_MERMAID_KEYWORDS = ("end", "state", "direction", "class", "classdef", "note", "click", "style", "linkstyle",
                     "acctitle", "accdescr", "as", "default", "statediagram")


def _dot_id(name: str, i: int) -> str:
    """A DOT node id: the name when it is a plain identifier that is no DOT keyword and cannot be taken for
    another node (``__start``, ``__s1``), else ``__s<i>``; the label shows the name either way."""
    if _IDENT.match(name) and name.lower() not in _DOT_KEYWORDS and not name.startswith("__"):
        return name
    return f"__s{i}"


def _html(text: str) -> str:
    """Text for a DOT HTML-like label."""
    return (clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            .replace("\n", "<BR/>"))


def _dot(text: str) -> str:
    """Text for a DOT double-quoted label: quotes and backslashes escaped (``\\N`` would show the node id),
    line breaks as ``\\n``, and ``&`` as ``&amp;`` (Graphviz reads HTML entities in every label)."""
    text = clean(text).replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")
    return text.replace("\n", "\\n")


def _mermaid_id(name: str, i: int) -> str:
    """A Mermaid state id: the name when plain, no keyword and not of the form ``s<n>``, else ``s<i>``."""
    plain = _IDENT.match(name) and name.lower() not in _MERMAID_KEYWORDS and not re.fullmatch(r"s[0-9]+", name)
    return name if plain else f"s{i}"


def _mermaid_text(text: str) -> str:
    """Text safe in a Mermaid label: no line breaks, and the characters Mermaid reads as syntax (``%%`` starts
    a comment anywhere on a line, backticks a Markdown string) as entity codes."""
    return re.sub(r'[#;:"<>&{}|%`\[\]\\]', lambda m: f"#{ord(m.group())};", " ".join(clean(text).split()))
