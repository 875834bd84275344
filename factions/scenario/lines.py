"""Locate a field in TOML text, so that error messages can name the line.

``tomllib`` does not report positions, so this scans the text: table headers, arrays of tables
and ``key = value`` lines (dotted and quoted keys included). It returns the line of the longest
prefix of the location it finds; a best effort, never an error.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

__all__ = ["find_line"]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_NAME = r"(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')"  # a bare, "basic" or 'literal' key
_KEY = re.compile(rf"^\s*({_NAME}(?:\s*\.\s*{_NAME})*)\s*=")


def _split_key(text: str) -> list[str]:
    parts = re.findall(r"\"[^\"]*\"|'[^']*'|[A-Za-z0-9_-]+", text)
    return [p.strip("\"'") for p in parts]


def _paths(text: str) -> list[tuple[tuple[Any, ...], int]]:
    """Every (path, line number) defined in the document, in order."""
    found: list[tuple[tuple[Any, ...], int]] = []
    header: list[Any] = []
    array_counts: dict[tuple[str, ...], int] = {}
    in_multiline = False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.count('"""') % 2 == 1 or line.count("'''") % 2 == 1:
            in_multiline = not in_multiline
            if not in_multiline:
                continue
        elif in_multiline:
            continue
        match = _HEADER.match(line)
        if match:
            parts = _split_key(match.group(2))
            if match.group(1) == "[[":
                index = array_counts.get(tuple(parts), -1) + 1
                array_counts[tuple(parts)] = index
                header = [*parts, index]
            else:
                header = parts
            found.append((tuple(header), number))
            continue
        match = _KEY.match(line)
        if match:
            found.append(((*header, *_split_key(match.group(1))), number))
    return found


def find_line(text: str | None, loc: Sequence[Any]) -> int | None:
    """Line number of the longest prefix of ``loc`` defined in ``text`` (None if none).

    A table defined only through its sub-tables (``[factions.reds]`` for ``factions``) is found
    at the first of them.
    """
    if not text:
        return None
    wanted = tuple(str(p) if not isinstance(p, int) else p for p in loc)
    best: tuple[int, int] | None = None
    first_inside: int | None = None
    for path, number in _paths(text):
        depth = 0
        for have, want in zip(path, wanted, strict=False):
            if have != want:
                break
            depth += 1
        if depth == len(path) and depth > 0 and (best is None or depth > best[0]):
            best = (depth, number)
        elif depth == len(wanted) and depth > 0 and first_inside is None:
            first_inside = number
    return best[1] if best else first_inside
