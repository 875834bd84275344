"""Calibrated values: parsing ``PATH=LOW:HIGH``, checking them against the scenario,
and the names pyabc knows them and the patterns by."""

from __future__ import annotations

import difflib
import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from factions.errors import CalibrationError, ScenarioValidationError
from factions.scenario import Scenario
from factions.scenario.load import apply_overrides, scenario_from_document

__all__ = [
    "MAX_CORNER_PARAMETERS",
    "Parameter",
    "check_parameters",
    "parse_parameter",
    "particle_scenario",
    "pattern_key",
    "scenario_value",
    "theta_key",
]

#: Up to this many parameters, every corner of the prior box is checked before running.
MAX_CORNER_PARAMETERS = 6


@dataclass(frozen=True)
class Parameter:
    """A scenario value to calibrate, with a uniform prior on [low, high]."""

    path: str
    low: float
    high: float
    integer: bool = False

    def value(self, x: float) -> float | int:
        """The scenario value for a sampled ``x`` (rounded to the nearest integer if needed)."""
        return round(x) if self.integer else float(x)


def parse_parameter(text: str) -> Parameter:
    """``'PATH=LOW:HIGH'`` as a :class:`Parameter` (the scenario field is checked later)."""
    path, sep, bounds = text.partition("=")
    low_text, colon, high_text = bounds.partition(":")
    path = path.strip()
    if not sep or not colon or not path or any(not part for part in path.split(".")):
        raise CalibrationError(
            f"--param {text!r} must look like 'dotted.path=LOW:HIGH', "
            "e.g. 'mechanisms.purge.launch_rate=0.05:0.6'"
        )
    try:
        low, high = float(low_text), float(high_text)
    except ValueError:
        raise CalibrationError(f"--param {text!r}: LOW and HIGH must be numbers") from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise CalibrationError(f"--param {text!r}: LOW and HIGH must be finite")
    if low >= high:
        raise CalibrationError(f"--param {text!r}: LOW must be below HIGH")
    return Parameter(path, low, high)


def scenario_value(document: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path of the resolved scenario, or a 'did you mean' error."""
    parts = path.split(".")
    node: Any = document
    for depth, part in enumerate(parts):
        if not isinstance(node, Mapping):
            where = ".".join(parts[:depth])
            raise CalibrationError(f"--param {path}: {where!r} is a value, not a table")
        if part not in node:
            keys = list(node)
            close = difflib.get_close_matches(part, keys, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else f"keys there: {', '.join(keys)}"
            raise CalibrationError(f"--param {path}: no such value in the scenario ({hint})")
        node = node[part]
    return node


def _typed(document: Mapping[str, Any], p: Parameter) -> Parameter:
    """``p`` with ``integer`` set from the scenario field, which must be numeric."""
    value = scenario_value(document, p.path)
    if isinstance(value, bool) or not isinstance(value, int | float):
        shown = "a table" if isinstance(value, Mapping) else repr(value)
        raise CalibrationError(f"--param {p.path}: not a numeric scenario value (it is {shown})")
    if not isinstance(value, int):
        return p
    typed = Parameter(p.path, p.low, p.high, integer=True)
    if typed.value(p.low) == typed.value(p.high):
        raise CalibrationError(
            f"--param {p.path}: an integer field; LOW and HIGH round to the same value"
        )
    return typed


def particle_scenario(
    document: Mapping[str, Any], values: Mapping[str, Any], source: str = "calibration"
) -> Scenario:
    """The base scenario's resolved ``document`` with ``values`` set, validated."""
    return scenario_from_document(apply_overrides(dict(document), values), source=source)


def _corners(parameters: Sequence[Parameter]) -> Iterator[dict[str, float | int]]:
    """Every corner of the prior box (or each parameter's two ends, when there are many)."""
    ends = [(p.value(p.low), p.value(p.high)) for p in parameters]
    if len(parameters) <= MAX_CORNER_PARAMETERS:
        for corner in itertools.product(*ends):
            yield dict(zip((p.path for p in parameters), corner, strict=True))
        return
    for p, pair in zip(parameters, ends, strict=True):
        for end in pair:
            yield {p.path: end}


def _check_corners(document: Mapping[str, Any], parameters: Sequence[Parameter]) -> None:
    """Every corner of the prior box must give a valid scenario (the field's allowed range)."""
    for corner in _corners(parameters):
        try:
            particle_scenario(document, corner)
        except ScenarioValidationError as exc:
            problem = exc.problems[0]
            shown = ", ".join(f"{k}={v}" for k, v in corner.items())
            hint = f" ({problem.hint})" if problem.hint else ""
            raise CalibrationError(
                f"--param range gives an invalid scenario at {shown}: "
                f"{problem.path}: {problem.message}{hint}"
            ) from None


def check_parameters(scenario: Scenario, parameters: Sequence[Parameter]) -> list[Parameter]:
    """Check that each path is a numeric scenario value and its range is allowed.

    Returns the parameters with ``integer`` set for integer fields (sampled values are rounded).
    """
    if not parameters:
        raise CalibrationError("give at least one --param PATH=LOW:HIGH")
    paths = [p.path for p in parameters]
    repeated = sorted({p for p in paths if paths.count(p) > 1})
    if repeated:
        raise CalibrationError(f"--param given twice for: {', '.join(repeated)}")
    document = scenario.model_dump(mode="json")
    typed = [_typed(document, p) for p in parameters]
    _check_corners(document, typed)
    return typed


def theta_key(i: int) -> str:
    """pyabc's name of parameter ``i`` (dotted paths are kept out of its database columns)."""
    return f"theta{i}"


def pattern_key(i: int) -> str:
    """pyabc's name of the pass rate of pattern ``i``."""
    return f"pattern{i}"
