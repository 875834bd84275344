"""Experimental designs: which parameter values each design point of a sweep gets.

A :class:`Design` is a plain list of points, each a mapping from dotted scenario paths
(``"factions.yanan.military"``) to values, plus what the sensitivity analyses need to read it
back: the SALib ``problem`` dict and the raw sample matrix. Designs are built by:

- :func:`grid` — full factorial over lists of levels (the last parameter varies fastest);
- :func:`zipped` — the i-th level of every parameter together (lists of equal length);
- :func:`latin_hypercube`, :func:`sobol`, :func:`morris` — SALib's samplers over ranges
  (McKay et al. 1979; Saltelli 2002 / Sobol' 2001; Morris 1991, Campolongo et al. 2007);
- :func:`from_table` / :func:`from_csv` — points given explicitly.

Following SALib, sampling and analysis are separate steps over the same ``problem`` dict. Designs
hold no randomness of their own beyond the ``seed`` they were sampled with, so a design is
reproducible from its arguments and identified by :attr:`Design.hash`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from factions.errors import ExperimentError

__all__ = [
    "KINDS",
    "MAX_POINTS",
    "Design",
    "Range",
    "from_csv",
    "from_table",
    "grid",
    "latin_hypercube",
    "morris",
    "problem",
    "sobol",
    "zipped",
]

#: Design kinds, in the order the docs present them.
KINDS = ("grid", "zip", "lhs", "sobol", "morris", "csv")
#: Refuse designs larger than this many points (a typo in a grid, not a sweep).
MAX_POINTS = 1_000_000

Range = tuple[float, float]


@dataclass(frozen=True)
class Design:
    """The points of a sweep, with what SALib needs to analyse them.

    ``points[i]`` maps each parameter (a dotted scenario path) to its value at point ``i``.
    ``problem`` and ``samples`` are set for sampled designs (SALib's ``problem`` dict and the
    unrounded sample matrix, one row per point); ``options`` records how the design was made.
    """

    kind: str
    parameters: tuple[str, ...]
    points: tuple[dict[str, Any], ...]
    options: dict[str, Any] = field(default_factory=dict)
    problem: dict[str, Any] | None = None
    samples: np.ndarray | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.points)

    def table(self) -> pd.DataFrame:
        """One row per point: ``point`` and one column per parameter."""
        frame = pd.DataFrame(list(self.points), columns=list(self.parameters))
        frame.insert(0, "point", np.arange(len(self.points), dtype=np.int64))
        return frame

    def to_json(self) -> dict[str, Any]:
        """The design as JSON-ready data (for manifests and hashing)."""
        return {
            "kind": self.kind,
            "parameters": list(self.parameters),
            "options": self.options,
            "problem": self.problem,
            "points": [dict(p) for p in self.points],
            "samples": None if self.samples is None else self.samples.tolist(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Design:
        """Inverse of :meth:`to_json`."""
        samples = data.get("samples")
        return cls(
            kind=data["kind"],
            parameters=tuple(data["parameters"]),
            points=tuple(dict(p) for p in data["points"]),
            options=dict(data.get("options") or {}),
            problem=data.get("problem"),
            samples=None if samples is None else np.asarray(samples, dtype=float),
        )

    @property
    def hash(self) -> str:
        """SHA-256 of the design's canonical JSON: equal designs, equal hashes."""
        text = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def coerce(self, integers: Sequence[str]) -> Design:
        """Round the values of ``integers`` (parameters whose scenario value is an integer).

        Sampled designs draw reals; a month count or a number of cadres must be whole. The raw
        ``samples`` are kept unrounded for the analyses.
        """
        wanted = [p for p in integers if p in self.parameters]
        if not wanted:
            return self
        points = tuple(
            {k: round(v) if k in wanted and isinstance(v, float) else v for k, v in p.items()}
            for p in self.points
        )
        return replace(self, points=points)


def _python(value: Any) -> Any:
    """A numpy scalar as the plain Python value (JSON- and pydantic-friendly)."""
    return value.item() if isinstance(value, np.generic) else value


def _check_size(count: int) -> None:
    if count > MAX_POINTS:
        raise ExperimentError(f"the design has {count:,} points; at most {MAX_POINTS:,} allowed")


def _check_levels(levels: Mapping[str, Sequence[Any]]) -> None:
    for name, values in levels.items():
        if isinstance(values, str | bytes) or not isinstance(values, Sequence) or not values:
            raise ExperimentError(f"parameter {name!r} needs a non-empty list of levels")


def grid(levels: Mapping[str, Sequence[Any]]) -> Design:
    """Full factorial design: every combination of levels, the last parameter fastest.

    ``grid({})`` is a single point with no parameters: a plain ensemble.
    """
    _check_levels(levels)
    names = tuple(levels)
    _check_size(math.prod(len(v) for v in levels.values()))
    combos = itertools.product(*(levels[n] for n in names))
    points = tuple({n: _python(v) for n, v in zip(names, combo, strict=True)} for combo in combos)
    return Design("grid", names, points)


def zipped(levels: Mapping[str, Sequence[Any]]) -> Design:
    """Zipped design: point ``i`` takes the ``i``-th level of every parameter."""
    _check_levels(levels)
    lengths = {name: len(values) for name, values in levels.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{n}: {k}" for n, k in lengths.items())
        raise ExperimentError(f"a zip design needs lists of equal length, got {shown}")
    names = tuple(levels)
    rows = zip(*(levels[n] for n in names), strict=True)
    points = tuple({n: _python(v) for n, v in zip(names, row, strict=True)} for row in rows)
    return Design("zip", names, points)


def problem(ranges: Mapping[str, Range]) -> dict[str, Any]:
    """SALib's ``problem`` dict for uniform ranges ``{name: (low, high)}``."""
    if not ranges:
        raise ExperimentError("a sampled design needs at least one parameter range")
    bounds = []
    for name, bound in ranges.items():
        low, high = (float(b) for b in bound)
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise ExperimentError(f"parameter {name!r}: need min < max (finite), got {bound}")
        bounds.append([low, high])
    return {"num_vars": len(ranges), "names": list(ranges), "bounds": bounds}


def _sampled(kind: str, prob: dict[str, Any], samples: np.ndarray, options: dict) -> Design:
    _check_size(len(samples))
    names = tuple(prob["names"])
    points = tuple({n: float(x) for n, x in zip(names, row, strict=True)} for row in samples)
    return Design(kind, names, points, options, prob, samples)


def latin_hypercube(ranges: Mapping[str, Range], samples: int, seed: int = 0) -> Design:
    """Latin hypercube of ``samples`` points over uniform ranges (SALib ``latin.sample``)."""
    from SALib.sample import latin

    if samples < 1:
        raise ExperimentError(f"samples must be at least 1, got {samples}")
    prob = problem(ranges)
    x = latin.sample(prob, samples, seed=seed)
    return _sampled("lhs", prob, x, {"samples": samples, "seed": seed})


def sobol(
    ranges: Mapping[str, Range], samples: int, seed: int = 0, second_order: bool = False
) -> Design:
    """Saltelli's extension of a scrambled Sobol' sequence (SALib ``sobol.sample``).

    ``samples`` (N, a power of two) base samples give ``N * (D + 2)`` points for D parameters,
    or ``N * (2D + 2)`` with ``second_order``: what :func:`SALib.analyze.sobol.analyze` needs
    for first-order and total indices (Saltelli et al. 2010).
    """
    from SALib.sample import sobol as sampler

    if samples < 2 or samples & (samples - 1):
        raise ExperimentError(f"Sobol samples must be a power of two >= 2, got {samples}")
    prob = problem(ranges)
    x = sampler.sample(prob, samples, calc_second_order=second_order, scramble=True, seed=seed)
    options = {"samples": samples, "seed": seed, "second_order": second_order}
    return _sampled("sobol", prob, x, options)


def morris(
    ranges: Mapping[str, Range],
    trajectories: int,
    levels: int = 4,
    seed: int = 0,
) -> Design:
    """Morris one-at-a-time trajectories (SALib ``morris.sample``): ``trajectories * (D + 1)``."""
    from SALib.sample import morris as sampler

    if trajectories < 2:
        raise ExperimentError(f"Morris needs at least 2 trajectories, got {trajectories}")
    if levels < 2 or levels % 2:
        raise ExperimentError(f"Morris levels must be an even number >= 2, got {levels}")
    prob = problem(ranges)
    x = sampler.sample(prob, trajectories, num_levels=levels, seed=seed)
    options = {"trajectories": trajectories, "levels": levels, "seed": seed}
    return _sampled("morris", prob, x, options)


def from_table(table: pd.DataFrame, kind: str = "csv", options: dict | None = None) -> Design:
    """Points given row by row; columns are parameters (a ``point`` column is ignored)."""
    frame = table.drop(columns=["point"], errors="ignore")
    if frame.empty or not len(frame.columns):
        raise ExperimentError("the table of points has no rows or no parameter columns")
    names = tuple(str(c) for c in frame.columns)
    if frame.isna().any().any():
        where = frame.columns[frame.isna().any()].tolist()
        raise ExperimentError(f"the table of points has empty cells in {', '.join(where)}")
    _check_size(len(frame))
    points = tuple(
        {n: _python(v) for n, v in zip(names, row, strict=True)}
        for row in frame.itertuples(index=False)
    )
    return Design(kind, names, points, options or {})


def from_csv(path: str | Path) -> Design:
    """Points from a CSV file whose header names the parameters (dotted scenario paths)."""
    path = Path(path)
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise ExperimentError(f"{path}: cannot read the CSV of points: {exc}") from exc
    return from_table(table, "csv", {"file": str(path)})
