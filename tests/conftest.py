"""Shared, generic fixtures. Keep this file small: module-specific helpers live in the modules."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from hypothesis.database import DirectoryBasedExampleDatabase

from factions.ensemble import run_ensemble
from factions.results import Results

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"

# Hypothesis keeps its files under pytest's cache folder, never at the repository root.
HYPOTHESIS_HOME = ROOT / ".pytest_cache" / "hypothesis"
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(HYPOTHESIS_HOME))
#: ``dev`` (the default) remembers failing examples between runs; ``ci`` (``HYPOTHESIS_PROFILE=ci``,
#: set by .ci/run) draws the same examples on every run and remembers nothing, so that a CI
#: failure is reproducible and a CI pass does not depend on luck.
settings.register_profile("dev", database=DirectoryBasedExampleDatabase(HYPOTHESIS_HOME / "db"))
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

#: A small, complete, valid scenario: two factions, one patron, two events, one pattern.
#: Its event keys equal event-kind names on purpose (error locations must keep them).
MINIMAL_SCENARIO = """\
name = "mini"
title = "A minimal two-faction scenario"
start = "1950-01"
end = "1955-12"

[leader]
faction = "reds"
name = "Red One"

[factions.reds]
label = "Reds"
cadres = 20
loyalty = { mean = 0.8 }
military = 1.0
notables = [{ name = "Red One" }, { name = "Red Two" }]

[factions.blues]
label = "Blues"
cadres = 15
loyalty = { mean = 0.4 }
military = 0.5
patron = "big"
notables = [{ name = "Blue One" }]

[patrons.big]
label = "Big Power"
presence = 0.5

[committee]
initial_seats = 10

[membership]
initial = 1000
capacity = 50000

[events.war]
kind = "war"
date = "1951-06"
end = "1953-07"

[events.congress]
kind = "congress"
date = "1954-01"
seats = 12

[[patterns]]
kind = "survives"
faction = "reds"
"""


@pytest.fixture
def write_toml(tmp_path: Path) -> Callable[..., Path]:
    """``write_toml(text_or_dict, name="scenario.toml") -> Path`` of a file in ``tmp_path``.

    Text is dedented; a dict is written with the package's TOML writer.
    """

    def write(content: str | dict[str, Any], name: str = "scenario.toml") -> Path:
        if isinstance(content, dict):
            from factions.scenario.render import to_toml

            text = to_toml(content)
        else:
            text = textwrap.dedent(content)
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def minimal_scenario() -> str:
    """The text of :data:`MINIMAL_SCENARIO` (a valid scenario)."""
    return MINIMAL_SCENARIO


@pytest.fixture
def korea_document() -> dict[str, Any]:
    """The bundled ``korea-1945`` scenario as parsed TOML (a fresh copy for each test)."""
    return tomllib.loads((SCENARIOS / "korea-1945.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def results_folder(tmp_path_factory) -> Path:
    """A small korea-1945 results folder (12 runs, seed 3), shared by the analysis tests."""
    folder = tmp_path_factory.mktemp("results") / "korea"
    run_ensemble("korea-1945", replicates=12, seed=3).save(folder)
    return folder


@pytest.fixture(scope="session")
def korea(results_folder: Path) -> Results:
    """The results of :func:`results_folder`, loaded."""
    return Results.load(results_folder)


@pytest.fixture(scope="session")
def factions_cli() -> Callable[..., subprocess.CompletedProcess]:
    """Run the ``factions`` command in a fresh interpreter (as a user would) and capture it."""

    def run(*args: str, cwd=None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "factions.cli", *args],
            capture_output=True,
            text=True,
            cwd=cwd,
            check=False,
        )

    return run
