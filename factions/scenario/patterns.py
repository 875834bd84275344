"""Historical patterns a scenario declares it should reproduce.

Each pattern is checked run by run (pass or fail); a pattern holds for an ensemble when its pass
rate reaches ``min_pass_rate``. Patterns are calibration targets and validation checks, never
inputs: the model does not read them while it runs.

A pattern may say whether it was used to choose parameter values (``role = "calibration"``) or
kept out of that choice (``role = "held_out"``), so that held-out pass rates can be reported
apart (:mod:`factions.robustness`); patterns that say neither are "undeclared".
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from factions.scenario.types import (
    MAX_COUNT,
    MAX_MEMBERS,
    MAX_SEATS,
    Identifier,
    Month,
    Probability,
)


class _Pattern(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = ""
    source: str = ""
    min_pass_rate: Probability = Field(0.5, description="Share of runs that must pass.")
    role: Literal["calibration", "held_out"] | None = Field(
        None,
        description="Whether parameter values were tuned to this pattern ('calibration') or "
        "not ('held_out'); unset: undeclared.",
    )


class EliminatedFirst(_Pattern):
    """`faction` is the first faction eliminated (ties count for each tied faction)."""

    kind: Literal["eliminated_first"]
    faction: Identifier


class EliminationWindow(_Pattern):
    """`faction` is eliminated between `earliest` and `latest` (inclusive, whole months)."""

    kind: Literal["elimination_window"]
    faction: Identifier
    earliest: Month
    latest: Month
    historical: Month | None = Field(None, description="The historical date, shown in summaries.")


class Survives(_Pattern):
    """`faction` is still standing at the horizon."""

    kind: Literal["survives"]
    faction: Identifier


class EventCount(_Pattern):
    """Between `start` and `end`, the count of `event` events is in [`count_min`, `count_max`]."""

    kind: Literal["event_count"]
    event: str = Field(description="An event kind of the event log, e.g. 'challenge'.")
    start: Month
    end: Month
    count_min: Annotated[int, Field(ge=0, le=MAX_COUNT)] = 1
    count_max: Annotated[int, Field(ge=0, le=MAX_COUNT)] = 1


class EliminationOrder(_Pattern):
    """The factions of `order` are all eliminated, in that order (factions not listed are
    ignored; two eliminated in the same month count as in order only with `ties`)."""

    kind: Literal["elimination_order"]
    order: Annotated[list[Identifier], Field(min_length=2, max_length=MAX_COUNT)] = Field(
        description="Faction ids, first eliminated first (at least two, each once)."
    )
    ties: bool = Field(True, description="Eliminations in the same month count as in order.")

    @field_validator("order")
    @classmethod
    def _distinct(cls, order: list[str]) -> list[str]:
        repeated = sorted({f for f in order if order.count(f) > 1})
        if repeated:
            raise ValueError(f"lists {', '.join(repeated)} more than once; name each faction once")
        return order


class CongressSeats(_Pattern):
    """At the congress held in `date`'s year and month, `faction` wins `seats` ± `tolerance`."""

    kind: Literal["congress_seats"]
    date: Month
    faction: Identifier
    seats: Annotated[int, Field(ge=0, le=MAX_SEATS)]
    tolerance: Annotated[int, Field(ge=0, le=MAX_SEATS)] = 3


class Membership(_Pattern):
    """Party membership at `date` is within `tolerance` (relative) of `members`."""

    kind: Literal["membership"]
    date: Month
    members: Annotated[int, Field(ge=1, le=MAX_MEMBERS)]
    tolerance: Probability = 0.25


Pattern = Annotated[
    EliminatedFirst
    | EliminationWindow
    | EliminationOrder
    | Survives
    | EventCount
    | CongressSeats
    | Membership,
    Field(discriminator="kind"),
]
