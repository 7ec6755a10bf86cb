"""A progress line on standard error for long runs: shown only on a terminal, only after a second,
redrawn at most a few times a second, erased when done."""

from __future__ import annotations

import os
import sys
import time
from typing import Any, BinaryIO, TextIO

DELAY = 1.0
"""Seconds before the line first shows: short runs print nothing."""
EVERY = 0.25


class Meter:
    """Counts the bytes read from each input and the files done, and draws them now and then."""

    def __init__(self, total_files: int, out: TextIO | None = None, *, delay: float = DELAY) -> None:
        self.out = out if out is not None else sys.stderr
        self.total_files = total_files
        self.files = 0
        self.start = time.monotonic()
        self._next = self.start + delay
        self._shown = False
        self._name = ""
        self._size = 0
        self._read = 0
        self._all = 0

    @classmethod
    def for_terminal(cls, total_files: int, quiet: bool) -> Meter | None:
        """A meter when standard error is a terminal and not ``quiet``, else None."""
        err = sys.stderr
        if quiet or err is None or not hasattr(err, "isatty") or not err.isatty():
            return None
        return cls(total_files, err)

    def wrap(self, stream: BinaryIO, name: str) -> BinaryIO:
        """``stream`` counted as it is read."""
        self._name, self._read = name, 0
        try:
            self._size = os.fstat(stream.fileno()).st_size
        except (OSError, AttributeError, ValueError):
            self._size = 0
        return _Counted(stream, self)  # type: ignore[return-value]

    def file_done(self) -> None:
        """One more input finished."""
        self.files += 1
        self.tick()

    def tick(self) -> None:
        """Redraw if it is time."""
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + EVERY
        line = f"jobfsm: {self._name}: {self._read / 1e6:,.0f} MB"
        if self._size:
            line += f" of {self._size / 1e6:,.0f} MB ({100 * self._read / self._size:.0f}%)"
        line += f", {self._all / 1e6 / max(now - self.start, 1e-9):,.0f} MB/s"
        if self.total_files > 1:
            line += f"; {self.files} of {self.total_files} files done"
        self._draw(line[:200])

    def close(self) -> None:
        """Erase the line, if it was ever drawn."""
        if self._shown:
            self._draw("")
            self._shown = False

    def _draw(self, line: str) -> None:
        try:
            self.out.write("\r\x1b[2K" + line)
            self.out.flush()
            self._shown = bool(line)
        except (OSError, ValueError):
            pass  # a progress line is never worth failing the run


class _Counted:
    """A binary stream that tells its meter how much was read."""

    def __init__(self, stream: BinaryIO, meter: Meter) -> None:
        self._stream, self._meter = stream, meter

    def read(self, n: int = -1) -> bytes:
        data = self._stream.read(n)
        self._meter._read += len(data)
        self._meter._all += len(data)
        self._meter.tick()
        return data

    def readinto(self, buffer: Any) -> int:
        got = int(self._stream.readinto(buffer))  # type: ignore[attr-defined]
        self._meter._read += got
        self._meter._all += got
        self._meter.tick()
        return got

    def close(self) -> None:
        self._stream.close()
