"""Where a calibration is written: its folder, and the posterior-mean scenario file."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from factions.calibrate.parameters import Parameter
from factions.calibrate.posterior import KIND, Calibration
from factions.errors import CalibrationError
from factions.scenario import Scenario, bundled_dir, load_scenario, locate

__all__ = [
    "IDENTIFIER",
    "calibration_folder",
    "check_folder",
    "check_scenario_file",
    "scenario_text",
    "write_scenario",
]

log = logging.getLogger(__name__)


IDENTIFIER = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


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
    """Write the posterior-mean scenario to ``path`` (checked to load before it is put there).

    Parameters
    ----------
    calibration : Calibration
        A finished calibration.
    path : str or Path
        The scenario file to write; it ``extends`` the base scenario.
    force : bool, default False
        Overwrite an existing file.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    CalibrationError
        The base scenario is unknown, or ``path`` exists and ``force`` is not set.
    """
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
