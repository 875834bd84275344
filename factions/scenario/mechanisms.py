"""Parameters of each mechanism. Each has ``enabled`` so it can be switched off for ablation.

The rules themselves live in ``factions/mechanisms/``; ``docs/model.md`` gives each parameter's
unit, range, default and the theory it comes from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from factions.scenario.types import Exponent, Months, Probability, Weight

__all__ = [
    "ChallengeParams",
    "CoalitionParams",
    "CongressParams",
    "CooptationParams",
    "InnerPurgeParams",
    "LoyaltyParams",
    "Mechanisms",
    "PatronParams",
    "PowerParams",
    "PurgeParams",
    "RankAndFileParams",
    "Rate",
    "RecruitmentParams",
    "RehabilitationParams",
    "SplitParams",
    "ThreatParams",
]

Rate = Probability  # a monthly rate or probability


class _Mechanism(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True


class LoyaltyParams(_Mechanism):
    """Monthly loyalty dynamics of cadres and members."""

    charisma_pull: Rate = Field(
        0.01, description="Pull toward 1, times charisma and the leader faction's legitimacy."
    )
    indoctrination: Rate = Field(0.004, description="Pull toward 1 from study groups and the cult.")
    faction_pull: Rate = Field(0.05, description="Pull toward the faction mean, times cohesion.")
    network_pull: Rate = Field(0.05, description="Pull toward the mean of one's ties.")
    fear: Probability = Field(0.3, description="Loyalty lost when all of one's ties are purged.")
    noise: Annotated[float, Field(ge=0.0, le=0.5, allow_inf_nan=False)] = Field(
        0.01, description="Standard deviation of monthly idiosyncratic change."
    )


class PowerParams(_Mechanism):
    """Faction power: a weighted sum of shares (the gamma of Acemoglu, Egorov & Sonin 2008)."""

    military_weight: Weight = 0.35
    seats_weight: Weight = 0.25
    patron_weight: Weight = 0.2
    legitimacy_weight: Weight = 0.1
    members_weight: Weight = 0.1
    legitimacy_growth: Rate = Field(
        0.01, description="Monthly growth of the leader faction's legitimacy, times charisma."
    )
    transfer_offices: bool = Field(
        True,
        description="Purged cadres' force and seats pass to loyalists; false: they lapse "
        "(powers stay as they were, as in the pure-AES game).",
    )


class CoalitionParams(_Mechanism):
    """The ruling coalition (Acemoglu, Egorov & Sonin 2008)."""

    alpha: Annotated[float, Field(ge=0.5, lt=1.0, allow_inf_nan=False)] = Field(
        0.5, description="Share of power a coalition needs to win."
    )
    interval: Months = Field(6, description="Months between decision points.")
    leader_constrained: bool = Field(
        True, description="Only coalitions containing the leader's faction are considered."
    )
    preempt: bool = Field(
        True,
        description="When no self-enforcing coalition contains the leader's faction, the leader "
        "strikes at the strongest faction of the unconstrained ruling coalition (false: "
        "everyone rules together and nobody is a target).",
    )


class PurgeParams(_Mechanism):
    """Elite purges: launch (Svolik 2012), spread along ties, trials and sentences."""

    launch_rate: Rate = Field(0.2, description="Monthly hazard of a campaign against a target.")
    pretext_half_life: Months = Field(6, description="Half-life of a setback's pretext.")
    established_share: Probability = Field(
        0.6, description="Leader's faction power share above which no pretext is needed (Svolik)."
    )
    established_width: Annotated[float, Field(gt=0.0, le=0.5, allow_inf_nan=False)] = 0.05
    campaign_months: Months = Field(9, description="Mean length of a campaign.")
    spread: Rate = Field(0.15, description="Monthly arrest probability per arrested tie.")
    direct_arrest: Rate = Field(0.04, description="Monthly arrest probability in a campaign.")
    trial_delay: Months = Field(4, description="Mean months from arrest to sentence.")
    execution: Probability = Field(0.3, description="Share of sentences that are death.")
    exile: Probability = Field(0.3, description="Share sent to the patron's country, if any.")
    collateral: Probability = Field(
        0.2, description="Spread to ties in non-target factions, relative to `spread`."
    )
    suspicion: Probability = Field(
        1.0,
        description="Weight of a target's disloyalty in its launch hazard (0: loyalty ignored).",
    )
    suspect_loyalty: Annotated[float, Field(gt=0.0, lt=1.0, allow_inf_nan=False)] = Field(
        0.5, description="Mean loyalty at or below which a target is fully suspect."
    )
    leader_exempt: bool = Field(
        True,
        description="The leader and the leader's faction are never purged; false: every faction "
        "outside the ruling coalition is a target, the leader's too (the pure-AES game).",
    )


class RankAndFileParams(_Mechanism):
    """Rank-and-file purge waves that follow an elite campaign."""

    wave_share: Probability = Field(
        0.12,
        description="Mean share of the target's members expelled when a campaign starts "
        "(the less loyal more likely).",
    )


class ChallengeParams(_Mechanism):
    """Challenges to the leader: opening, coalition, contest (Tullock 1980)."""

    rate: Rate = Field(
        0.25,
        description="Monthly hazard in a full opening, times the faction's threat, its "
        "disloyalty (1 - mean loyalty) and its odds to the power ``capacity``.",
    )
    loyalty_threshold: Probability = Field(0.5, description="Only less loyal factions challenge.")
    decisiveness: Annotated[float, Field(gt=0.0, le=20.0, allow_inf_nan=False)] = Field(
        3.0, description="Exponent r of the contest success function."
    )
    ally_tie_threshold: Weight = Field(
        0.1, description="Cross-tie weight per member of the smaller faction needed to ally."
    )
    flight: Probability = Field(0.2, description="Share of challengers who flee after failure.")
    exposure: Weight = Field(4.0, description="Multiplier of purge hazard after failure.")
    exposure_months: Months = 24
    spontaneous: Probability = Field(
        0.05, description="Opening level outside any opening event (a share of a full opening)."
    )
    capacity: Annotated[float, Field(ge=0.0, le=4.0, allow_inf_nan=False)] = Field(
        0.5,
        description="Exponent on the faction's own contest odds against the leader's camp "
        "(0: the odds do not matter).",
    )


class ThreatParams(_Mechanism):
    """How threatened a faction is: drives challenges and co-optation (Svolik 2012, ch. 3).

    Disabled: a faction is fully threatened while it is a purge target, else not at all.
    """

    target: Probability = Field(0.6, description="Threat from being a purge target or enemy.")
    arrests: Annotated[float, Field(ge=0.0, le=100.0, allow_inf_nan=False)] = Field(
        3.0, description="Threat per share of the faction's cadres arrested in the last year."
    )
    decline: Probability = Field(
        1.0, description="Weight of the fall of the faction's power share from its peak."
    )


class InnerPurgeParams(_Mechanism):
    """Purges inside the ruling camp: the leader turns on his own lieutenants (Svolik 2012,
    ch. 3). Off by default; it uses the purge mechanism's trials and campaign length."""

    enabled: bool = False
    rate: Rate = Field(
        0.05,
        description="Monthly hazard of turning on the most menacing lieutenant, times the "
        "leader's establishment and that lieutenant's menace.",
    )
    rivalry: Annotated[float, Field(gt=0.0, le=10.0, allow_inf_nan=False)] = Field(
        0.5,
        description="A lieutenant whose following reaches this share of the leader's own is a "
        "full rival (following: the weight of his ties to cadres in office).",
    )
    direct_arrest: Probability = Field(
        0.0,
        description="Monthly arrest probability of every cadre of the leader's faction during "
        "an inner purge (0: only the lieutenant and, by association, his ties; above 0: a terror "
        "that reaches the whole camp).",
    )


class SplitParams(_Mechanism):
    """Splits of factions whose cohesion collapses: the rule behind a ``split`` event with
    ``when = "cohesion"`` (degenerative factionalism, Boucek 2009). Off by default; dated splits
    do not depend on it."""

    enabled: bool = False
    rate: Rate = Field(
        0.1,
        description="Monthly hazard of a cohesion-triggered split at full collapse, times "
        "(1 - the faction's cohesion) and its collapse (the spread of its cadres' loyalty above "
        "`spread_floor`, as a share of the way to 0.5).",
    )
    spread_floor: Annotated[float, Field(ge=0.0, lt=0.5, allow_inf_nan=False)] = Field(
        0.15,
        description="Standard deviation of loyalty among the faction's cadres in office at or "
        "below which it does not split.",
    )


class PatronParams(_Mechanism):
    """Patron protection and intervention on behalf of clients."""

    intervention_rate: Rate = Field(
        0.5, description="Monthly hazard, times willingness, presence and the client's affinity."
    )
    halt_months: Months = Field(12, description="Months a halted campaign stays halted.")
    restore_share: Probability = Field(0.3, description="Share of the client's purged restored.")
    cooldown: Months = Field(36, description="Months before the patron intervenes again.")


class RehabilitationParams(_Mechanism):
    """Purged (not executed) cadres returning to office."""

    rate: Rate = Field(0.003, description="Monthly probability for a demoted or exiled cadre.")
    loyalty: Probability = Field(0.7, description="Loyalty on return.")


class CooptationParams(_Mechanism):
    """Cadres of rival factions switching to the leader's camp."""

    rate: Rate = Field(0.01, description="Monthly probability, times loyalty above the threshold.")
    threshold: Probability = Field(0.6, description="Loyalty above which a cadre may switch.")
    bandwagon: Probability = Field(
        0.5,
        description="Share of the switching probability that depends on the faction's threat "
        "(0: threat ignored; 1: cadres of an unthreatened faction never switch).",
    )


class CongressParams(_Mechanism):
    """Congresses re-elect the central committee by power and loyalty."""

    power_weight: Exponent = Field(1.0, description="Exponent on the faction's power share.")
    loyalty_weight: Exponent = Field(1.0, description="Exponent on the cadre's loyalty.")
    prominence_weight: Exponent = Field(1.0, description="Exponent on prominence.")
    size_weight: Exponent = Field(
        1.0, description="Exponent on faction size in cadres (1 = proportional)."
    )


class RecruitmentParams(_Mechanism):
    """Mass-party growth, recruitment of loyalists, and the party inside the army."""

    growth_rate: Rate = Field(0.05, description="Logistic growth rate of membership, per month.")
    leader_share: Probability = Field(0.5, description="Share of recruits leaning to the leader.")
    army_control: Rate = Field(
        0.004, description="Monthly share of others' force brought under the leader's control."
    )


class Mechanisms(BaseModel):
    """All mechanisms, each switchable for ablation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    loyalty: LoyaltyParams = LoyaltyParams()
    power: PowerParams = PowerParams()
    coalition: CoalitionParams = CoalitionParams()
    purge: PurgeParams = PurgeParams()
    inner_purge: InnerPurgeParams = InnerPurgeParams()
    split: SplitParams = SplitParams()
    rank_and_file: RankAndFileParams = RankAndFileParams()
    challenge: ChallengeParams = ChallengeParams()
    threat: ThreatParams = ThreatParams()
    patrons: PatronParams = PatronParams()
    rehabilitation: RehabilitationParams = RehabilitationParams()
    cooptation: CooptationParams = CooptationParams()
    congress: CongressParams = CongressParams()
    recruitment: RecruitmentParams = RecruitmentParams()


def revise(mechanisms: Mechanisms, values: Mapping[str, Any]) -> Mechanisms:
    """``mechanisms`` with each value of ``values`` ('mechanisms.<section>.<name>' -> value, as
    in a ``set`` event) replaced, validated like a scenario's; raises pydantic's
    ``ValidationError`` (locations ``(section, name)``) on an unknown name or a bad value."""
    document = mechanisms.model_dump()
    for path, value in values.items():
        _, section, name = path.split(".")
        document.setdefault(section, {})[name] = value
    return Mechanisms.model_validate(document)
