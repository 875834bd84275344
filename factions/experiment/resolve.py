"""A runnable experiment: base scenario, design, replicates, seed, outputs — all checked.

:func:`load_experiment` reads an experiment file; :func:`make_experiment` builds the same thing
from Python objects. Both check, before anything runs, that every varied path exists in the
scenario and that every design point gives a valid scenario, so a sweep never fails half-way on
a typo. Point ``p`` of an experiment with ``R`` replicates owns the run ids ``p*R .. p*R+R-1``.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from factions.calendar import parse_month
from factions.errors import Problem, ScenarioError, ScenarioValidationError
from factions.experiment import designs
from factions.experiment import outputs as chosen
from factions.experiment.designs import Design
from factions.experiment.spec import (
    Analysis,
    ExperimentSpec,
    ExperimentValidationError,
    Outputs,
    locate_experiment,
    read_spec,
    with_line,
)
from factions.scenario import Scenario, apply_overrides, load_scenario, locate
from factions.scenario.load import scenario_from_document

__all__ = [
    "SHOWN_POINTS",
    "Experiment",
    "check",
    "design_from_spec",
    "experiment_from_manifest",
    "load_experiment",
    "make_experiment",
]

log = logging.getLogger(__name__)

#: At most this many invalid design points are listed (the rest are counted).
SHOWN_POINTS = 5


@dataclass
class Experiment:
    """A checked sweep plan. Tasks get :meth:`scenario` of a point, never this object."""

    name: str
    base: Scenario
    design: Design
    replicates: int
    seed: int
    outputs: Outputs = field(default_factory=Outputs)
    analysis: Analysis = field(default_factory=Analysis)
    point_hashes: tuple[str, ...] = ()
    spec: ExperimentSpec | None = None
    source: str | None = None
    _document: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    _cache: dict[int, Scenario] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def ensemble(cls, scenario: Scenario, replicates: int, seed: int) -> Experiment:
        """One point, ``scenario`` itself, run ``replicates`` times: an ensemble. The scenario
        is already valid, so there is nothing to check and its point is not resolved again."""
        exp = cls(
            name=scenario.name,
            base=scenario,
            design=designs.grid({}),
            replicates=replicates,
            seed=seed,
            point_hashes=(scenario.hash,),
        )
        exp._cache[0] = scenario
        return exp

    @property
    def n_points(self) -> int:
        return len(self.design)

    @property
    def n_runs(self) -> int:
        return self.n_points * self.replicates

    def run_id(self, point: int, replicate: int) -> int:
        """Run ids are unique across the sweep: ``point * replicates + replicate``."""
        return point * self.replicates + replicate

    def key(self, run_id: int) -> tuple[int, int]:
        """``(point, replicate)`` of a run id."""
        return divmod(run_id, self.replicates)

    def scenario(self, point: int) -> Scenario:
        """The resolved scenario of design point ``point`` (cached: tasks of a point share it)."""
        if point not in self._cache:
            if len(self._cache) > 256:
                self._cache.clear()
            self._cache[point] = _point_scenario(self.document, self.design.points[point], point)
        return self._cache[point]

    @property
    def document(self) -> dict[str, Any]:
        if self._document is None:
            self._document = self.base.model_dump(mode="json")
        return self._document

    def identity(self) -> dict[str, Any]:
        """What must match for results to be mixed in one store."""
        return {
            "scenario_hash": self.base.hash,
            "design_hash": self.design.hash,
            "replicates": self.replicates,
            "root_seed": self.seed,
        }

    def with_replicates(self, replicates: int) -> Experiment:
        """The same experiment with another number of replicates per point."""
        if replicates < 1:
            raise ExperimentValidationError(
                [Problem("replicates", "must be at least 1", replicates)], self.source
            )
        return replace(self, replicates=replicates, _cache={})

    def to_json(self) -> dict[str, Any]:
        """The experiment as data, for the store's manifest."""
        return {
            "name": self.name,
            "source": self.source,
            "spec": self.spec.model_dump(mode="json") if self.spec else None,
            "outputs": self.outputs.model_dump(mode="json"),
            "analysis": self.analysis.model_dump(mode="json"),
        }


def _point_scenario(document: dict[str, Any], values: Mapping[str, Any], point: int) -> Scenario:
    return scenario_from_document(apply_overrides(document, values), source=f"design point {point}")


# --------------------------------------------------------------------------- checks


def _lookup(document: Any, path: str) -> tuple[bool, Any, list[str]]:
    """Walk ``path``; return (found, value, keys available where the walk stopped)."""
    node = document
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False, None, list(node) if isinstance(node, Mapping) else []
        node = node[part]
    return True, node, []


def _path_problems(exp: Experiment, ranges: set[str]) -> list[Problem]:
    problems = []
    overridden = set(exp.spec.overrides) if exp.spec else set()
    for name in exp.design.parameters:
        where = f"parameters.{name}"
        found, value, keys = _lookup(exp.document, name)
        if not found:
            close = difflib.get_close_matches(name.split(".")[-1], keys, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else f"keys there: {', '.join(keys)}"
            problems.append(Problem(where, "no such value in the scenario", hint=hint))
        elif isinstance(value, Mapping):
            problems.append(
                Problem(where, "is a table, not a value", hint=f"vary one of: {', '.join(value)}")
            )
        elif name in ranges and (isinstance(value, bool) or not isinstance(value, int | float)):
            problems.append(
                Problem(where, "a range needs a numeric scenario value", value, hint="use levels")
            )
        if name in overridden:
            problems.append(
                Problem(where, "also set in [overrides]", hint="vary it or override it, not both")
            )
    return problems


def _integer_parameters(exp: Experiment) -> list[str]:
    """Parameters whose scenario value is an integer (sampled values are rounded)."""
    found = []
    for name in exp.design.parameters:
        ok, value, _ = _lookup(exp.document, name)
        if ok and isinstance(value, int) and not isinstance(value, bool):
            found.append(name)
    return found


def _point_problems(exp: Experiment) -> tuple[list[Problem], list[str]]:
    """Validate every point's scenario; return problems and the hashes of the valid points.

    A problem at a varied path is reported once per offending value, at that parameter, with
    the points it spoils; any other problem is reported per point (the first few).
    """
    hashes: list[str] = []
    blamed: dict[tuple[str, str], tuple[Problem, list[int]]] = {}
    others: list[Problem] = []
    for point, values in enumerate(exp.design.points):
        try:
            hashes.append(_point_scenario(exp.document, values, point).hash)
        except (ScenarioValidationError, ScenarioError) as exc:
            problem = _point_problem(point, values, exc)
            key = (problem.path, problem.message)
            if problem.path.startswith("parameters.") and key in blamed:
                blamed[key][1].append(point)
            elif problem.path.startswith("parameters."):
                blamed[key] = (problem, [point])
            else:
                others.append(problem)
    problems = [_with_points(p, points) for p, points in blamed.values()]
    if len(others) > SHOWN_POINTS:
        extra = len(others) - SHOWN_POINTS
        others = [*others[:SHOWN_POINTS], Problem("design", f"... and {extra} more invalid points")]
    return problems + others, hashes


def _with_points(problem: Problem, points: list[int]) -> Problem:
    shown = ", ".join(map(str, points[:8])) + (", ..." if len(points) > 8 else "")
    return replace(problem, message=f"{problem.message} (design points {shown})")


def _point_problem(point: int, values: Mapping[str, Any], exc: Exception) -> Problem:
    """The first problem of an invalid point, blamed on the parameter that caused it if any."""
    if not isinstance(exc, ScenarioValidationError):
        return Problem("design", f"design point {point} gives an invalid scenario: {exc}")
    first = exc.problems[0]
    for name, value in values.items():
        if first.path == name or first.path.startswith(f"{name}."):
            message = f"level {value!r} gives an invalid scenario: {first.message}"
            return Problem(f"parameters.{name}", message, hint=first.hint)
    shown = ", ".join(f"{k}={v!r}" for k, v in values.items())
    message = (
        f"design point {point} ({shown}) gives an invalid scenario: {first.path}: {first.message}"
    )
    return Problem("design", message, hint=first.hint or "narrow the levels or ranges")


def _output_problems(exp: Experiment) -> list[Problem]:
    problems = []
    known = exp.base.faction_ids
    for fid in exp.outputs.factions or []:
        if fid not in known:
            close = difflib.get_close_matches(fid, known, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"factions: {', '.join(known)}"
            problems.append(Problem("outputs.factions", "unknown faction", fid, hint=hint))
    start, end = exp.base.start_month, exp.base.end_month
    for date in exp.outputs.survival:
        if not start <= parse_month(date) <= end:
            problems.append(
                Problem(
                    "outputs.survival",
                    "date outside the scenario's span",
                    date,
                    hint=f"use dates from {exp.base.start} to {exp.base.end}",
                )
            )
    return problems + chosen.problems(exp)


def _analysis_problems(exp: Experiment) -> list[Problem]:
    a = exp.analysis
    if a.kind == "compare" and exp.n_points < 2:
        return [Problem("analysis.kind", "a comparison needs at least two design points")]
    if a.kind == "compare" and a.baseline >= exp.n_points:
        hint = f"points are numbered 0..{exp.n_points - 1}"
        return [Problem("analysis.baseline", "no such design point", a.baseline, hint=hint)]
    return []


def check(exp: Experiment, text: str | None = None) -> Experiment:
    """Run every check; return the experiment with rounded integers and point hashes."""
    ranges = set(exp.design.parameters) if exp.design.problem else set()
    problems = _path_problems(exp, ranges)
    if not problems:
        exp = replace(exp, design=exp.design.coerce(_integer_parameters(exp)))
        point_problems, hashes = _point_problems(exp)
        problems += point_problems
        exp = replace(exp, point_hashes=tuple(hashes))
    problems += _output_problems(exp) + _analysis_problems(exp)
    if problems:
        raise ExperimentValidationError([with_line(p, text) for p in problems], exp.source)
    return exp


# --------------------------------------------------------------------------- building


def make_experiment(
    scenario: Scenario | str,
    design: Design | None = None,
    replicates: int = 10,
    seed: int = 1,
    *,
    name: str | None = None,
    outputs: Outputs | Mapping[str, Any] | None = None,
    analysis: Analysis | Mapping[str, Any] | None = None,
) -> Experiment:
    """A checked experiment from Python objects (``design=None``: a plain ensemble)."""
    base = load_scenario(scenario) if isinstance(scenario, str) else scenario
    if replicates < 1:
        raise ExperimentValidationError([Problem("replicates", "must be at least 1", replicates)])
    if seed < 0:
        raise ExperimentValidationError([Problem("seed", "must be a non-negative integer", seed)])
    exp = Experiment(
        name=name or f"{base.name}-sweep",
        base=base,
        design=design if design is not None else designs.grid({}),
        replicates=replicates,
        seed=seed,
        outputs=Outputs.model_validate(outputs or {}),
        analysis=Analysis.model_validate(analysis or {}),
    )
    return check(exp)


def design_from_spec(spec: ExperimentSpec, folder: Path) -> Design:
    """Build the design an experiment file describes (CSV paths relative to ``folder``)."""
    d, params = spec.design, spec.parameters
    seed = getattr(d, "seed", None)
    seed = spec.seed if seed is None else seed
    ranges = {n: (p.min, p.max) for n, p in params.items() if p.is_range}
    levels = {n: p.levels for n, p in params.items() if not p.is_range}
    match d.kind:
        case "grid":
            return designs.grid(levels)
        case "zip":
            return designs.zipped(levels)
        case "lhs":
            return designs.latin_hypercube(ranges, d.samples, seed)
        case "sobol":
            return designs.sobol(ranges, d.samples, seed, d.second_order)
        case "morris":
            return designs.morris(ranges, d.trajectories, d.levels, seed)
        case _:
            path = Path(d.file).expanduser()
            return designs.from_csv(path if path.is_absolute() else folder / path)


def load_experiment(name_or_path: str | Path, replicates: int | None = None) -> Experiment:
    """Read, check and resolve an experiment file (by path, or by name in ``experiments/``).

    Parameters
    ----------
    name_or_path : str or Path
        A path to an experiment TOML file, or the name of one in ``experiments/``.
    replicates : int, optional
        Replaces the file's number of replicates per point.

    Returns
    -------
    Experiment
        The checked experiment, ready for :func:`run_sweep`.

    Raises
    ------
    ExperimentError
        The file is missing or invalid (every problem named), or its scenario cannot be loaded.
    """
    path = locate_experiment(name_or_path)
    spec, text = read_spec(path)
    if replicates is not None:
        spec = spec.model_copy(update={"replicates": replicates})
    is_path = spec.scenario.endswith(".toml") or "/" in spec.scenario or "\\" in spec.scenario
    try:  # a file path is relative to the experiment; a bare name is a bundled scenario
        scenario_path = locate(spec.scenario, relative_to=path.parent if is_path else None)
    except ScenarioError as exc:
        problem = with_line(Problem("scenario", str(exc), spec.scenario), text)
        raise ExperimentValidationError([problem], str(path)) from None
    base = load_scenario(scenario_path, spec.overrides or None)
    exp = Experiment(
        name=spec.name,
        base=base,
        design=design_from_spec(spec, path.parent),
        replicates=spec.replicates,
        seed=spec.seed,
        outputs=spec.outputs,
        analysis=spec.analysis,
        spec=spec,
        source=str(path),
    )
    exp = check(exp, text)
    log.info(
        "experiment %s: %d points x %d replicates of %s",
        exp.name,
        exp.n_points,
        exp.replicates,
        base.name,
    )
    return exp


def experiment_from_manifest(manifest: Mapping[str, Any]) -> Experiment:
    """Rebuild the experiment a store was made for (to read its points' scenarios back)."""
    base = scenario_from_document(manifest["resolved_scenario"], source="manifest.json")
    data = manifest["experiment"]
    spec = ExperimentSpec.model_validate(data["spec"]) if data.get("spec") else None
    design = Design.from_json(manifest["design"])
    return Experiment(
        name=data["name"],
        base=base,
        design=design,
        replicates=int(manifest["replicates"]),
        seed=int(manifest["root_seed"]),
        outputs=Outputs.model_validate(data["outputs"]),
        analysis=Analysis.model_validate(data["analysis"]),
        point_hashes=tuple(manifest.get("point_hashes", ())),
        spec=spec,
        source=data.get("source"),
    )
