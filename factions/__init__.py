"""factions: agent-based simulation of factional politics inside a ruling party.

The public API, in the order data flows through it::

    from factions import load_scenario, FactionModel, run_ensemble

    scenario = load_scenario("korea-1945", overrides={"factions.yanan.military": 0.6})
    results = run_ensemble(scenario, replicates=100, seed=1)
    results.factions.head()
"""

from factions.errors import FactionsError, ScenarioError, ScenarioValidationError

__version__ = "0.1.0"

__all__ = [
    "FactionModel",
    "FactionsError",
    "Results",
    "Scenario",
    "ScenarioError",
    "ScenarioValidationError",
    "__version__",
    "load_scenario",
    "run_ensemble",
]


def __getattr__(name: str):
    """Import the heavier parts lazily so that `factions --help` stays fast."""
    if name in {"Scenario", "load_scenario"}:
        from factions import scenario

        return getattr(scenario, name)
    if name == "FactionModel":
        from factions.model import FactionModel

        return FactionModel
    if name == "run_ensemble":
        from factions.ensemble import run_ensemble

        return run_ensemble
    if name == "Results":
        from factions.results import Results

        return Results
    raise AttributeError(f"module 'factions' has no attribute {name!r}")
