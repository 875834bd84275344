"""One translation of pydantic's validation errors into :class:`~factions.errors.Problem` records.

Scenario files and experiment files are validated by pydantic; both report what is wrong the same
way: the dotted path, the TOML line, the offending value and a hint (a "did you mean" among the
keys or kinds the format allows, or the range a field allows). Each format describes itself with
a :class:`Vocabulary`; :func:`problem_from_error` is the one translation.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from factions.errors import Problem

__all__ = ["KEY_HINT", "Loc", "Vocabulary", "did_you_mean", "problem_from_error"]

Loc = tuple[Any, ...]
KEY_HINT = "keys are lower-case identifiers: a letter, then letters, digits, '_' or '-'"


@dataclass(frozen=True)
class Vocabulary:
    """What a file format tells the translator about itself, for one document."""

    #: ``loc`` without the tags pydantic inserts, and the variant a tag named (or None).
    clean: Callable[[Loc], tuple[Loc, str | None]]
    #: The keys allowed in the table at ``loc`` (of that variant).
    keys: Callable[[Loc, str | None], list[str]]
    #: What the discriminated union at ``loc`` selects ("event kind") and its kinds.
    kinds: Callable[[Loc], tuple[str, list[str]]]
    #: The message and hint of any other error at ``loc`` (the range a field allows, say).
    describe: Callable[[Loc, str], tuple[str, str | None]]
    #: The TOML line of ``loc``, if it can be found.
    line: Callable[[Loc], int | None]
    #: The hint of a missing required field.
    missing_hint: str


def did_you_mean(value: str, known: list[str], noun: str) -> str:
    close = difflib.get_close_matches(value, known, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else f"{noun}: {', '.join(known) or '-'}"


def problem_from_error(error: Mapping[str, Any], vocabulary: Vocabulary) -> Problem:
    """The problem one pydantic error describes, in the words of ``vocabulary``."""
    loc, tag = vocabulary.clean(tuple(error["loc"]))
    code = error["type"]
    message = error["msg"].removeprefix("Value error, ")
    value = None if code == "missing" else error.get("input")
    hint = None
    if loc and loc[-1] == "[key]":  # a table key (faction id, event key) breaks its pattern
        loc, message, hint = loc[:-1], f"invalid key: {message}", KEY_HINT
    elif code == "extra_forbidden":
        allowed = vocabulary.keys(loc[:-1], tag)
        message, hint = "unknown key", did_you_mean(str(loc[-1]), allowed, "allowed keys")
    elif code == "missing":
        message, hint = "required field is missing", vocabulary.missing_hint
    elif code in ("union_tag_invalid", "union_tag_not_found"):
        noun, kinds = vocabulary.kinds(loc)
        loc = (*loc, "kind")
        if code == "union_tag_invalid":
            value = error.get("ctx", {}).get("tag")
            message, hint = f"unknown {noun}", did_you_mean(str(value), kinds, "known kinds")
        else:
            message = f"required field is missing (it selects the {noun})"
            value, hint = None, f"one of: {', '.join(kinds)}"
    else:
        message, hint = vocabulary.describe(loc, message)
    if isinstance(value, Mapping):
        value = None
    return Problem(".".join(str(p) for p in loc), message, value, vocabulary.line(loc), hint)
