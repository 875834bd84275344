"""The dashboard's parameters: which scenario values get a slider, applying them, saving them.

A slider is named by the dotted scenario path it sets (``factions.yanan.loyalty.mean``), the
same paths ``--set`` takes on the command line, so applying the sliders is loading the scenario
with overrides, and saving them is writing a scenario file that ``extends`` the base with those
values: ``factions run`` reads it like any other scenario.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mesa.visualization import Slider

from factions.scenario import list_bundled, load_scenario
from factions.scenario.render import to_toml
from factions.scenario.schema import Scenario

MILITARY_CEILING = 2.0  # slider maximum for a faction's force, unless its value is higher
STEP = 0.01  # a slider's step, unless the scenario's value needs a finer one


@dataclass(frozen=True)
class Parameter:
    """One slider: the scenario path it sets, its label and range, and the base value."""

    path: str
    label: str
    value: float
    low: float = 0.0
    high: float = 1.0

    @property
    def step(self) -> float:
        """Hundredths, or finer if the value is not on that grid.

        A browser slider snaps its value to its grid and reports the snapped value as a change:
        a value such as 0.125 on a grid of hundredths would reset the run unasked.
        """
        step = STEP
        while abs(self.value / step - round(self.value / step)) > 1e-6 and step > 1e-6:
            step /= 10
        return step

    def slider(self) -> Slider:
        """Mesa's float slider for this parameter, its value in the label."""
        label = f"{self.label} = {self.value:g}"
        return Slider(label, self.value, self.low, self.high, self.step, dtype=float)


def parameters(spec: Scenario) -> list[Parameter]:
    """The sliders for a scenario: each faction's loyalty and force, each patron's protection
    and willingness, and the purge launch rate, established-leader threshold and challenge rate.
    """
    found = []
    for fid, faction in spec.factions.items():
        found.append(
            Parameter(
                f"factions.{fid}.loyalty.mean", f"{faction.label}: loyalty", faction.loyalty.mean
            )
        )
        high = max(MILITARY_CEILING, round(2 * faction.military, 2))
        found.append(
            Parameter(
                f"factions.{fid}.military",
                f"{faction.label}: military",
                faction.military,
                high=high,
            )
        )
    for pid, patron in spec.patrons.items():
        found.append(
            Parameter(f"patrons.{pid}.protection", f"{patron.label}: protection", patron.protection)
        )
        found.append(
            Parameter(
                f"patrons.{pid}.willingness", f"{patron.label}: willingness", patron.willingness
            )
        )
    purge, challenge = spec.mechanisms.purge, spec.mechanisms.challenge
    found += [
        Parameter("mechanisms.purge.launch_rate", "Purge launch rate (monthly)", purge.launch_rate),
        Parameter(
            "mechanisms.purge.established_share",
            "Established-leader share",
            purge.established_share,
        ),
        Parameter("mechanisms.challenge.rate", "Challenge rate (monthly)", challenge.rate),
    ]
    return found


def resolve(source: str, values: Mapping[str, Any]) -> Scenario:
    """The scenario ``source`` (bundled name or file) with the slider ``values`` applied."""
    return load_scenario(source, dict(values)) if values else load_scenario(source)


def sources() -> list[str]:
    """The scenarios the picker offers: the bundled ones."""
    return list_bundled()


def _nested(values: Mapping[str, Any]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for dotted, value in sorted(values.items()):
        node = tree
        *parents, last = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return tree


def _extends(source: str) -> str:
    """What ``extends`` names: a bundled scenario by name, a file by its absolute path."""
    return source if source in list_bundled() else str(Path(source).expanduser().resolve())


def scenario_file(source: str, values: Mapping[str, Any], seed: int) -> str:
    """TOML text of a scenario that ``extends`` ``source`` with ``values`` set.

    Every slider's resolved value is written (not only the changed ones), so the file says in
    full what the dashboard ran. The seed is not part of a scenario: a comment gives the
    command that reruns it.
    """
    base = resolve(source, {})
    resolved = {p.path: p.value for p in parameters(resolve(source, values))}
    header = (
        f"# Saved by `factions dashboard` from {base.name} (seed {seed}).\n"
        f"# Run it with: factions run THIS_FILE --seed {seed}\n"
    )
    document = {
        "extends": _extends(source),
        "name": f"{base.name[:30]}-dashboard",
        "title": f"{base.title} (dashboard settings)",
        **_nested(resolved),
    }
    return header + to_toml(document)
