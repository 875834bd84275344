"""Constrained field types shared by the scenario schema."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from factions.calendar import parse_month

__all__ = [
    "MAX_CADRES_PER_FACTION",
    "MAX_COUNT",
    "MAX_FACTIONS",
    "MAX_FORCE",
    "MAX_MEMBERS",
    "MAX_SEATS",
    "MAX_SUPER_INDIVIDUALS",
    "Amount",
    "Exponent",
    "Identifier",
    "Month",
    "Months",
    "Probability",
    "Weight",
]


def _check_month(value: str) -> str:
    parse_month(value)
    return value


#: A calendar month, ``"YYYY-MM"``.
Month = Annotated[str, AfterValidator(_check_month), Field(examples=["1950-06"])]
#: A probability or share in [0, 1].
Probability = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
#: An armed force (arbitrary units) or a relative share of the membership, at most 10^6.
Amount = Annotated[float, Field(ge=0.0, le=1e6, allow_inf_nan=False)]
#: A weight or multiplier, in [0, 100].
Weight = Annotated[float, Field(ge=0.0, le=100.0, allow_inf_nan=False)]
#: An exponent, in [0, 10] (larger ones overflow a float on the model's magnitudes).
Exponent = Annotated[float, Field(ge=0.0, le=10.0, allow_inf_nan=False)]
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
#: Most armed force a faction may reach through mergers and arms transfers (see checks.py).
MAX_FORCE = 1e9
#: Most events a pattern may count.
MAX_COUNT = 1_000_000
