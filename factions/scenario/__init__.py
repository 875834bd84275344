"""Scenario files: schema, loading, ``extends``, overrides, hashing and JSON Schema export."""

from factions.scenario.events import EVENT_KINDS
from factions.scenario.load import (
    apply_overrides,
    bundled_dir,
    canonical_json,
    json_schema,
    list_bundled,
    load_scenario,
    locate,
    parse_override,
    scenario_hash,
)
from factions.scenario.schema import Scenario

__all__ = [
    "EVENT_KINDS",
    "Scenario",
    "apply_overrides",
    "bundled_dir",
    "canonical_json",
    "json_schema",
    "list_bundled",
    "load_scenario",
    "locate",
    "parse_override",
    "scenario_hash",
]
