"""The scenario schema: what a scenario file may say, with units, ranges and defaults.

Every field carries a description that ends up in the JSON Schema (``factions scenarios schema``)
and in ``docs/scenarios.md``. Mechanism parameters are documented, with their theory, in
``docs/model.md``.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from factions.calendar import parse_month
from factions.scenario.events import Event
from factions.scenario.mechanisms import Mechanisms
from factions.scenario.patterns import Pattern
from factions.scenario.types import (
    MAX_CADRES_PER_FACTION,
    MAX_FACTIONS,
    MAX_MEMBERS,
    MAX_SEATS,
    Amount,
    Identifier,
    Month,
    Probability,
    Weight,
)

__all__ = [
    "Committee",
    "Elimination",
    "Faction",
    "Leader",
    "LoyaltyDistribution",
    "Membership",
    "Network",
    "Notable",
    "Patron",
    "Scenario",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- actors


class LoyaltyDistribution(_Strict):
    """Initial loyalty to the leader of a faction's cadres: a Beta with this mean and spread."""

    mean: Probability = Field(description="Mean initial loyalty in [0, 1].")
    spread: Annotated[float, Field(ge=0.0, le=0.5, allow_inf_nan=False)] = Field(
        0.1, description="Standard deviation of initial loyalty (< 0.5)."
    )


class Notable(_Strict):
    """A named cadre: the faction's most prominent members, in order of prominence."""

    name: str = Field(min_length=1, max_length=80)
    role: str = Field("", max_length=120, description="Office or role, for the event log.")


class Faction(_Strict):
    """A faction of elite cadres."""

    label: str = Field(min_length=1, max_length=80)
    cadres: Annotated[int, Field(ge=1, le=MAX_CADRES_PER_FACTION)] = Field(
        description="Number of elite cadres modelled individually."
    )
    loyalty: LoyaltyDistribution
    military: Amount = Field(
        description="Armed force its cadres command, in arbitrary units comparable across factions."
    )
    legitimacy: Probability = Field(0.5, description="Claim to rule (record, ideology).")
    cohesion: Probability = Field(0.5, description="How strongly members follow the faction line.")
    patron: Identifier | None = Field(None, description="Foreign patron id, if any.")
    patron_affinity: Probability = Field(
        1.0, description="How closely the patron identifies with this faction."
    )
    members: Amount = Field(
        0.0, description="Relative share of the rank-and-file membership leaning to this faction."
    )
    notables: list[Notable] = Field(default_factory=list, max_length=200)
    portfolio: dict[Identifier, Probability] = Field(
        default_factory=dict,
        max_length=50,
        description=(
            "Share of each domain's offices the faction held at the start (domain -> share in "
            "[0, 1]; domains are free names such as 'war', 'economy', 'south'). A setback in a "
            "domain blames the factions holding it in proportion to their shares."
        ),
    )

    @field_validator("portfolio")
    @classmethod
    def _domains_in_order(cls, portfolio: dict[str, float]) -> dict[str, float]:
        """Domains sorted by name: their order means nothing, so it must not change the hash."""
        return dict(sorted(portfolio.items()))


class Leader(_Strict):
    """The leader: a cadre of `faction` with the power to purge and appoint."""

    faction: Identifier
    name: str = Field(min_length=1, max_length=80, description="Name of the leading notable.")
    charisma: Probability = Field(
        0.5, description="Strength of the leader's personal pull on loyalty and legitimacy."
    )


class Patron(_Strict):
    """A foreign patron (e.g. the USSR or China)."""

    label: str = Field(min_length=1, max_length=80)
    presence: Probability = Field(
        description="Initial presence (troops, advisers) in [0, 1]; events move it."
    )
    protection: Probability = Field(
        0.5, description="How far its presence shields its clients from purges."
    )
    willingness: Probability = Field(
        0.5, description="Propensity to intervene when its clients are purged."
    )
    encouragement: Probability = Field(
        0.0, description="Pull of its clients' loyalty away from the leader."
    )


# --------------------------------------------------------------------------- structures


class Network(_Strict):
    """The patronage network among cadres."""

    within_degree: Annotated[float, Field(ge=0.0, le=100.0, allow_inf_nan=False)] = Field(
        6.0, description="Mean number of ties to members of one's own faction."
    )
    across_degree: Annotated[float, Field(ge=0.0, le=100.0, allow_inf_nan=False)] = Field(
        0.5, description="Mean number of ties to members of other factions."
    )
    within_weight: Probability = 1.0
    across_weight: Probability = 0.5
    chain_weight: Probability = Field(
        1.0,
        description="Weight of the patron-client tie from each cadre up to a more prominent one.",
    )
    across_pairs: dict[str, Weight] = Field(
        default_factory=dict,
        description="Multipliers of cross-faction tie density, keyed 'a-b' (e.g. 'soviet-yanan').",
    )


class Committee(_Strict):
    """The central committee before the first congress."""

    initial_seats: Annotated[int, Field(ge=1, le=MAX_SEATS)]


class Membership(_Strict):
    """The rank-and-file membership, held as arrays of (super-)individuals."""

    initial: Annotated[int, Field(ge=0, le=MAX_MEMBERS)] = Field(
        description="Party members at the start."
    )
    capacity: Annotated[int, Field(ge=1, le=MAX_MEMBERS)] = Field(
        description="Ceiling of logistic growth (e.g. a share of the population)."
    )
    scale: Annotated[int, Field(ge=1, le=1_000_000)] = Field(
        1000, description="Members per array entry (1 = every member held individually)."
    )
    initial_loyalty: Probability = 0.5


class Elimination(_Strict):
    """When a faction stops existing as a bloc. Both conditions must hold."""

    max_active_share: Probability = Field(
        0.15, description="Active cadres at most this share of the faction's peak ..."
    )
    max_active_cadres: Annotated[int, Field(ge=0, le=MAX_CADRES_PER_FACTION)] = Field(
        2, description="... or at most this many, whichever is larger."
    )
    max_seats: Annotated[int, Field(ge=0, le=MAX_SEATS)] = Field(
        1, description="Central-committee seats at most this many."
    )


# --------------------------------------------------------------------------- the scenario


class Scenario(_Strict):
    """A fully resolved scenario (after ``extends`` and overrides)."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="factions scenario")

    name: Identifier
    title: str = Field("", max_length=200)
    description: str = ""
    sources: list[str] = Field(default_factory=list)
    extends: str | None = Field(
        None, description="Name or relative path of a scenario this one modifies (deep merge)."
    )
    start: Month = Field(description="First simulated month, 'YYYY-MM'.")
    end: Month = Field(description="Last simulated month (the horizon), 'YYYY-MM'.")
    factions: Annotated[dict[Identifier, Faction], Field(min_length=2, max_length=MAX_FACTIONS)]
    leader: Leader
    patrons: dict[Identifier, Patron] = Field(default_factory=dict)
    network: Network = Network()
    committee: Committee
    membership: Membership
    mechanisms: Mechanisms = Mechanisms()
    events: dict[Identifier, Event] = Field(default_factory=dict)
    elimination: Elimination = Elimination()
    patterns: list[Pattern] = Field(default_factory=list)

    # Derived quantities. The model is frozen, so caching is safe.

    @cached_property
    def start_month(self) -> int:
        return parse_month(self.start)

    @cached_property
    def end_month(self) -> int:
        return parse_month(self.end)

    @property
    def n_months(self) -> int:
        """Number of monthly steps, both ends included."""
        return self.end_month - self.start_month + 1

    @property
    def faction_ids(self) -> list[str]:
        """The declared factions, then those born of a ``split`` event (in the order of the
        enabled events): every faction the model has a slot for."""
        return list(self.factions) + list(self.split_factions)

    @cached_property
    def split_factions(self) -> dict[str, Faction]:
        """Each faction born of an enabled ``split`` -> its table: the table of the faction it
        splits from, under its own id as label, with no members' share nor offices (they come
        with the split). Factions of unknown parents are left out (the checks report them)."""
        born: dict[str, Faction] = {}
        for _, event in self.active_events():
            if event.kind != "split" or event.new_faction in self.factions:
                continue
            parent = self.factions.get(event.faction) or born.get(event.faction)
            if parent is not None:
                born[event.new_faction] = parent.model_copy(
                    update={"label": event.new_faction, "members": 0.0, "portfolio": {}}
                )
        return born

    def faction_table(self, fid: str) -> Faction:
        """The table of faction ``fid``: declared, or that of a faction born of a split."""
        return self.factions[fid] if fid in self.factions else self.split_factions[fid]

    def active_events(self) -> list[tuple[str, Event]]:
        """Enabled events sorted by date, then by key (a stable, documented order)."""
        items = [(key, ev) for key, ev in self.events.items() if ev.enabled]
        return sorted(items, key=lambda item: (parse_month(item[1].date), item[0]))

    @cached_property
    def hash(self) -> str:
        """Stable content hash of the resolved scenario (see :func:`scenario_hash`)."""
        from factions.scenario.load import scenario_hash

        return scenario_hash(self)
