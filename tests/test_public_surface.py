"""The public surface: every public module says what it exports, and no two classes share a name.

Modules under ``factions/mechanisms/`` (one function per mechanism, called by the model) and the
dashboard's are outside this check; private modules start with an underscore.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections import defaultdict

import pytest

import factions

OUTSIDE = ("factions.mechanisms", "factions.dashboard", "factions._")


def public_modules() -> list[str]:
    names = [
        m.name
        for m in pkgutil.walk_packages(factions.__path__, "factions.")
        if not m.name.startswith(OUTSIDE) and "._" not in m.name
    ]
    return sorted(names)


@pytest.mark.parametrize("name", public_modules())
def test_every_public_module_declares_all_and_it_resolves(name):
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    missing = [n for n in exported if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names what it lacks: {missing}"


def test_no_two_exported_classes_share_a_name():
    owners: dict[str, set[str]] = defaultdict(set)
    for name in public_modules():
        module = importlib.import_module(name)
        for export in module.__all__:
            obj = getattr(module, export)
            if inspect.isclass(obj):
                owners[export].add(f"{obj.__module__}.{obj.__qualname__}")
    clashes = {name: where for name, where in owners.items() if len(where) > 1}
    assert not clashes


def test_calibrate_exports_no_command_line_plumbing():
    from factions import calibrate

    plumbing = {"check_folder", "check_scenario_file", "calibration_folder", "require_pyabc"}
    assert not plumbing & set(calibrate.__all__)
