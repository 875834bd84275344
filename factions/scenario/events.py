"""The registry of exogenous event kinds.

History enters the model only through these dated events: a war, a setback to blame on someone, a
patron's troops arriving or leaving, a patron's change of policy, an ideological shock, the
leader's absence or departure, a merger of parties, a faction's entry or split, a transfer of
arms, a congress, an expulsion of members, a dated change of the mechanisms' values (``set``).
None of them says who is purged: that is the model's business. Each kind is a pydantic model;
the ``kind`` field selects it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from factions.scenario.types import (
    MAX_CADRES_PER_FACTION,
    MAX_MEMBERS,
    MAX_SEATS,
    Amount,
    Identifier,
    Month,
    Months,
    Probability,
)

__all__ = [
    "EVENT_KINDS",
    "EVENT_LOG_KINDS",
    "LABEL_LENGTH",
    "MODEL_LOG_KINDS",
    "ArmsTransfer",
    "ArmyPartyCommittees",
    "Congress",
    "Event",
    "Expulsion",
    "FactionEntry",
    "IdeologicalShock",
    "LeaderAbsence",
    "LeaderChange",
    "Merger",
    "PatronPolicy",
    "PatronPresence",
    "SetValues",
    "Setback",
    "Split",
    "War",
]

#: Longest event label: it is printed on figures, above the span of the event.
LABEL_LENGTH = 40


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: Month = Field(description="Month the event happens, 'YYYY-MM'.")
    enabled: bool = Field(True, description="Set false to remove the event (counterfactuals).")
    label: str = Field(
        "",
        max_length=LABEL_LENGTH,
        description="A short name for figures (the timeline labels wars by it); "
        "empty: the event's kind.",
    )
    note: str = Field("", description="What happened, in words, for the event log.")
    source: str = Field("", description="Where the date and magnitude come from.")


class War(_Event):
    """A war from `date` to `end`: failures to blame are in the air while it lasts."""

    kind: Literal["war"]
    end: Month = Field(description="Month the war ends (armistice).")
    pretext: Probability = Field(0.3, description="Pretext level for purges while the war lasts.")


class Setback(_Event):
    """A failure someone can be blamed for (a military reverse, an economic crisis)."""

    kind: Literal["setback"]
    magnitude: Probability = Field(description="Pretext it gives to a purge, decaying afterwards.")
    domain: Identifier | None = Field(
        None,
        description=(
            "Domain of offices it happened in (e.g. 'war'); the blame falls on the factions "
            "holding that domain's offices (their `portfolio`), in proportion to their shares. "
            "Omitted: a general pretext against every target."
        ),
    )


class PatronPresence(_Event):
    """A patron's troops or advisers arrive or leave: presence moves linearly to `level`."""

    kind: Literal["patron_presence"]
    patron: Identifier
    level: Probability = Field(description="Presence reached at the end of the ramp.")
    over_months: Months = Field(1, description="Length of the linear ramp.")


class PatronPolicy(_Event):
    """A patron changes course (its leader dies, it turns on its clients or backs them)."""

    kind: Literal["patron_policy"]
    patron: Identifier
    protection: Probability | None = None
    willingness: Probability | None = None
    encouragement: Probability | None = None


class IdeologicalShock(_Event):
    """A shock to the leader's legitimacy from a line abroad (e.g. de-Stalinization): it reaches
    each faction by its tie to the line's origin, never by a list of targets."""

    kind: Literal["ideological_shock"]
    origin: Identifier | None = Field(
        None,
        description=(
            "Patron whose line it is: reaches that patron's clients by their `patron_affinity`. "
            "Omitted: a shock to the whole movement, reaching every faction tied to a foreign "
            "patron by its affinity (a faction without a patron is not reached)."
        ),
    )
    magnitude: Probability = Field(
        description="Share of loyalty lost by the cadres of a faction with reach 1."
    )
    opening_months: Annotated[int, Field(ge=0, le=120)] = Field(
        6, description="Months during which a reached faction has an opening (level = reach)."
    )

    @model_validator(mode="before")
    @classmethod
    def _no_target_list(cls, data: Any) -> Any:
        if isinstance(data, dict) and "factions" in data:
            raise ValueError(
                "`factions` was removed: a shock may not name the factions it hits. Declare "
                "`origin` (a patron id) for a patron's line, or omit it for a shock to the "
                "whole movement; its reach follows from each faction's patron ties"
            )
        return data


class LeaderAbsence(_Event):
    """The leader is abroad: purges pause, and rivals have an opening."""

    kind: Literal["leader_absence"]
    months: Months


class LeaderChange(_Event):
    """The leader leaves for good (death, incapacity, resignation) and a successor takes over.

    The successor is the most prominent cadre in office of the successor faction (the named
    cadre when `successor` is a notable's name). Without `successor` the model picks the
    strongest faction (by power) of the ruling coalition, or the strongest standing faction
    when no coalition stands; so it does when the faction named has no cadre left in office.
    """

    kind: Literal["leader_change"]
    reason: Literal["death", "incapacity", "resignation"] = Field(
        description="Why the leader leaves: 'death', 'incapacity' or 'resignation'."
    )
    successor: str | None = Field(
        None,
        min_length=1,
        max_length=80,
        description=(
            "A faction id (its most prominent cadre in office succeeds) or a notable's name "
            "(that cadre succeeds, leading its faction). Omitted: the strongest faction of the "
            "ruling coalition provides the successor."
        ),
    )


class FactionEntry(_Event):
    """A faction declared in `[factions]` enters the party at `date` with its table's values
    (cadres, loyalty, military, members' share); until then it has no cadres, members, seats or
    power and is not standing."""

    kind: Literal["faction_entry"]
    faction: Identifier = Field(description="Id of the faction (declared in [factions]).")
    cadres: Annotated[int, Field(ge=1, le=MAX_CADRES_PER_FACTION)] | None = Field(
        None, description="Cadres entering; omitted: the faction's `cadres`."
    )


class Split(_Event):
    """A faction divides in two at `date`: a share of its cadres in office, with the same share
    of its seats, armed force, members and offices (`portfolio`), forms `new_faction`.

    With ``when = "cohesion"`` the split is endogenous: `date` is the earliest month it may
    happen; from then on it happens with a monthly hazard that rises as the loyalties of the
    faction's cadres in office drift apart, and the least loyal leave
    (:mod:`factions.mechanisms.split`, switched by ``[mechanisms.split]``). It may never happen.

    The new faction is not declared in `[factions]`: the scenario allocates it from the start
    (:attr:`~factions.scenario.schema.Scenario.faction_ids` lists it after the declared ones),
    with the table of the faction it splits from and no cadres, not standing until the split.
    The model's per-faction arrays are sized once, when the model is built, so a faction that
    appears at a date needs its slot from the start; declaring it implicitly here keeps every
    table of the results (one row per faction) the same shape in every month and run.
    """

    kind: Literal["split"]
    faction: Identifier = Field(description="Id of the faction that divides.")
    new_faction: Identifier = Field(
        description="Id of the faction it gives birth to (not declared in [factions])."
    )
    share: Annotated[float, Field(gt=0.0, lt=1.0, allow_inf_nan=False)] = Field(
        description="Share of the faction's cadres in office (and seats, force, members) moved."
    )
    loyalty: Probability | None = Field(
        None,
        description="Mean loyalty of the new faction's cadres after the split; omitted: their own.",
    )
    when: Literal["date", "cohesion"] = Field(
        "date",
        description="'date': the split happens at `date`, its movers drawn at random. "
        "'cohesion': `date` is the earliest month; from then on it happens with the monthly "
        "hazard of [mechanisms.split] (which must be enabled), rising with the spread of loyalty "
        "among the faction's cadres in office, and the least loyal leave; it may never happen.",
    )


class Merger(_Event):
    """Another party (or a returning group) joins a faction: cadres, members and seats."""

    kind: Literal["merger"]
    faction: Identifier
    cadres: Annotated[int, Field(ge=0, le=MAX_CADRES_PER_FACTION)] = 0
    members: Annotated[int, Field(ge=0, le=MAX_MEMBERS)] = 0
    seats: Annotated[int, Field(ge=0, le=MAX_SEATS)] = Field(
        0, description="Central-committee seats added for the newcomers."
    )
    military: Amount = 0.0
    loyalty: Probability = Field(0.3, description="Mean loyalty of the newcomers.")


class ArmsTransfer(_Event):
    """A faction's armed force changes by `fraction` of itself (−0.9: disarmed; +1: doubled)."""

    kind: Literal["arms_transfer"]
    faction: Identifier
    fraction: Annotated[float, Field(ge=-1.0, le=100.0, allow_inf_nan=False)]


class Congress(_Event):
    """A party congress: the central committee is re-elected with `seats` full members."""

    kind: Literal["congress"]
    seats: Annotated[int, Field(ge=1, le=MAX_SEATS)] = Field(description="Full members elected.")


class ArmyPartyCommittees(_Event):
    """Party committees are set up inside the army: the leader's control of force rises faster."""

    kind: Literal["army_party_committees"]
    rate: Probability = Field(description="Monthly share of remaining force brought under control.")


class Expulsion(_Event):
    """A dated purge of the membership: `share` of the members leaning to `faction` (of the whole
    party when `faction` is omitted) are expelled, the least loyal first."""

    kind: Literal["expulsion"]
    faction: Identifier | None = Field(None, description="Faction id; omitted: the whole party.")
    share: Annotated[float, Field(gt=0.0, le=1.0, allow_inf_nan=False)] = Field(
        description="Share of the members concerned expelled, on average."
    )


#: A value of a ``set`` event: finite and bounded here; its own range is checked by the schema of
#: the mechanism value it replaces.
DatedNumber = Annotated[float, Field(ge=-1e6, le=1e6, allow_inf_nan=False)]


class SetValues(_Event):
    """From `date` on, each mechanism value in `values` takes its new value (a purge pace or an
    execution rate that differs by era): the dotted path of the value, quoted, as with `--set`."""

    kind: Literal["set"]
    values: dict[str, bool | DatedNumber | str] = Field(
        min_length=1,
        description="Dotted path 'mechanisms.<section>.<name>' (quoted) -> new value.",
    )

    @field_validator("values")
    @classmethod
    def _mechanism_paths(cls, values: dict[str, Any]) -> dict[str, Any]:
        for path in values:
            parts = path.split(".")
            if len(parts) != 3 or parts[0] != "mechanisms":
                raise ValueError(
                    f"{path!r}: a dated change sets a mechanism value, "
                    "'mechanisms.<section>.<name>' (a patron's policy changes with a "
                    "patron_policy event, its presence with patron_presence)"
                )
            if parts[2] == "enabled":
                raise ValueError(
                    f"{path!r}: a mechanism is switched on or off for the whole run "
                    "(in [mechanisms] or with --set), not at a date"
                )
        return values


Event = Annotated[
    War
    | Setback
    | PatronPresence
    | PatronPolicy
    | IdeologicalShock
    | LeaderAbsence
    | Merger
    | ArmsTransfer
    | Congress
    | ArmyPartyCommittees
    | Expulsion
    | SetValues
    | LeaderChange
    | FactionEntry
    | Split,
    Field(discriminator="kind"),
]

#: kind name -> event model, for documentation and for tools.
EVENT_KINDS: dict[str, type[_Event]] = {
    cls.model_fields["kind"].annotation.__args__[0]: cls  # type: ignore[union-attr]
    for cls in (
        War,
        Setback,
        PatronPresence,
        PatronPolicy,
        IdeologicalShock,
        LeaderAbsence,
        Merger,
        ArmsTransfer,
        Congress,
        ArmyPartyCommittees,
        Expulsion,
        SetValues,
        LeaderChange,
        FactionEntry,
        Split,
    )
}

#: Kinds the model itself writes to the event log (``factions/mechanisms/``), besides the kinds
#: of the events above (logged when they happen). A mechanism logging a new kind adds it here.
MODEL_LOG_KINDS = frozenset(
    {
        "arrest",
        "camp_purge",
        "challenge",
        "challenge_failed",
        "challenge_success",
        "coalition",
        "cooptation",
        "demotion",
        "elimination",
        "execution",
        "exile",
        "expulsion_wave",
        "flight",
        "intervention",
        "purge_campaign",
        "rehabilitation",
        "show_trial",
    }
)
#: Every kind a row of the event log may have: what an ``event_count`` pattern may count.
EVENT_LOG_KINDS = frozenset(EVENT_KINDS) | MODEL_LOG_KINDS
