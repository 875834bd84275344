"""Constrained field types shared by the scenario schema."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from factions.calendar import parse_month


def _check_month(value: str) -> str:
    parse_month(value)
    return value


#: A calendar month, ``"YYYY-MM"``.
Month = Annotated[str, AfterValidator(_check_month), Field(examples=["1950-06"])]
#: A probability or share in [0, 1].
Probability = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
#: A finite, non-negative real number.
NonNegative = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
#: A finite real number.
Real = Annotated[float, Field(allow_inf_nan=False)]
#: An identifier: lower case letters, digits, ``_`` and ``-``.
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$", max_length=40)]
#: A duration in months.
Months = Annotated[int, Field(ge=1, le=600)]

# Sane upper limits: a typo of 10^12 cadres is refused before any memory is allocated.
MAX_CADRES_PER_FACTION = 20_000
MAX_MEMBERS = 50_000_000
MAX_SUPER_INDIVIDUALS = 20_000_000
MAX_SEATS = 5_000
MAX_FACTIONS = 20
