"""Experiment files: the schema of ``experiments/*.toml`` and how they are read.

An experiment file names a base scenario (plus overrides), the parameters to vary (dotted scenario
paths with levels or ranges), a design, replicates per point, a root seed, and the outputs to
analyse. Like scenario files, it is data: parsed with :mod:`tomllib`, validated with pydantic,
never evaluated. Problems are collected and reported together, each with the file, line, field,
offending value and a hint (:class:`ExperimentValidationError`).

Checks that need the scenario (do the paths exist? is every design point a valid scenario?) are
made in :mod:`factions.experiment.resolve`, which turns a file into a runnable experiment.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from factions.errors import ExperimentError, ExperimentValidationError, Problem
from factions.scenario.lines import find_line
from factions.scenario.load import read_toml
from factions.scenario.translate import Vocabulary, problem_from_error
from factions.scenario.types import Identifier, Month

__all__ = [
    "PARAMETER_KEYS",
    "SUFFIX",
    "Analysis",
    "Count",
    "CsvDesign",
    "DesignSpec",
    "ExperimentSpec",
    "GridDesign",
    "Level",
    "LhsDesign",
    "MorrisDesign",
    "Outputs",
    "ParameterSpec",
    "Seed",
    "SobolDesign",
    "ZipDesign",
    "design_problems",
    "flatten",
    "line_of",
    "locate_experiment",
    "normalise",
    "parse",
    "read_spec",
    "with_line",
]

SUFFIX = ".toml"
#: Keys that make a table a parameter (rather than a level of dotted-path nesting).
PARAMETER_KEYS = frozenset({"levels", "min", "max"})

Level = bool | int | float | str
Count = Annotated[int, Field(ge=1, le=1_000_000)]
Seed = Annotated[int, Field(ge=0, le=2**63 - 1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ParameterSpec(_Strict):
    """A varied scenario value: a list of ``levels`` (grid, zip) or a range ``min``..``max``."""

    levels: list[Level] | None = Field(None, min_length=1, max_length=100_000)
    min: float | None = Field(None, allow_inf_nan=False)
    max: float | None = Field(None, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _from_list(cls, data: Any) -> Any:
        if isinstance(data, list):
            return {"levels": data}
        if not isinstance(data, Mapping):
            raise ValueError("give a list of levels, e.g. [0.2, 0.5], or a range {min, max}")
        return data

    @model_validator(mode="after")
    def _one_form(self) -> ParameterSpec:
        has_range = self.min is not None or self.max is not None
        if self.levels is not None and has_range:
            raise ValueError("give either levels or a range {min, max}, not both")
        if self.levels is None and (self.min is None or self.max is None):
            raise ValueError("give a list of levels, or both min and max")
        if has_range and self.min >= self.max:
            raise ValueError(f"min must be below max, got min={self.min}, max={self.max}")
        return self

    @property
    def is_range(self) -> bool:
        return self.levels is None


class GridDesign(_Strict):
    """Full factorial: every combination of the parameters' levels."""

    kind: Literal["grid"]


class ZipDesign(_Strict):
    """Point i takes the i-th level of every parameter (lists of equal length)."""

    kind: Literal["zip"]


class LhsDesign(_Strict):
    """Latin hypercube of `samples` points over the parameters' ranges."""

    kind: Literal["lhs"]
    samples: Count
    seed: Seed | None = Field(None, description="Sampling seed [the experiment's seed].")


class SobolDesign(_Strict):
    """Saltelli sampling for Sobol indices: samples * (D + 2) points."""

    kind: Literal["sobol"]
    samples: Count = Field(description="Base samples N, a power of two.")
    second_order: bool = False
    seed: Seed | None = None

    @field_validator("samples")
    @classmethod
    def _power_of_two(cls, n: int) -> int:
        if n < 2 or n & (n - 1):
            lower = 1 << (n.bit_length() - 1)
            raise ValueError(f"must be a power of two (e.g. {max(lower, 2)} or {lower * 2})")
        return n


class MorrisDesign(_Strict):
    """Morris trajectories for elementary-effects screening: trajectories * (D + 1) points."""

    kind: Literal["morris"]
    trajectories: Annotated[int, Field(ge=2, le=100_000)]
    levels: Annotated[int, Field(ge=2, le=100, multiple_of=2)] = 4
    seed: Seed | None = None


class CsvDesign(_Strict):
    """Points listed in a CSV file (relative to the experiment file); its header names them."""

    kind: Literal["csv"]
    file: str = Field(min_length=1)


DesignSpec = Annotated[
    GridDesign | ZipDesign | LhsDesign | SobolDesign | MorrisDesign | CsvDesign,
    Field(discriminator="kind"),
]


#: ``module.path:function`` — a custom output's function (imported, never evaluated).
IMPORT_PATH = r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*$"
PatternRef = Annotated[int, Field(ge=0)] | Annotated[str, Field(min_length=1, max_length=300)]


class Outputs(_Strict):
    """Per-point outputs, computed from each run, then summarised over the point's replicates
    with a confidence interval (see :mod:`factions.experiment.outputs`)."""

    factions: list[Identifier] | None = Field(None, description="Factions to report [all].")
    survival: list[Month] = Field(
        default_factory=list, description="Dates: probability a faction still stands at the end."
    )
    median_elimination: bool = Field(
        True, description="Median end date of each faction (the horizon if never)."
    )
    end_causes: bool = Field(False, description="Share of runs a faction ends purged, exiled...")
    patterns: list[PatternRef] = Field(
        default_factory=list, description="Patterns (description or index): their pass rates."
    )
    patterns_holding: bool = Field(False, description="Number of the scenario's patterns holding.")
    events: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(
        default_factory=list, description="Event kinds counted per run (e.g. 'challenge')."
    )
    custom: dict[Identifier, Annotated[str, Field(pattern=IMPORT_PATH)]] = Field(
        default_factory=dict, description="name = 'module:function', one number per run."
    )


class Analysis(_Strict):
    """What to compute once the sweep is complete."""

    kind: Literal["auto", "table", "sobol", "morris", "compare"] = "auto"
    baseline: Annotated[int, Field(ge=0)] = Field(0, description="Point compared against.")
    confidence: Annotated[float, Field(gt=0.5, lt=1.0)] = 0.95
    resamples: Annotated[int, Field(ge=10, le=100_000)] = 200


class ExperimentSpec(_Strict):
    """An experiment file, as written (before the scenario is loaded)."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="factions experiment")

    name: Identifier
    title: str = Field("", max_length=200)
    description: str = ""
    scenario: str = Field(min_length=1, description="Bundled scenario name or path to a file.")
    overrides: dict[str, Any] = Field(default_factory=dict)
    parameters: dict[str, ParameterSpec] = Field(default_factory=dict)
    design: DesignSpec = GridDesign(kind="grid")
    replicates: Count
    seed: Seed = 1
    outputs: Outputs = Outputs()
    analysis: Analysis = Analysis()


# --------------------------------------------------------------------------- checks


def _level_kind(value: Level) -> str:
    if isinstance(value, bool):
        return "booleans"
    return "strings" if isinstance(value, str) else "numbers"


def design_problems(spec: ExperimentSpec) -> list[Problem]:
    """What is wrong between the design, the parameters and the analysis (empty if nothing)."""
    kind, params = spec.design.kind, spec.parameters
    problems = []
    if kind == "csv" and params:
        problems.append(
            Problem(
                "parameters",
                "a csv design takes its parameters from the file's header",
                hint="remove [parameters], or use a grid or zip design",
            )
        )
    sampled = kind in ("lhs", "sobol", "morris")
    for name, p in params.items():
        if kind in ("grid", "zip") and p.is_range:
            problems.append(
                Problem(
                    f"parameters.{name}",
                    f"a {kind} design needs a list of levels",
                    hint="e.g. [0.2, 0.5, 0.8]; ranges {min, max} are for lhs, sobol, morris",
                )
            )
        elif sampled and not p.is_range:
            problems.append(
                Problem(
                    f"parameters.{name}",
                    f"a {kind} design needs a range {{min, max}}",
                    hint="e.g. { min = 0.1, max = 0.9 }; lists of levels are for grid, zip",
                )
            )
    if sampled and not params:
        problems.append(
            Problem(
                "parameters",
                f"a {kind} design needs at least one parameter",
                hint='add e.g. "mechanisms.purge.launch_rate" = { min = 0.1, max = 0.4 }',
            )
        )
    for name, p in params.items():
        kinds = {_level_kind(v) for v in p.levels or []}
        if len(kinds) > 1:
            problems.append(
                Problem(
                    f"parameters.{name}",
                    "levels of one parameter must be of one kind",
                    p.levels,
                    hint=f"got {' and '.join(sorted(kinds))}; use all numbers, strings or booleans",
                )
            )
    lengths = {name: len(p.levels) for name, p in params.items() if p.levels is not None}
    if kind == "zip" and len(set(lengths.values())) > 1:
        shown = ", ".join(f"{n}: {k}" for n, k in lengths.items())
        problems.append(
            Problem(
                "parameters",
                "a zip design needs lists of equal length",
                shown,
                hint="give every parameter as many levels as there are points",
            )
        )
    analysis = spec.analysis.kind
    if analysis in ("sobol", "morris") and analysis != kind:
        problems.append(
            Problem(
                "analysis.kind",
                f"a {analysis} analysis needs a {analysis} design (this one is {kind})",
                analysis,
                hint=f'set [design] kind = "{analysis}", or remove the analysis kind',
            )
        )
    return problems


# --------------------------------------------------------------------------- reading files


def bundled_experiments() -> Path:
    """The experiment files shipped with the package (or the source tree's ``experiments/``)."""
    installed = Path(str(resources.files("factions"))) / "experiments"
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parents[2] / "experiments"


def locate_experiment(name_or_path: str | Path) -> Path:
    """Resolve an experiment name or a path to a file.

    A name is looked up in ``./experiments`` first, then among the bundled experiments.
    """
    text = str(name_or_path)
    if text.endswith(SUFFIX) or "/" in text or "\\" in text:
        candidates = [Path(text).expanduser()]
    else:
        folders = [Path.cwd() / "experiments", bundled_experiments()]
        candidates = [folder / f"{text}{SUFFIX}" for folder in folders]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    known = sorted({p.stem for c in candidates for p in c.parent.glob(f"*{SUFFIX}")})
    close = difflib.get_close_matches(text, known, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"known experiments: {', '.join(known)}"
    raise ExperimentError(f"experiment {text!r} not found ({hint})")


def flatten(table: Mapping[str, Any], prefix: str = "", stop=lambda value: False) -> dict:
    """Nested tables to dotted keys: ``{"a": {"b": 1}}`` -> ``{"a.b": 1}``.

    TOML reads an unquoted dotted key (``factions.yanan.military = 0.6``) as nested tables; this
    makes both spellings mean the same. ``stop(value)`` keeps a table whole (a parameter).
    """
    flat: dict[str, Any] = {}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and not stop(value):
            flat.update(flatten(value, f"{dotted}.", stop))
        else:
            flat[dotted] = value
    return flat


def _is_parameter(value: Mapping[str, Any]) -> bool:
    return bool(PARAMETER_KEYS & set(value))


def normalise(document: dict[str, Any]) -> dict[str, Any]:
    """Flatten ``overrides`` and ``parameters`` to dotted paths (both TOML spellings)."""
    result = dict(document)
    for key, stop in (("overrides", lambda v: False), ("parameters", _is_parameter)):
        if isinstance(result.get(key), Mapping):
            result[key] = flatten(result[key], stop=stop)
    return result


def line_of(text: str | None, loc: tuple[Any, ...]) -> int | None:
    """The TOML line of a location whose second part may be a dotted path, quoted or not."""
    if not text or len(loc) < 2 or loc[0] not in ("parameters", "overrides"):
        return find_line(text, loc)
    dotted = str(loc[1])
    if f'"{dotted}"' in text or f"'{dotted}'" in text:
        return find_line(text, loc)
    return find_line(text, (loc[0], *dotted.split("."), *loc[2:]))


_DESIGNS = {
    "grid": GridDesign,
    "zip": ZipDesign,
    "lhs": LhsDesign,
    "sobol": SobolDesign,
    "morris": MorrisDesign,
    "csv": CsvDesign,
}
_TABLES = {"": ExperimentSpec, "outputs": Outputs, "analysis": Analysis}


def _clean_loc(loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], str | None]:
    """Drop the tags pydantic inserts in locations (the design kind, a level's type)."""
    kind = None
    if len(loc) > 1 and loc[0] == "design" and loc[1] in _DESIGNS:
        kind, loc = loc[1], (loc[0], *loc[2:])
    if "levels" in loc:
        at = loc.index("levels")
        loc = loc[: at + 2]
    return loc, kind


def _keys(loc: tuple[Any, ...], kind: str | None) -> list[str]:
    """The keys allowed in the table at ``loc`` (of design ``kind``)."""
    parent = ".".join(str(p) for p in loc)
    if parent.startswith("parameters."):
        model = ParameterSpec
    elif parent == "design":
        model = _DESIGNS.get(kind or "", GridDesign)
    else:
        model = _TABLES.get(parent, ExperimentSpec)
    return list(model.model_fields)


def _describe(loc: tuple[Any, ...], message: str) -> tuple[str, str | None]:
    if "levels" in loc and len(loc) > loc.index("levels") + 1:
        return "not a valid level", "levels are numbers, strings or true/false"
    return message, None


def _vocabulary(text: str | None) -> Vocabulary:
    """How experiment files describe themselves to :func:`problem_from_error`."""
    return Vocabulary(
        clean=_clean_loc,
        keys=_keys,
        kinds=lambda loc: ("design kind", list(_DESIGNS)),
        describe=_describe,
        line=lambda loc: line_of(text, loc),
        missing_hint="see docs/experiments.md",
    )


def _unique(problems: list[Problem]) -> list[Problem]:
    seen, kept = set(), []
    for p in problems:
        if (p.path, p.message) not in seen:
            seen.add((p.path, p.message))
            kept.append(p)
    return kept


def with_line(problem: Problem, text: str | None) -> Problem:
    """The problem with the TOML line of its path filled in, when it can be found."""
    if problem.line is not None or not text:
        return problem
    head, _, rest = problem.path.partition(".")
    loc = (
        (head, rest)
        if head in ("parameters", "overrides") and rest
        else tuple(problem.path.split("."))
    )
    return Problem(problem.path, problem.message, problem.value, line_of(text, loc), problem.hint)


def parse(
    document: dict[str, Any], source: str | None = None, text: str | None = None
) -> ExperimentSpec:
    """Validate a parsed experiment document; raise :class:`ExperimentValidationError`."""
    try:
        spec = ExperimentSpec.model_validate(normalise(document))
    except ValidationError as exc:
        vocabulary = _vocabulary(text)
        problems = _unique([problem_from_error(e, vocabulary) for e in exc.errors()])
        raise ExperimentValidationError(problems, source) from None
    problems = [with_line(p, text) for p in design_problems(spec)]
    if problems:
        raise ExperimentValidationError(problems, source)
    return spec


def read_spec(path: Path) -> tuple[ExperimentSpec, str]:
    """Read and validate an experiment file; return the spec and the file's text."""
    document, text = read_toml(path, "experiment", ExperimentError)
    return parse(document, source=str(path), text=text), text
