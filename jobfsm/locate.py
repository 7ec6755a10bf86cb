"""Where each key and array entry of a TOML or JSON text is: the line numbers that spec-file problems point
at. The parsers (tomllib, json) give positions for syntax errors only, so this scans the text again, once it
has parsed: a small tokenizer that knows strings, comments, table headers and brackets, not a second parser.
"""

from __future__ import annotations

import json
import re
from typing import Any

Path = tuple[str | int, ...]

_BARE = re.compile(r"[A-Za-z0-9_+\-.:]+")
_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.S)
_ESCAPED = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", "e": "\x1b", '"': '"', "\\": "\\", "/": "/"}


def locate(text: str, *, toml: bool) -> tuple[dict[Path, int], list[tuple[Path, int]]]:
    """The line of every key and array entry of a parsed TOML or JSON text, by path (``("edges", 2, "to")``),
    and the keys a JSON object repeats (JSON parsers keep the last silently; TOML parsers refuse them)."""
    lines: dict[Path, int] = {}
    duplicates: list[tuple[Path, int]] = []
    counts: dict[Path, int] = {}
    table: Path = ()
    # open containers: [path, is_array, next index (arrays) or the key being set (tables), keys seen]
    stack: list[list[Any]] = []
    key: list[str] = []  # the parts of the key being read
    key_done = False  # TOML's top level: the key of this line has been read
    i, line, n = 0, 1, len(text)
    line_start = True
    while i < n:
        c = text[i]
        if c == "\n":
            line, line_start, i = line + 1, True, i + 1
            key_done = key_done and bool(stack)
            continue
        if c in " \t\r":
            i += 1
            continue
        if toml and c == "#":
            i = text.find("\n", i)
            i = n if i < 0 else i
            continue
        if toml and not stack and line_start and c == "[":
            end = text.find("\n", i)
            header = text[i:n if end < 0 else end]
            width = 2 if header.startswith("[[") else 1
            close = _close_bracket(header, width)
            parts = _key_parts(header[width:close])
            if width == 2:
                counts[parts] = counts.get(parts, 0) + 1
                table = (*parts, counts[parts] - 1)
            else:
                table = parts
            lines.setdefault(table, line)
            lines.setdefault(parts, line)
            i, line_start, key_done = i + close + width, False, False
            key.clear()
            continue
        line_start = False
        top = stack[-1] if stack else None
        in_key = (top is None and toml and not key_done) or (top is not None and not top[1] and top[2] is None)
        if c in "\"'":
            value, i, line = _string(text, i, line)
            if in_key:
                key.append(_unescape(value, toml) if c == '"' else value)
            else:
                _value(lines, table, stack, key, line)
            continue
        if in_key and (m := _KEY.match(text, i)):
            key.append(m.group())
            i = m.end()
            continue
        i += 1
        if c == "." and in_key:
            continue
        if c in "=:" and in_key:
            if top is None:
                lines.setdefault((*table, *key), line)
                key_done = True
            else:
                full = (*top[0], *key)
                if full in top[3]:
                    duplicates.append((full, line))
                top[3].add(full)
                lines.setdefault(full, line)
                top[2] = tuple(key)
                key.clear()
        elif c in "[{":
            path = _value(lines, table, stack, key, line)
            stack.append([path, c == "[", 0 if c == "[" else None, set()])
        elif c in "]}":
            if stack:
                stack.pop()
        elif c == "," and top is not None:
            if top[1]:
                top[2] += 1
            else:
                top[2] = None
        elif m := _BARE.match(text, i - 1):
            _value(lines, table, stack, key, line)
            i = m.end()
    return lines, duplicates


def _value(lines: dict[Path, int], table: Path, stack: list[list[Any]], key: list[str], line: int) -> Path:
    """Note where a value starts and return its path."""
    top = stack[-1] if stack else None
    if top is None:
        path: Path = (*table, *key)
        key.clear()
    elif top[1]:
        path = (*top[0], top[2])
    else:
        path = (*top[0], *(top[2] or ()))
    lines.setdefault(path, line)
    return path


def _string(text: str, i: int, line: int) -> tuple[str, int, int]:
    """A TOML or JSON string at ``i``: its value (escapes left as they are), the index after it, the line."""
    quote = text[i]
    triple = text.startswith(quote * 3, i)
    delim = quote * 3 if triple else quote
    j = i + len(delim)
    while j < len(text):
        if quote == '"' and text[j] == "\\":
            j += 2
            continue
        if text.startswith(delim, j):
            end = j + len(delim)
            while triple and end < len(text) and text[end] == quote and end - j < 5:
                end += 1  # up to two quotes right before the closing ones belong to the string
            body = text[i + len(delim):end - len(delim)]
            return body, end, line + text.count("\n", i, end)
        if text[j] == "\n" and not triple:
            break
        j += 1
    return text[i + 1:j], j, line + text.count("\n", i, j)


def _unescape(body: str, toml: bool) -> str:
    """The text a double-quoted key's escapes stand for, as the parser read it: ``"na\\u006de"`` is ``name``."""
    if "\\" not in body:
        return body
    if not toml:
        try:
            return str(json.loads(f'"{body}"'))  # JSON's surrogate pairs make one character, as json reads them
        except ValueError:
            pass
    return _ESCAPE.sub(_escaped, body)


def _escaped(m: re.Match[str]) -> str:
    code = m[1] or m[2]
    if code is None:
        return _ESCAPED.get(m[3], m[0])
    return chr(int(code, 16)) if int(code, 16) <= 0x10FFFF else m[0]


def _close_bracket(header: str, width: int) -> int:
    """Where a table header's key ends (quoted keys may hold brackets)."""
    j = width
    while j < len(header):
        if header[j] in "\"'":
            _, j, _ = _string(header, j, 0)
            continue
        if header[j] == "]":
            return j
        j += 1
    return len(header)


def _key_parts(key: str) -> tuple[str, ...]:
    """The parts of a dotted TOML key: ``a."b.c"`` is ("a", "b.c")."""
    parts: list[str] = []
    j = 0
    while j < len(key):
        if key[j] in "\"'":
            quote = key[j]
            value, j, _ = _string(key, j, 0)
            parts.append(_unescape(value, toml=True) if quote == '"' else value)
        elif key[j] in " \t.":
            j += 1
        else:
            m = _KEY.match(key, j)
            parts.append(m.group() if m else key[j])
            j = m.end() if m else j + 1
    return tuple(parts)
