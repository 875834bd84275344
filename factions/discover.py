"""Scenario discovery: the boxes of parameter space where a sweep's output meets a condition.

PRIM, the Patient Rule Induction Method (Friedman & Fisher 1999), as EMA Workbench implements
it (Kwakkel 2017; the optional extra ``factions[discover]``), runs on a sweep's design points:
``x`` is each point's parameter values, ``y`` whether the point's output meets a condition such
as ``survival_yanan_1958-12 >= 0.5``. PRIM peels the box of all points, a small slice at a time,
towards one dense in points of interest; each step of the *peeling trajectory* trades
**coverage** (the share of all points of interest inside the box) for **density** (the share of
the box's points that are of interest). A box is chosen on its trajectory as the one of highest
coverage whose density reaches ``threshold`` (else the densest); further boxes are found among
the points outside the earlier ones.

The condition is parsed by :func:`parse_condition` (``OUTPUT OP NUMBER``, ``OP`` one of
``>= > <= < ==``), never evaluated.
"""

from __future__ import annotations

import difflib
import logging
import operator
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from factions.errors import ExperimentError
from factions.experiment.outputs import output_names

__all__ = [
    "Condition",
    "Discovery",
    "discover",
    "discover_sweep",
    "parse_condition",
]

log = logging.getLogger(__name__)

OPERATORS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
}
_CONDITION = re.compile(
    r"^\s*(?P<output>[A-Za-z_][A-Za-z0-9_.\-]*)\s*(?P<op>>=|<=|==|>|<)\s*"
    r"(?P<value>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*$"
)
#: PRIM's defaults (EMA Workbench's): the share peeled at each step, the smallest box.
PEEL_ALPHA = 0.05
MASS_MIN = 0.05


@dataclass(frozen=True)
class Condition:
    """``output op value``: which design points are of interest."""

    output: str
    op: str
    value: float

    def __str__(self) -> str:
        return f"{self.output} {self.op} {self.value:g}"

    def holds(self, values: np.ndarray) -> np.ndarray:
        """Where the condition holds (never where the value is missing)."""
        return np.asarray(OPERATORS[self.op](values, self.value), dtype=bool)


def parse_condition(text: str) -> Condition:
    """Read ``"OUTPUT OP NUMBER"`` (e.g. ``"survival_yanan_1958-12 >= 0.5"``).

    Raises :class:`ExperimentError` saying what form is expected; nothing is evaluated.
    """
    match = _CONDITION.match(text) if isinstance(text, str) else None
    if match is None:
        raise ExperimentError(
            f"cannot read the condition {text!r}: write OUTPUT OP NUMBER, with OP one of "
            f'{" ".join(OPERATORS)}, e.g. "survival_yanan_1958-12 >= 0.5"'
        )
    return Condition(match["output"], match["op"], float(match["value"]))


@dataclass(frozen=True)
class Discovery:
    """What PRIM found: the condition, the counts, and tables of the boxes.

    ``trajectory`` has one row per step of each box's peeling (and pasting) trajectory:
    ``box``, ``step``, ``coverage``, ``density``, ``mass``, ``restricted`` (parameters
    restricted) and ``chosen``. ``limits`` has one row per box and parameter: ``low``,
    ``high``, the swept range ``range_low``, ``range_high``, and ``restricted``. ``boxes`` has
    one row per box: ``coverage``, ``density``, ``mass``, ``points``, ``of_interest``.
    """

    condition: Condition
    points: int
    of_interest: int
    boxes: pd.DataFrame
    limits: pd.DataFrame
    trajectory: pd.DataFrame


def _prim_module():
    """EMA Workbench's PRIM, imported only when needed (it is an optional extra)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "ipyparallel not installed"
            from ema_workbench.analysis import prim
    except ImportError as exc:
        raise ExperimentError(
            f"scenario discovery needs EMA Workbench ({exc}): pip install 'factions[discover]'"
        ) from None
    return prim


def _check_output(condition: Condition, table: pd.DataFrame) -> None:
    names = output_names(table)
    if condition.output in names:
        return
    close = difflib.get_close_matches(condition.output, names, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"outputs: {', '.join(names)}"
    raise ExperimentError(f"the sweep has no output {condition.output!r} ({hint})")


def _choose(trajectory: pd.DataFrame, threshold: float) -> int:
    """The step of highest coverage whose density reaches ``threshold``; else the densest."""
    dense = trajectory[trajectory["density"] >= threshold]
    if dense.empty:
        return int(trajectory["density"].idxmax())
    return int(dense["coverage"].idxmax())


def _limits(box, parameters: list[str], box_init: pd.DataFrame, number: int) -> pd.DataFrame:
    lim = box.box_lim
    rows = []
    for name in parameters:
        low, high = lim[name].iloc[0], lim[name].iloc[1]
        full_low, full_high = box_init[name].iloc[0], box_init[name].iloc[1]
        if isinstance(low, set | frozenset):  # a nominal parameter: PRIM keeps a set of levels
            rows.append(
                {
                    "box": number,
                    "parameter": name,
                    "low": ", ".join(map(str, sorted(low))),
                    "high": None,
                    "range_low": ", ".join(map(str, sorted(full_low))),
                    "range_high": None,
                    "restricted": set(low) != set(full_low),
                }
            )
            continue
        rows.append(
            {
                "box": number,
                "parameter": name,
                "low": float(low),
                "high": float(high),
                "range_low": float(full_low),
                "range_high": float(full_high),
                "restricted": bool(low > full_low or high < full_high),
            }
        )
    return pd.DataFrame(rows)


def discover(
    points: pd.DataFrame,
    parameters: list[str],
    condition: Condition | str,
    *,
    threshold: float = 0.8,
    boxes: int = 2,
    peel_alpha: float = PEEL_ALPHA,
    mass_min: float = MASS_MIN,
) -> Discovery:
    """Run PRIM on a sweep's per-point outputs (:meth:`SweepResults.outputs`).

    Parameters
    ----------
    points : DataFrame
        One row per design point: the ``parameters`` and the outputs (with their intervals).
    parameters : list of str
        The swept parameters (the columns PRIM may restrict).
    condition : Condition or str
        Which points are of interest, e.g. ``"survival_yanan_1958-12 >= 0.5"``.
    threshold : float, default 0.8
        Density a chosen box should reach (see the module's docstring).
    boxes : int, default 2
        Most boxes to find; the search stops sooner when no point of interest is left.
    peel_alpha, mass_min : float
        PRIM's share peeled per step, and the smallest box (a share of the points).

    Raises
    ------
    ExperimentError
        Unknown output, EMA Workbench missing, or no (or only) points of interest.
    """
    condition = parse_condition(condition) if isinstance(condition, str) else condition
    _check_output(condition, points)
    usable = points.dropna(subset=[condition.output]).reset_index(drop=True)
    if len(usable) < len(points):
        log.warning("%d design points without runs left out", len(points) - len(usable))
    y = condition.holds(usable[condition.output].to_numpy(dtype=float))
    values = usable[condition.output]
    if not y.any() or y.all():
        which = "no" if not y.any() else "every"
        raise ExperimentError(
            f"{which} design point has {condition} ({condition.output} ranges from "
            f"{values.min():g} to {values.max():g}): nothing to tell apart; change the value"
        )
    prim = _prim_module()
    x = usable[parameters].copy()
    finder = prim.Prim(x, y.astype(int), peel_alpha=peel_alpha, mass_min=mass_min)
    found, limits, steps = [], [], []
    left = np.ones(len(y), dtype=bool)  # points outside every box found so far
    for number in range(1, boxes + 1):
        if not y[left].any():
            break
        box = finder.find_box()
        if box is None:
            break
        trajectory = box.peeling_trajectory.reset_index(drop=True)
        chosen = _choose(trajectory, threshold)
        box.select(chosen)
        left[box.yi] = False
        steps.append(_trajectory(trajectory, number, chosen))
        limits.append(_limits(box, parameters, finder.box_init, number))
        row = trajectory.loc[chosen]
        found.append(
            {
                "box": number,
                "coverage": float(row["coverage"]),
                "density": float(row["density"]),
                "mass": float(row["mass"]),
                "points": int(row["n"]),
                "of_interest": int(row["k"]),
            }
        )
    return Discovery(
        condition,
        len(usable),
        int(y.sum()),
        pd.DataFrame(found),
        pd.concat(limits, ignore_index=True),
        pd.concat(steps, ignore_index=True),
    )


def _trajectory(trajectory: pd.DataFrame, number: int, chosen: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "box": number,
            "step": np.arange(len(trajectory)),
            "coverage": trajectory["coverage"].astype(float),
            "density": trajectory["density"].astype(float),
            "mass": trajectory["mass"].astype(float),
            "restricted": trajectory["res_dim"].astype(int),
            "chosen": np.arange(len(trajectory)) == chosen,
        }
    )


def discover_sweep(sweep, condition: Condition | str, **options) -> Discovery:
    """:func:`discover` on a :class:`~factions.experiment.SweepResults` (its outputs and
    parameters)."""
    parameters = list(sweep.experiment.design.parameters)
    if not parameters:
        raise ExperimentError("the sweep varies no parameter: there is no box to find")
    return discover(sweep.outputs(), parameters, condition, **options)
