"""A sweep's per-point outputs as plain text that fits a terminal (``factions status``, ``sweep``).

Each output is one column whose cells read ``value [low, high]``: shares and means with two
decimals, counts of patterns as integers, median end dates as calendar months (``>1961-09``
when the median, or a bound, is past the horizon: the faction still stands). The first block gives
each point's parameters and runs; outputs that do not fit in ``width`` go to further blocks,
which repeat the point number. A
legend below says what each column is and which interval it carries.
"""

from __future__ import annotations

import math
import textwrap

import pandas as pd

from factions.calendar import format_month
from factions.experiment.outputs import HIGH, LOW, Output, catalogue

__all__ = [
    "cell",
    "outputs_text",
    "short_parameter",
]

#: Interval each statistic carries, for the legend.
METHODS = {
    "share": "Wilson",
    "median": "order statistics",
    "mean": "Student t",
    "holding": "bootstrap",
}
GAP = 2


def short_parameter(path: str) -> str:
    """The last two parts of a dotted path (``factions.yanan.military`` -> ``yanan.military``)."""
    return ".".join(path.split(".")[-2:])


def _date(exp, months: float) -> str:
    """Months since the start as ``YYYY-MM``; at or past the horizon ``>END``."""
    if months >= exp.base.n_months:
        return f">{exp.base.end}"
    return format_month(exp.base.start_month + int(months))


def _number(exp, output: Output, value: float) -> str:
    if output.statistic == "median":
        return _date(exp, value)
    return f"{value:.0f}" if output.statistic == "holding" else f"{value:.2f}"


def cell(exp, output: Output, value: float, low: float, high: float) -> str:
    """One output of one point as ``value [low, high]`` ('-' without runs)."""
    if value is None or math.isnan(value):
        return "-"
    return (
        f"{_number(exp, output, value)} [{_number(exp, output, low)}, {_number(exp, output, high)}]"
    )


def _level(value) -> str:
    return (
        f"{value:g}"
        if isinstance(value, float | int) and not isinstance(value, bool)
        else str(value)
    )


def _column(header: str, cells: list[str], right: bool = True) -> list[str]:
    width = max(len(header), *(len(c) for c in cells)) if cells else len(header)
    align = str.rjust if right else str.ljust
    return [align(header, width)] + [align(c, width) for c in cells]


def _blocks(fixed: list[list[str]], outputs: list[list[str]], width: int) -> list[list[list[str]]]:
    """Output columns packed into blocks no wider than ``width`` (at least one per block).

    The first block starts with every ``fixed`` column (point, parameters, runs); the others
    repeat only the first (the point).
    """
    blocks, current = [], list(fixed)
    used = sum(len(c[0]) + GAP for c in current)
    for column in outputs:
        size = len(column[0]) + GAP
        if len(current) > len(fixed) and used + size > width:
            blocks.append(current)
            current = fixed[:1]
            used = len(current[0][0]) + GAP
        if len(current) == len(fixed) and used + size > width and len(fixed) > 1:
            blocks.append(current)  # the parameters alone, when no output fits beside them
            current = fixed[:1]
            used = len(current[0][0]) + GAP
        current.append(column)
        used += size
    blocks.append(current)
    return blocks


def _render(columns: list[list[str]]) -> str:
    return "\n".join((" " * GAP).join(row).rstrip() for row in zip(*columns, strict=True))


def outputs_text(exp, table: pd.DataFrame, width: int = 80, rows: int = 30) -> str:
    """The per-point outputs ``table`` (:meth:`SweepResults.outputs`) as text ``width`` wide.

    At most ``rows`` points are shown (the first ones); the text says how many more there are.
    """
    shown = table.head(rows)
    fixed = [_column("point", [str(p) for p in shown["point"]])]
    for name in exp.design.parameters:
        fixed.append(_column(short_parameter(name), [_level(v) for v in shown[name]]))
    fixed.append(_column("runs", [str(int(r)) for r in shown["runs"]]))
    outputs = [o for o in catalogue(exp) if o.name in table.columns]
    columns = [
        _column(
            o.name,
            [
                cell(exp, o, v, lo, hi)
                for v, lo, hi in zip(
                    shown[o.name], shown[f"{o.name}{LOW}"], shown[f"{o.name}{HIGH}"], strict=True
                )
            ],
        )
        for o in outputs
    ]
    parts = [_render(block) for block in _blocks(fixed, columns, width)]
    if len(table) > rows:
        parts.append(f"... and {len(table) - rows} more points")
    level = f"{exp.analysis.confidence:.0%}"
    legend = [f"[low, high]: {level} intervals"] + [
        f"{o.name}: {o.label} ({METHODS[o.statistic]})" for o in outputs
    ]
    wrapped = [textwrap.fill(line, width, subsequent_indent="    ") for line in legend]
    return "\n\n".join(parts) + "\n\n" + "\n".join(wrapped)
