"""Calibrate scenario values against the scenario's declared patterns by ABC-SMC.

Approximate Bayesian computation by sequential Monte Carlo (ABC-SMC; Toni et al. 2009, with the
importance weights of Beaumont et al. 2009) draws parameter values ("particles") from uniform
priors, simulates each, and keeps those whose simulated summary statistics lie within a tolerance
of the observed ones; every later population perturbs the weighted survivors of the last and
shrinks the tolerance. The sampler is pyabc (Klinger, Rickert & Hasenauer 2018), an optional
dependency: ``pip install "factions[calibrate]"``.

Here a particle's simulation is a small ensemble of the scenario with the particle's values; its
summary statistics are the pass rates of the scenario's declared patterns; its distance from the
all-pass target is the root mean square failure rate (:func:`failure_distance`).

Reproducibility: pyabc draws from numpy's global generator, which :func:`calibrate` seeds from the
root seed (and restores afterwards); particles are evaluated one after another in pyabc's
single-core sampler, and evaluation ``n`` runs its replicates from child ``n`` of the root seed's
particle stream (:func:`particle_seed`). Workers parallelise the replicates *inside* a particle,
whose results do not depend on the number of workers, so the same arguments give the same
posterior whatever ``workers`` is.

References: Toni, T., Welch, D., Strelkowa, N., Ipsen, A. & Stumpf, M. P. H. (2009), J. R. Soc.
Interface 6, 187–202. Beaumont, M. A., Cornuet, J.-M., Marin, J.-M. & Robert, C. P. (2009),
Biometrika 96, 983–990. Klinger, E., Rickert, D. & Hasenauer, J. (2018), Bioinformatics 34,
3591–3593.
"""

from __future__ import annotations

import contextlib
import difflib
import itertools
import json
import logging
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd

from factions.errors import CalibrationError, ScenarioValidationError
from factions.scenario import Scenario, bundled_dir, load_scenario, locate
from factions.scenario.load import apply_overrides, validate
from factions.validate import describe

log = logging.getLogger(__name__)

INSTALL_HINT = 'pip install "factions[calibrate]"'
#: Children of the root seed: pyabc's sampler, and the particles' ensembles.
SAMPLER_STREAM, PARTICLE_STREAM = 0, 1
#: Up to this many parameters, every corner of the prior box is checked before running.
MAX_CORNER_PARAMETERS = 6
#: ``summary.json`` of a calibration folder says so (``--force`` replaces only such folders).
KIND = "calibration"
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


def require_pyabc() -> ModuleType:
    """Import pyabc, or say how to install it."""
    try:
        import pyabc
    except ImportError as exc:
        raise CalibrationError(
            f"calibration needs the optional dependency pyabc ({exc}); "
            f"install it with: {INSTALL_HINT}"
        ) from None
    return pyabc


# --------------------------------------------------------------------------- parameters


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


def _field(document: Mapping[str, Any], path: str) -> Any:
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
    value = _field(document, p.path)
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
    return validate(apply_overrides(dict(document), values), source=source)


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


# --------------------------------------------------------------------------- the ABC model


def particle_seed(root: int, evaluation: int) -> int:
    """Root seed of the ensemble of the ``evaluation``-th particle simulated (from 0)."""
    child = np.random.SeedSequence(root, spawn_key=(PARTICLE_STREAM, evaluation))
    return int.from_bytes(child.generate_state(4, np.uint32).tobytes(), "little")


def _name(i: int) -> str:
    """pyabc's name of parameter ``i`` (dotted paths are kept out of its database columns)."""
    return f"theta{i}"


def _stat(i: int) -> str:
    """pyabc's name of the pass rate of pattern ``i``."""
    return f"pattern{i}"


def failure_distance(simulated: Mapping[str, float], target: Mapping[str, float]) -> float:
    """Root mean square gap between simulated and target pass rates.

    Against the all-pass target (1 for every pattern) this is the root mean square failure rate.
    Pass rates share one scale (probabilities), so the patterns are weighted equally and no
    adaptive rescaling is needed; squaring makes one badly missed pattern cost more than several
    slightly missed ones.
    """
    gaps = np.array([target[k] - simulated[k] for k in target])
    return float(np.sqrt(np.mean(gaps**2)))


class PassRateModel:
    """pyabc's model: a particle's values -> the pass rate of each declared pattern.

    Evaluations are numbered in the order they are made (pyabc's single-core sampler makes them
    one after another); evaluation ``n`` runs ``replicates`` replicates from
    :func:`particle_seed` ``(seed, n)``, on ``executor`` if given.
    """

    def __init__(
        self,
        base: Scenario,
        parameters: Sequence[Parameter],
        replicates: int,
        seed: int,
        executor: Any = None,
        progress: Callable[[int], None] | None = None,
    ):
        self.document = base.model_dump(mode="json")
        self.parameters = list(parameters)
        self.replicates = replicates
        self.seed = seed
        self.executor = executor
        self.progress = progress
        self.evaluations = 0

    def values(self, theta: Mapping[str, float]) -> dict[str, float | int]:
        """Scenario values of a particle, by dotted path."""
        return {p.path: p.value(theta[_name(i)]) for i, p in enumerate(self.parameters)}

    def __call__(self, theta: Mapping[str, float]) -> dict[str, float]:
        from factions.ensemble import run_ensemble
        from factions.validate import pattern_pass

        spec = particle_scenario(self.document, self.values(theta))
        seed = particle_seed(self.seed, self.evaluations)
        self.evaluations += 1
        results = run_ensemble(spec, self.replicates, seed, executor=self.executor)
        rates = pattern_pass(results).mean()
        if self.progress:
            self.progress(self.evaluations)
        return {_stat(i): float(rates[i]) for i in range(len(rates))}


@contextlib.contextmanager
def _global_numpy_seed(seed: int) -> Iterator[None]:
    """Seed numpy's global generator (pyabc samples from it) and restore it afterwards."""
    state = np.random.get_state()  # noqa: NPY002 (pyabc draws from the legacy global state)
    child = np.random.SeedSequence(seed, spawn_key=(SAMPLER_STREAM,))
    np.random.seed(child.generate_state(1, np.uint32)[0])  # noqa: NPY002
    try:
        yield
    finally:
        np.random.set_state(state)  # noqa: NPY002


@contextlib.contextmanager
def _pool(workers: int) -> Iterator[Any]:
    """A local process pool when ``workers`` > 1, else None (serial)."""
    if workers <= 1:
        yield None
        return
    from factions.executors import local_pool

    pool = local_pool(workers)
    try:
        yield pool
    finally:
        pool.shutdown(cancel_futures=True)


# --------------------------------------------------------------------------- the result


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs: Sequence[float]) -> list[float]:
    """Quantiles of a weighted sample (linear interpolation of the weighted CDF's midpoints)."""
    order = np.argsort(values)
    v, w = np.asarray(values, float)[order], np.asarray(weights, float)[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return [float(np.interp(q, cdf, v)) for q in qs]


@dataclass
class Calibration:
    """The outcome of :func:`calibrate`: the last population and how the populations went.

    ``posterior`` has one column per parameter path and a ``weight`` column (summing to 1);
    ``generations`` one row per population (tolerance, simulations, acceptance);
    ``patterns`` one row per declared pattern: its required pass rate and the weighted mean pass
    rate of the particles accepted in the first and in the last population.
    """

    scenario: Scenario
    parameters: list[Parameter]
    posterior: pd.DataFrame
    generations: pd.DataFrame
    patterns: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)

    def posterior_mean(self) -> dict[str, float]:
        """Weighted posterior mean of each parameter, by path."""
        w = self.posterior["weight"].to_numpy()
        return {
            p.path: float(np.average(self.posterior[p.path], weights=w)) for p in self.parameters
        }

    def posterior_table(self) -> pd.DataFrame:
        """Per parameter: prior range, scenario value, posterior mean, sd and 95% interval."""
        document = self.scenario.model_dump(mode="json")
        w = self.posterior["weight"].to_numpy()
        rows = []
        for p in self.parameters:
            x = self.posterior[p.path].to_numpy()
            mean = float(np.average(x, weights=w))
            low, median, high = weighted_quantiles(x, w, (0.025, 0.5, 0.975))
            rows.append(
                {
                    "parameter": p.path,
                    "prior_low": p.low,
                    "prior_high": p.high,
                    "scenario_value": _field(document, p.path),
                    "mean": mean,
                    "sd": float(np.sqrt(np.average((x - mean) ** 2, weights=w))),
                    "q025": low,
                    "median": median,
                    "q975": high,
                }
            )
        return pd.DataFrame(rows)

    def to_json(self) -> dict[str, Any]:
        """What ``summary.json`` holds."""
        return {
            "kind": KIND,
            "scenario": self.scenario.name,
            "scenario_hash": self.scenario.hash,
            **self.settings,
            "parameters": [
                {**row, "integer": p.integer}
                for p, row in zip(
                    self.parameters, self.posterior_table().to_dict("records"), strict=True
                )
            ],
            "posterior_mean": self.posterior_mean(),
            "generations": self.generations.to_dict("records"),
            "patterns": self.patterns.to_dict("records"),
        }

    def save(self, folder: str | Path) -> list[Path]:
        """Write the tables, ``summary.json`` and the figures into an existing ``folder``."""
        from factions import plots

        folder = Path(folder)
        written = []
        for name, table in (
            ("posterior", self.posterior),
            ("generations", self.generations),
            ("patterns", self.patterns),
        ):
            table.to_csv(folder / f"{name}.csv", index=False)
            written.append(folder / f"{name}.csv")
        summary = folder / "summary.json"
        summary.write_text(json.dumps(self.to_json(), indent=2, default=str))
        figures = folder / "figures"
        priors = {p.path: (p.low, p.high) for p in self.parameters}
        document = self.scenario.model_dump(mode="json")
        base = {p.path: _field(document, p.path) for p in self.parameters}
        written += [
            summary,
            plots.save_posterior_figure(self.posterior, priors, figures / "posterior.png", base),
            plots.save_drawing(
                lambda ax: plots.plot_pattern_fit(self.patterns, ax=ax),
                figures / "pattern-fit.png",
                figsize=(8.0, 0.45 * len(self.patterns) + 1.5),
            ),
        ]
        return written


def _generations(history: Any) -> pd.DataFrame:
    """One row per population t ≥ 0: tolerance, simulations, accepted particles, acceptance."""
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0]
    return pd.DataFrame(
        {
            "t": pops["t"].astype(int).to_numpy(),
            "epsilon": pops["epsilon"].astype(float).to_numpy(),
            "simulations": pops["samples"].astype(int).to_numpy(),
            "accepted": pops["particles"].astype(int).to_numpy(),
            "acceptance_rate": (pops["particles"] / pops["samples"]).astype(float).to_numpy(),
        }
    )


def _pattern_rates(history: Any, base: Scenario) -> pd.DataFrame:
    """Weighted mean pass rate of each pattern among the particles of the first and last t."""

    def rates(t: int) -> np.ndarray:
        weights, stats = history.get_weighted_sum_stats(t=t)
        table = np.array([[s[_stat(i)] for i in range(len(base.patterns))] for s in stats])
        return np.average(table, axis=0, weights=np.asarray(weights))

    first, last = rates(0), rates(history.max_t)
    return pd.DataFrame(
        {
            "pattern": range(len(base.patterns)),
            "description": [describe(p) for p in base.patterns],
            "required": [p.min_pass_rate for p in base.patterns],
            "first_population": first,
            "last_population": last,
        }
    )


def _posterior(history: Any, parameters: Sequence[Parameter]) -> pd.DataFrame:
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    posterior = pd.DataFrame({p.path: frame[_name(i)].to_numpy() for i, p in enumerate(parameters)})
    posterior["weight"] = np.asarray(weights, float) / np.sum(weights)
    return posterior


def _versions() -> dict[str, str]:
    from factions.results import versions

    found = versions()
    found["pyabc"] = metadata.version("pyabc")
    return found


# --------------------------------------------------------------------------- running


def _check_settings(populations: int, particles: int, replicates: int, seed: int) -> None:
    for name, value, least in (
        ("populations", populations, 1),
        ("particles", particles, 2),
        ("replicates", replicates, 1),
        ("seed", seed, 0),
    ):
        if value < least:
            raise CalibrationError(f"{name} must be at least {least}, got {value}")


def prepare(
    scenario: Scenario | str, parameters: Sequence[Parameter | str]
) -> tuple[Scenario, list[Parameter]]:
    """Load the base scenario and check the parameters (``'PATH=LOW:HIGH'`` strings or objects)."""
    base = load_scenario(scenario) if isinstance(scenario, str) else scenario
    if not base.patterns:
        raise CalibrationError(f"scenario {base.name!r} declares no patterns to calibrate against")
    parsed = [parse_parameter(p) if isinstance(p, str) else p for p in parameters]
    return base, check_parameters(base, parsed)


def calibrate(
    scenario: Scenario | str,
    parameters: Sequence[Parameter | str],
    *,
    populations: int = 4,
    particles: int = 40,
    replicates: int = 20,
    seed: int = 1,
    workers: int = 1,
    max_simulations: int | None = None,
    db: str | Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> Calibration:
    """Calibrate ``parameters`` of ``scenario`` against its declared patterns by ABC-SMC.

    Each of ``particles`` particles per population runs ``replicates`` replicates; pyabc stops
    after ``populations`` populations or ``max_simulations`` particle simulations. ``db`` is the
    pyabc database file (None: in memory). ``progress(n)`` is called after each simulation.
    Raises :class:`~factions.errors.CalibrationError` (or a scenario error) on bad input.
    """
    pyabc = require_pyabc()
    _check_settings(populations, particles, replicates, seed)
    base, checked = prepare(scenario, parameters)
    prior = pyabc.Distribution(
        **{_name(i): pyabc.RV("uniform", p.low, p.high - p.low) for i, p in enumerate(checked)}
    )
    target = {_stat(i): 1.0 for i in range(len(base.patterns))}
    url = f"sqlite:///{Path(db).resolve()}" if db is not None else "sqlite://"
    log.info(
        "calibrating %d parameters of %s against %d patterns", len(checked), base.name, len(target)
    )
    with _global_numpy_seed(seed), _pool(workers) as pool:
        model = PassRateModel(base, checked, replicates, seed, pool, progress)
        abc = pyabc.ABCSMC(
            model,
            prior,
            failure_distance,
            population_size=particles,
            sampler=pyabc.sampler.SingleCoreSampler(),
        )
        abc.new(url, target)
        history = abc.run(
            max_nr_populations=populations,
            max_total_nr_simulations=max_simulations or np.inf,
        )
    settings = {
        "method": "ABC-SMC (pyabc, single-core sampler, median epsilon)",
        "distance": "root mean square failure rate over the declared patterns",
        "populations_requested": populations,
        "populations_run": int(history.max_t) + 1,
        "particles": particles,
        "replicates": replicates,
        "seed": seed,
        "max_simulations": max_simulations,
        "simulations_total": int(history.total_nr_simulations),
        "source": scenario if isinstance(scenario, str) else None,
        "versions": _versions(),
    }
    generations = _generations(history)
    if generations["epsilon"].iloc[0] >= 1.0:
        log.warning(
            "the first tolerance is the largest possible distance (1): most of the prior box "
            "fails every pattern in every replicate, where ABC cannot tell particles apart; "
            "narrow the --param ranges or raise --replicates"
        )
    return Calibration(
        scenario=base,
        parameters=checked,
        posterior=_posterior(history, checked),
        generations=generations,
        patterns=_pattern_rates(history, base),
        settings=settings,
    )


# --------------------------------------------------------------------------- output folder


def _is_calibration(folder: Path) -> bool:
    try:
        return json.loads((folder / "summary.json").read_text()).get("kind") == KIND
    except (OSError, ValueError, AttributeError):
        return False


def check_folder(folder: str | Path, force: bool = False) -> None:
    """Refuse an existing non-empty folder, unless ``force`` and it holds a calibration."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise CalibrationError(f"{folder} exists and is not a folder; choose another --out")
    if not folder.exists() or not any(folder.iterdir()):
        return
    if not force:
        raise CalibrationError(f"{folder} exists; give --force to replace it, or another --out")
    if not _is_calibration(folder):
        raise CalibrationError(
            f"{folder} exists and is not a calibration folder; choose another --out"
        )


@contextlib.contextmanager
def calibration_folder(folder: str | Path, force: bool = False) -> Iterator[Path]:
    """Check ``folder`` (:func:`check_folder`), then yield a staging folder renamed into place
    when the block succeeds; on any failure (or Ctrl-C) nothing is left behind."""
    from factions.results import staged_folder

    folder = Path(folder)
    check_folder(folder, force)
    with staged_folder(folder) as staging:
        yield staging
    log.info("wrote calibration to %s", folder)


# ------------------------------------------------------------------------- posterior-mean scenario


def check_scenario_file(path: str | Path, force: bool = False) -> None:
    """Refuse to overwrite an existing file unless ``force``; it must end in ``.toml``."""
    path = Path(path)
    if path.suffix != ".toml":
        raise CalibrationError(f"--write-scenario {path}: the file name must end in .toml")
    if path.is_dir():
        raise CalibrationError(f"--write-scenario {path}: is a folder")
    if path.exists() and not force:
        raise CalibrationError(f"{path} exists; give --force to replace it, or another file")


def _extends(source: str, target: Path) -> str:
    """How ``target`` refers to the base scenario: its bundled name, or a relative path."""
    found = locate(source)
    looks_like_path = source.endswith(".toml") or "/" in source or "\\" in source
    if not looks_like_path and found.parent == bundled_dir().resolve():
        return found.stem
    return os.path.relpath(found, target.resolve().parent)


def _rounded(p: Parameter, value: float) -> float | int:
    """A posterior mean as written to a file: 4 significant digits, within the prior range."""
    if p.integer:
        return round(value)
    return min(max(float(f"{value:.4g}"), p.low), p.high)


def scenario_text(calibration: Calibration, extends: str, name: str) -> str:
    """A scenario file that ``extends`` the base and sets each value to its posterior mean."""
    base, s = calibration.scenario, calibration.settings
    table = calibration.posterior_table().set_index("parameter")
    lines = [
        f"# Posterior means of `factions calibrate {s.get('source') or base.name}` (ABC-SMC):",
        f"# {s['populations_run']} populations x {s['particles']} particles x "
        f"{s['replicates']} replicates, seed {s['seed']}.",
        "# Beside each value: its 95% credible interval and the uniform prior.",
        f"extends = {json.dumps(extends)}",
        f"name = {json.dumps(name)}",
        f"title = {json.dumps((base.title + ' (posterior mean of a calibration)')[:200])}",
    ]
    groups: dict[str, list[str]] = {}
    for p in calibration.parameters:
        row = table.loc[p.path]
        prefix, _, key = p.path.rpartition(".")
        groups.setdefault(prefix, []).append(
            f"{key} = {_rounded(p, row['mean'])!r}  # 95% CI [{row['q025']:.4g}, "
            f"{row['q975']:.4g}]; prior U({p.low:g}, {p.high:g})"
        )
    for prefix, entries in groups.items():
        lines += ["", f"[{prefix}]"] if prefix else [""]
        lines += entries
    return "\n".join(lines) + "\n"


def _scenario_name(path: Path, base: Scenario) -> str:
    stem = path.stem.lower()
    return stem if IDENTIFIER.match(stem) else f"{base.name[:29]}-calibrated"


def write_scenario(calibration: Calibration, path: str | Path, force: bool = False) -> Path:
    """Write the posterior-mean scenario to ``path`` (checked to load before it is put there)."""
    source = calibration.settings.get("source")
    if not source:
        raise CalibrationError("writing a scenario needs the base scenario's name or file")
    path = Path(path)
    check_scenario_file(path, force)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = scenario_text(
        calibration, _extends(source, path), _scenario_name(path, calibration.scenario)
    )
    handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        load_scenario(Path(temporary).resolve())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    log.info("wrote the posterior-mean scenario to %s", path)
    return path


__all__ = [
    "Calibration",
    "Parameter",
    "PassRateModel",
    "calibrate",
    "calibration_folder",
    "check_folder",
    "check_parameters",
    "failure_distance",
    "parse_parameter",
    "particle_seed",
    "require_pyabc",
    "write_scenario",
]
