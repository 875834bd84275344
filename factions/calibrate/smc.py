"""The ABC-SMC run: pyabc's model of a particle (a small ensemble scored against the
patterns), its distance, seeding, and :func:`calibrate` itself."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from factions.calibrate.parameters import (
    Parameter,
    check_parameters,
    parse_parameter,
    particle_scenario,
    pattern_key,
    theta_key,
)
from factions.calibrate.posterior import (
    Calibration,
    generation_table,
    pattern_rates,
    posterior_sample,
    versions,
)
from factions.errors import CalibrationError
from factions.scenario import Scenario, load_scenario

__all__ = [
    "INSTALL_HINT",
    "PassRateModel",
    "calibrate",
    "failure_distance",
    "particle_seed",
    "prepare",
    "require_pyabc",
]

log = logging.getLogger(__name__)


INSTALL_HINT = 'pip install "factions[calibrate]"'
#: Children of the root seed: pyabc's sampler, and the particles' ensembles.
SAMPLER_STREAM, PARTICLE_STREAM = 0, 1


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


def particle_seed(root: int, evaluation: int) -> int:
    """Root seed of the ensemble of the ``evaluation``-th particle simulated (from 0)."""
    child = np.random.SeedSequence(root, spawn_key=(PARTICLE_STREAM, evaluation))
    return int.from_bytes(child.generate_state(4, np.uint32).tobytes(), "little")


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
        return {p.path: p.value(theta[theta_key(i)]) for i, p in enumerate(self.parameters)}

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
        return {pattern_key(i): float(rates[i]) for i in range(len(rates))}


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

    Parameters
    ----------
    scenario : Scenario or str
        The base scenario (loaded, or a bundled name or path); it must declare patterns.
    parameters : sequence of Parameter or str
        Parameters with uniform priors, e.g. ``"mechanisms.challenge.rate=0.1:1"``.
    populations : int, default 4
        ABC-SMC populations (pyabc stops after this many).
    particles : int, default 40
        Accepted particles per population.
    replicates : int, default 20
        Replicates simulated per particle.
    seed : int, default 1
        Root seed; the same arguments give the same posterior whatever ``workers`` is.
    workers : int, default 1
        Local processes for the replicates inside a particle.
    max_simulations : int, optional
        Stop after this many particle simulations.
    db : str or Path, optional
        The pyabc database file; ``None`` keeps it in memory.
    progress : callable, optional
        Called as ``progress(n)`` after each simulation.

    Returns
    -------
    Calibration
        Posterior, populations, pattern fit and settings; ``save()`` writes them.

    Raises
    ------
    CalibrationError
        Bad settings or parameters, or pyabc missing (install the ``calibrate`` extra).
    ScenarioError
        The scenario cannot be loaded.
    """
    pyabc = require_pyabc()
    _check_settings(populations, particles, replicates, seed)
    base, checked = prepare(scenario, parameters)
    prior = pyabc.Distribution(
        **{theta_key(i): pyabc.RV("uniform", p.low, p.high - p.low) for i, p in enumerate(checked)}
    )
    target = {pattern_key(i): 1.0 for i in range(len(base.patterns))}
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
        "versions": versions(),
    }
    generations = generation_table(history)
    if generations["epsilon"].iloc[0] >= 1.0:
        log.warning(
            "the first tolerance is the largest possible distance (1): most of the prior box "
            "fails every pattern in every replicate, where ABC cannot tell particles apart; "
            "narrow the --param ranges or raise --replicates"
        )
    return Calibration(
        scenario=base,
        parameters=checked,
        posterior=posterior_sample(history, checked),
        generations=generations,
        patterns=pattern_rates(history, base),
        settings=settings,
    )
