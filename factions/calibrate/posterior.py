"""The result of a calibration: posterior, populations, pattern fit, and saving them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from factions.calibrate.parameters import Parameter, pattern_key, scenario_value, theta_key
from factions.scenario import Scenario
from factions.validate import describe

__all__ = [
    "KIND",
    "Calibration",
    "generation_table",
    "pattern_rates",
    "posterior_sample",
    "versions",
    "weighted_quantiles",
]

#: ``summary.json`` of a calibration folder says so (``--force`` replaces only such folders).
KIND = "calibration"


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
                    "scenario_value": scenario_value(document, p.path),
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
        base = {p.path: scenario_value(document, p.path) for p in self.parameters}
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


def generation_table(history: Any) -> pd.DataFrame:
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


def pattern_rates(history: Any, base: Scenario) -> pd.DataFrame:
    """Weighted mean pass rate of each pattern among the particles of the first and last t."""

    def rates(t: int) -> np.ndarray:
        weights, stats = history.get_weighted_sum_stats(t=t)
        table = np.array([[s[pattern_key(i)] for i in range(len(base.patterns))] for s in stats])
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


def posterior_sample(history: Any, parameters: Sequence[Parameter]) -> pd.DataFrame:
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    posterior = pd.DataFrame(
        {p.path: frame[theta_key(i)].to_numpy() for i, p in enumerate(parameters)}
    )
    posterior["weight"] = np.asarray(weights, float) / np.sum(weights)
    return posterior


def versions() -> dict[str, str]:
    from factions.results import versions

    found = versions()
    found["pyabc"] = metadata.version("pyabc")
    return found
