"""Lifecycles as files: a TOML or JSON spec file read into a ``Spec``, every problem located in the file.

The built-in lifecycle is such a file too (``asyncjobstatus.toml`` in this package). The parsers give
positions for syntax errors only; the entries that lint problems are about are found by
``jobfsm.locate``, which maps each key and array entry of the text to its line.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import sys
from dataclasses import dataclass
from typing import Any

from jobfsm.errors import SpecFileError
from jobfsm.lint import Where, problems, spelt
from jobfsm.locate import Path, locate
from jobfsm.report import shorten
from jobfsm.spec import Alias, Edge, Spec, Status

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

SCHEMA = "jobfsm.spec/1"
BUILTIN = "asyncjobstatus.toml"
MAX_BYTES = 1 << 20
# every pair of statuses is tabled for validation (predecessors, not whole paths): a chain of 500 statuses
# costs a few MB and a fraction of a second, 500 statuses with 20,000 edges under 2 s
MAX_STATUSES = 500
FORMATS = ("toml", "json")
TOP_KEYS = ("schema", "name", "statuses", "edges", "aliases", "notes")
# per table: each key, whether it is required, and the type of its value (str, bool, or object: checked by lint)
ENTRY_KEYS: dict[str, dict[str, tuple[bool, type]]] = {
    "statuses": {"name": (True, str), "kind": (True, object), "outcome": (False, object), "meaning": (False, str)},
    "edges": {"from": (True, str), "event": (True, str), "to": (True, str), "reason": (False, str),
              "resets_progress": (False, bool)},
    "aliases": {"name": (True, str), "target": (False, str), "note": (False, str)},
}
NAMES = ("name", "from", "event", "to", "target")


@dataclass(frozen=True)
class SpecProblem:
    """One problem of a spec file: the file, the line when known, the entry (``edges[3].to``), and what."""

    file: str
    line: int | None
    entry: str | None
    message: str

    def __str__(self) -> str:
        if self.line is not None:
            return f"{self.file}:{self.line}: {self.message}"
        return f"{self.file}: {self.entry}: {self.message}" if self.entry else f"{self.file}: {self.message}"


def read_spec(path: str, fmt: str | None = None) -> Spec:
    """The spec in file ``path``; ``SpecFileError`` lists every problem, each located."""
    spec, found = check_spec(path, fmt)
    if spec is None:
        raise SpecFileError(path, tuple(map(str, found)))
    return spec


def check_spec(path: str, fmt: str | None = None) -> tuple[Spec | None, list[SpecProblem]]:
    """Every problem of spec file ``path``, and its spec when there is none. A file that cannot be read
    or parsed raises ``SpecFileError`` with ``unreadable`` set."""
    try:
        if os.path.isdir(path):
            raise SpecFileError(path, (f"{path}: is a directory, not a spec file",), unreadable=True)
        # a FIFO is opened without waiting for a writer (one nobody writes to reads as empty), as traces are
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        with open(fd, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise SpecFileError(path, (f"{path}: cannot read: {exc.strerror or exc}",), unreadable=True) from None
    if len(data) > MAX_BYTES:
        raise SpecFileError(path, (f"{path}: larger than {MAX_BYTES} bytes: not a spec file",), unreadable=True)
    return parse_spec(data, path, fmt or _format_of(path, data))


def parse_spec(data: bytes | str, file: str = "<spec>", fmt: str = "toml") -> tuple[Spec | None, list[SpecProblem]]:
    """Parse and check a spec given as text (see ``check_spec``)."""
    text = _decode(data, file) if isinstance(data, bytes) else data
    text = text.removeprefix("\ufeff")
    doc = _parse(text, file, fmt)
    lines, duplicates = locate(text, toml=fmt == "toml")
    out = [SpecProblem(file, line, _entry(path), f"duplicate key {shorten(path[-1])}"
                       f"{f' in {_entry(path[:-1])}' if len(path) > 1 else ''} (JSON readers keep only the last)")
           for path, line in duplicates]
    reader = _Reader(file, lines)
    statuses, edges, aliases, name, notes, indexes = reader.read(doc)
    out += reader.problems
    if reader.usable:
        out += [reader.problem(_path(p.where), p.message) for p in problems(statuses, edges, aliases, indexes)]
    out.sort(key=lambda p: (p.line is not None, p.line or 0))  # problems of the whole file first
    if out:
        return None, out
    return Spec(name, tuple(statuses), tuple(edges), tuple(aliases), tuple(notes)), []


def builtin_spec() -> Spec:
    """The asyncJobStatus lifecycle, from the spec file shipped in this package."""
    from importlib.resources import files

    data = files("jobfsm").joinpath(BUILTIN).read_bytes()
    spec, found = parse_spec(data, f"jobfsm/{BUILTIN}")
    if spec is None:  # the package's own file is tested; this guards against a broken installation
        raise SpecFileError(BUILTIN, tuple(map(str, found)))
    return spec


def to_toml(spec: Spec) -> str:
    """``spec`` as a spec file in TOML, which ``parse_spec`` reads back into an equal spec."""
    out = [f"schema = {_toml_str(SCHEMA)}", f"name = {_toml_str(spec.name)}"]
    if spec.notes:
        out += ["notes = [", *(f"  {_toml_str(n)}," for n in spec.notes), "]"]
    for s in spec.statuses:
        out += ["", "[[statuses]]", f"name = {_toml_str(s.name)}", f"kind = {_toml_str(s.kind)}"]
        out += [f"outcome = {_toml_str(s.outcome)}"] if s.outcome else []
        out += [f"meaning = {_toml_str(s.meaning)}"] if s.meaning else []
    for e in spec.edges:
        out += ["", "[[edges]]", f"from = {_toml_str(e.source)}", f"event = {_toml_str(e.event)}",
                f"to = {_toml_str(e.dest)}"]
        out += [f"reason = {_toml_str(e.reason)}"] if e.reason else []
        out += ["resets_progress = true"] if e.resets_progress else []
    for a in spec.aliases:
        out += ["", "[[aliases]]", f"name = {_toml_str(a.name)}"]
        out += [f"target = {_toml_str(a.target)}"] if a.target is not None else []
        out += [f"note = {_toml_str(a.note)}"] if a.note else []
    return "\n".join(out) + "\n"


def to_json(spec: Spec) -> dict[str, Any]:
    """``spec`` as the JSON form of a spec file."""
    return {
        "schema": SCHEMA,
        "name": spec.name,
        "statuses": [{"name": s.name, "kind": s.kind, "outcome": s.outcome, "meaning": s.meaning}
                     for s in spec.statuses],
        "edges": [{"from": e.source, "event": e.event, "to": e.dest, "reason": e.reason,
                   "resets_progress": e.resets_progress} for e in spec.edges],
        "aliases": [{"name": a.name, "target": a.target, "note": a.note} for a in spec.aliases],
        "notes": list(spec.notes),
    }


def _toml_str(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, but TOML also refuses a raw DEL."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _format_of(path: str, data: bytes) -> str:
    ext = os.path.splitext(path)[1].lower()
    if ext in (".toml", ".json"):
        return ext[1:]
    return "json" if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") else "toml"


def _decode(data: bytes, file: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise SpecFileError(file, (f"{file}:{line}: not UTF-8 text (byte {data[exc.start]:#04x} at offset "
                                   f"{exc.start})",), unreadable=True, line=line) from None


# JSON's \ud800 escapes a lone surrogate, which is no Unicode text: no trace can carry it, nor TOML or UTF-8 write it
_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_TEXT = "holds a lone surrogate escape (no Unicode character)"
_TOML_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)\Z")


def _parse(text: str, file: str, fmt: str) -> Any:
    if fmt not in FORMATS:
        raise SpecFileError(file, (f"{file}: unknown spec format {fmt!r}; expected one of {', '.join(FORMATS)}",),
                            unreadable=True)
    try:
        return json.loads(text) if fmt == "json" else tomllib.loads(text)
    except json.JSONDecodeError as exc:
        where = f"{file}:{exc.lineno}:{exc.colno}"
        msg = exc.msg[:-3] + " here" if exc.msg.endswith(" at") else exc.msg  # "Unterminated string starting at"
        raise SpecFileError(file, (f"{where}: not valid JSON: {msg}",), unreadable=True, line=exc.lineno) from None
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        at = _TOML_AT.search(msg)
        if at:
            line, where, msg = int(at.group(1)), f"{file}:{at.group(1)}:{at.group(2)}", msg[:at.start()]
        else:
            line = text.count("\n") + 1
            where, msg = f"{file}:{line}", msg.replace(" (at end of document)", " at the end")
        raise SpecFileError(file, (f"{where}: not valid TOML: {msg}",), unreadable=True, line=line) from None
    except RecursionError:
        raise SpecFileError(file, (f"{file}: nested too deeply to read as {fmt.upper()}",), unreadable=True) from None
    except ValueError as exc:
        if "integer string conversion" not in str(exc):
            raise SpecFileError(file, (f"{file}: not readable {fmt.upper()}: {_one_line(exc)}",),
                                unreadable=True) from None
        # Python refuses to read integers of more digits than sys.get_int_max_str_digits(): find the first
        digits = getattr(sys, "get_int_max_str_digits", lambda: 4300)()
        found = re.search(rf"\d{{{digits + 1},}}", text)
        row = None if found is None else text.count("\n", 0, found.start()) + 1
        where = file if found is None else f"{file}:{row}:{found.start() - text.rfind(chr(10), 0, found.start())}"
        raise SpecFileError(file, (f"{where}: not readable {fmt.upper()}: a number too large (more than {digits} "
                                   "digits)",), unreadable=True, line=row) from None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


class _Reader:
    """Turns a parsed document into statuses, edges and aliases, noting every entry it cannot use."""

    def __init__(self, file: str, lines: dict[Path, int]) -> None:
        self.file = file
        self.lines = lines
        self.problems: list[SpecProblem] = []
        self.usable = True  # False when the entries cannot be checked as a lifecycle at all

    def problem(self, path: Path, message: str) -> SpecProblem:
        """A problem about the entry at ``path``: at its line, else its nearest enclosing entry's."""
        line = next((self.lines[path[:n]] for n in range(len(path), 0, -1) if path[:n] in self.lines), None)
        return SpecProblem(self.file, line, _entry(path), message)

    def note(self, path: Path, message: str) -> None:
        self.problems.append(self.problem(path, message))

    def read(self, doc: Any) -> tuple[list[Status], list[Edge], list[Alias], str, list[str], dict[str, list[int]]]:
        statuses: list[Status] = []
        edges: list[Edge] = []
        aliases: list[Alias] = []
        indexes: dict[str, list[int]] = {t: [] for t in ENTRY_KEYS}
        if not isinstance(doc, dict):
            self.note((), f"expected a table of {', '.join(TOP_KEYS)} at the top, found {_type(doc)}")
            self.usable = False
            return statuses, edges, aliases, "", [], indexes
        given = {k: v for k, v in doc.items() if v is not None}  # JSON's null: the same as leaving the key out
        count = len(given.get("statuses", ())) if isinstance(given.get("statuses"), list) else 0
        if count > MAX_STATUSES:
            self.note(("statuses",), f"{count} statuses: more than the {MAX_STATUSES} jobfsm checks")
            self.usable = False
            return statuses, edges, aliases, "", [], indexes
        for key in doc:
            if key not in TOP_KEYS:
                self.note((key,), f"unknown key {shorten(key)}; expected one of {', '.join(TOP_KEYS)}")
        schema = given.get("schema", SCHEMA)
        if schema != SCHEMA:
            self.note(("schema",), f"schema {spelt(schema)} is not supported; expected {SCHEMA!r}")
        name = doc.get("name")
        if not isinstance(name, str) or not name.strip():
            self.note(("name",) if "name" in doc else (), "the lifecycle's 'name' is missing" if name is None
                      else f"'name' is {spelt(name)}, not a string" if isinstance(name, datetime.date | datetime.time)
                      else f"'name' {shorten(name)} is not a non-empty string")
            name = ""
        elif _SURROGATE.search(name):
            self.note(("name",), f"'name' {shorten(name)} {_NOT_TEXT}")
            name = ""
        notes = given.get("notes", [])
        if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
            self.note(("notes",), "'notes' is not a list of strings")
            notes = []
        elif any(_SURROGATE.search(n) for n in notes):
            self.note(("notes",), f"'notes' {shorten(next(n for n in notes if _SURROGATE.search(n)))} {_NOT_TEXT}")
            notes = []
        for table in ENTRY_KEYS:
            for i, entry in self._entries(given, table):
                if table == "statuses":
                    statuses.append(Status(entry["name"], entry["kind"], entry.get("meaning", ""),
                                           entry.get("outcome")))
                elif table == "edges":
                    edges.append(Edge(entry["from"], entry["event"], entry["to"], entry.get("reason", ""),
                                      entry.get("resets_progress", False)))
                else:
                    aliases.append(Alias(entry["name"], entry.get("target"), entry.get("note", "")))
                indexes[table].append(i)
        return statuses, edges, aliases, name, notes, indexes

    def _entries(self, doc: dict[str, Any], table: str) -> list[tuple[int, dict[str, Any]]]:
        """The usable entries of one table, by position; each entry with a broken key or value noted."""
        items = doc.get(table, [])
        if not isinstance(items, list):
            self.note((table,), f"{table!r} is not a list of tables but {_type(items)}")
            return []
        keys = ENTRY_KEYS[table]
        usable = []
        for i, entry in enumerate(items):
            if not isinstance(entry, dict):
                self.note((table, i), f"{_entry((table, i))}: expected a table, found {_type(entry)}")
                continue
            ok = True
            broken: set[str] = set()
            for key, value in entry.items():
                if key not in keys:
                    self.note((table, i, key), f"{_entry((table, i))}: unknown key {shorten(key)}; expected one "
                              f"of {', '.join(keys)}")
                elif value is None:
                    pass  # JSON's null: the same as leaving the key out (a required one is missing)
                elif not isinstance(value, keys[key][1]) or (isinstance(value, str) and _SURROGATE.search(value)):
                    what = "true or false" if keys[key][1] is bool else "a string"
                    # null, true and false as TOML and JSON spell them, TOML dates named as such
                    found = spelt(value)
                    if what == "a string" and isinstance(value, str):
                        what, found = "Unicode text", f"{found}, which {_NOT_TEXT}"
                    self.note((table, i, key), f"{_entry((table, i, key))}: expected {what}, found {found}")
                    # a broken name or other required key (a kind) drops the entry; broken text or flags only
                    # the field, so that the entry's other problems are still found
                    ok = ok and key not in NAMES and not keys[key][0]
                    broken.add(key)
            missing = [k for k, (required, _) in keys.items() if required and entry.get(k) is None]
            if missing:
                self.note((table, i), f"{_entry((table, i))}: missing {', '.join(map(repr, missing))}")
                ok = False
            if ok:
                usable.append((i, {k: v for k, v in entry.items() if v is not None and k not in broken}))
        return usable


def _type(value: object) -> str:
    names = {dict: "a table", list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number",
             type(None): "null"}  # JSON's null; TOML has none
    return names.get(type(value)) or spelt(value)


def _path(where: Where | None) -> Path:
    if where is None:
        return ()
    return (where.table, where.item) if where.key is None else (where.table, where.item, where.key)


def _entry(path: Path) -> str | None:
    """``edges[3].to`` for a path ("edges", 3, "to"); entries are numbered from 1, as people count."""
    out = ""
    for part in path:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or None
