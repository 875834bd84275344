"""Months as integers: the model's clock.

A date ``"YYYY-MM"`` maps to the month index ``year * 12 + month - 1``; a step of the model is one
month. Keeping time as integers makes every comparison exact and every table joinable.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = ["format_month", "month_index", "month_timestamps", "parse_month"]

_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str) -> int:
    """Return the month index of ``"YYYY-MM"``; raise ``ValueError`` with the accepted form."""
    match = _PATTERN.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"expected a month as 'YYYY-MM' (e.g. '1950-06'), got {text!r}")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 01..12, got {text!r}")
    if not 1000 <= year <= 2999:
        raise ValueError(f"year must be between 1000 and 2999, got {text!r}")
    return year * 12 + month - 1


def format_month(index: int) -> str:
    """Inverse of :func:`parse_month`."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


#: The month index of January 1970, where numpy's ``datetime64[M]`` counts from.
_EPOCH_MONTH = 1970 * 12


def month_timestamps(indices: np.ndarray) -> pd.DatetimeIndex:
    """First day of each month index, as pandas timestamps (vectorised, in numpy's month unit)."""
    months = np.asarray(indices, dtype=np.int64) - _EPOCH_MONTH
    return pd.DatetimeIndex(months.astype("datetime64[M]").astype("datetime64[ns]"))


def month_index(dates: pd.Series) -> pd.Series:
    """Month index (``year * 12 + month - 1``) of each timestamp; NaT stays missing (``<NA>``).

    The inverse of :func:`month_timestamps` for the date columns of the results tables.
    """
    return (dates.dt.year * 12 + dates.dt.month - 1).astype("Int64")
