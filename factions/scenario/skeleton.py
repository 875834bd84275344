"""A commented skeleton scenario, for ``factions scenarios new``.

The skeleton is a valid scenario as written (``factions scenarios check`` accepts it): every
required value is filled with a placeholder, every optional section and field is shown as a
comment with its default, and each number says where a real value should come from. The
mechanism parameters are written from the schema, so that their defaults and descriptions never
drift from the code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel

from factions.errors import ScenarioError
from factions.scenario.mechanisms import Mechanisms
from factions.scenario.render import to_toml
from factions.scenario.schema import Elimination, Network
from factions.scenario.types import MAX_FACTIONS

__all__ = [
    "DEFAULT_FACTIONS",
    "IDENTIFIER",
    "SUFFIX",
    "check_factions",
    "check_identifier",
    "skeleton",
    "skeleton_path",
    "write_skeleton",
]

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
DEFAULT_FACTIONS = ("leaders", "rivals", "outsiders")
SUFFIX = ".toml"


def check_identifier(text: str, what: str) -> str:
    """Return ``text`` if it is a valid scenario identifier, else raise ScenarioError."""
    if not IDENTIFIER.match(text):
        raise ScenarioError(
            f"{what} {text!r} is not a valid identifier: use lower-case letters, digits, '-' "
            "and '_', starting with a letter (at most 40 characters), e.g. 'my-regime'"
        )
    return text


def check_factions(factions: Sequence[str]) -> list[str]:
    """Faction ids for the skeleton: valid, distinct, between 2 and ``MAX_FACTIONS``."""
    ids = [check_identifier(f, "faction id") for f in factions]
    if len(set(ids)) != len(ids):
        raise ScenarioError(f"faction ids must be distinct, got {', '.join(ids)}")
    if not 2 <= len(ids) <= MAX_FACTIONS:
        raise ScenarioError(f"a scenario has 2 to {MAX_FACTIONS} factions, got {len(ids)}")
    return ids


def _field_lines(model: BaseModel, indent: str = "# ") -> list[str]:
    """Every field of ``model`` as a commented ``key = default  # description`` line."""
    lines = []
    for key, info in type(model).model_fields.items():
        assignment = to_toml({key: getattr(model, key)}).strip()
        note = f"  # {info.description}" if info.description else ""
        lines.append(f"{indent}{assignment}{note}")
    return lines


def _mechanism_lines() -> list[str]:
    """Every mechanism's parameters, commented out, with defaults and descriptions."""
    lines = []
    for name in Mechanisms.model_fields:
        params = getattr(Mechanisms(), name)
        doc = (type(params).__doc__ or "").strip().splitlines()[0]
        lines += ["", f"# [mechanisms.{name}]  # {doc}", *_field_lines(params)]
    return lines


def _faction_block(fid: str, position: int, patron: str) -> list[str]:
    leading = position == 0
    patron_line = f'patron = "{patron}"' if position == 1 else f'# patron = "{patron}"'
    return [
        "",
        f"[factions.{fid}]",
        f'label = "{fid.replace("-", " ").replace("_", " ").title()}"',
        "cadres = 50          # elite cadres modelled: the faction's leading cadres, scaled "
        "(sources: cadre lists, central-committee rosters)",
        "military = 0.5       # armed force its cadres command; only ratios between factions "
        "matter (sources: troop strengths)",
        f"loyalty = {{ mean = {0.8 if leading else 0.5}, spread = 0.1 }}  # initial loyalty to "
        "the leader (judgement from memoirs, defections; calibrate)",
        "# legitimacy = 0.5   # claim to rule: revolutionary record, ideology (judgement)",
        "# cohesion = 0.5     # how strongly members follow the faction line (judgement)",
        patron_line + "  # a foreign patron id declared under [patrons]",
        "# patron_affinity = 1.0  # how closely the patron identifies with this faction",
        "# members = 0.0      # relative share of the rank and file leaning to this faction",
        "notables = ["
        + (
            '{ name = "The Leader", role = "first secretary" }'
            if leading
            else f'{{ name = "A {fid} leader", role = "" }}'
        )
        + "]  # named cadres, most prominent first",
    ]


def skeleton(name: str, factions: Sequence[str] = DEFAULT_FACTIONS) -> str:
    """The TOML text of a skeleton scenario called ``name`` with these factions.

    Parameters
    ----------
    name : str
        The scenario's identifier (lower-case letters, digits, ``-`` and ``_``).
    factions : sequence of str
        Faction ids, 2 to 20; the first is the leader's.

    Returns
    -------
    str
        A scenario file that validates as written.

    Raises
    ------
    ScenarioError
        An invalid name or faction id, duplicate ids, or too few or too many factions.
    """
    check_identifier(name, "scenario name")
    ids = check_factions(factions)
    patron = "patron"
    lines = [
        f"# {name}: a scenario skeleton written by `factions scenarios new`.",
        "#",
        "# Every value below is a placeholder that validates: replace it with a number from your",
        "# sources and say in a comment where it comes from (docs/scenarios.md describes each",
        "# field, docs/model.md each mechanism). Commented lines show optional fields with their",
        "# defaults. Check the file with `factions scenarios check FILE`.",
        "",
        f'name = "{name}"',
        'title = "One line: the regime, the years, the question"',
        'description = """',
        "What the scenario is about and what it should reproduce.",
        '"""',
        'sources = ["Author (year). Title."]  # the references every number below cites',
        'start = "1950-01"  # first simulated month: the moment the struggle begins',
        'end = "1959-12"    # last simulated month (the horizon)',
        '# extends = "other-scenario"  # modify another scenario instead (deep merge)',
        "",
        "[leader]",
        f'faction = "{ids[0]}"',
        'name = "The Leader"  # must be one of the notables of the leader\'s faction',
        "# charisma = 0.5     # personal pull on loyalty and legitimacy (judgement; calibrate)",
        "",
        "# --------------------------------------------------------------------------- factions",
        "# Cadre numbers and force: their ratios matter, from rosters and troop strengths.",
    ]
    for position, fid in enumerate(ids):
        lines += _faction_block(fid, position, patron)
    lines += [
        "",
        "# --------------------------------------------------------------------------- patrons",
        f"[patrons.{patron}]",
        'label = "A foreign patron"',
        "presence = 0.5        # troops and advisers present at the start, 0..1 (sources: "
        "troop counts)",
        "# protection = 0.5    # how far its presence shields its clients from purges",
        "# willingness = 0.5   # propensity to intervene when its clients are purged",
        "# encouragement = 0.0 # pull of its clients' loyalty away from the leader",
        "",
        "# --------------------------------------------------------------------------- network",
        "# [network]  # the patronage network (defaults shown)",
        *_field_lines(Network()),
        "",
        "# ------------------------------------------------------------------- party structure",
        "[committee]",
        "initial_seats = 20    # central committee before the first congress (its roster)",
        "",
        "[membership]",
        "initial = 100_000     # party members at the start (party statistics)",
        "capacity = 500_000    # ceiling of growth, e.g. a share of the population (census)",
        "# scale = 1000        # members per array entry",
        "# initial_loyalty = 0.5",
        "",
        "# ------------------------------------------------------------------------ mechanisms",
        "# Every mechanism's parameters with their defaults; uncomment and set what your",
        "# sources support, calibrate the rest (`factions calibrate`).",
        *_mechanism_lines(),
        "",
        "# ------------------------------------------------------------------------ elimination",
        "# [elimination]  # when a faction counts as eliminated (defaults shown)",
        *_field_lines(Elimination()),
        "",
        "# ---------------------------------------------------------------------------- events",
        "# Dated exogenous history, keyed by a name of your choice; the date and magnitude of",
        "# each from your sources. Kinds: war, setback, patron_presence, patron_policy,",
        "# ideological_shock, leader_absence, merger, arms_transfer, congress,",
        "# army_party_committees (docs/scenarios.md, 'Events').",
        "",
        "# [events.first_congress]",
        '# kind = "congress"',
        '# date = "1952-06"',
        "# seats = 30                 # full members elected (congress records)",
        '# source = "where the date and size come from"',
        "",
        "# [events.patron_leaves]",
        '# kind = "patron_presence"',
        f'# patron = "{patron}"',
        '# date = "1955-01"',
        "# level = 0.1                # presence after the withdrawal",
        "# over_months = 12",
        "",
        "# --------------------------------------------------------------------------- patterns",
        "# What the scenario should reproduce, judged over many replicates",
        "# (docs/scenarios.md, 'Patterns'; `factions validate`).",
        "",
        "# [[patterns]]",
        '# kind = "survives"',
        f'# faction = "{ids[0]}"',
        "# min_pass_rate = 0.5",
        "",
    ]
    return "\n".join(lines)


def skeleton_path(name: str) -> Path:
    """The file for ``NAME``: ``NAME.toml`` in the current folder, or ``NAME`` if it ends so."""
    return Path(name if name.endswith(SUFFIX) else f"{name}{SUFFIX}")


def write_skeleton(name: str, factions: Sequence[str] = DEFAULT_FACTIONS) -> Path:
    """Write the skeleton for ``name`` (a name or a ``.toml`` path); never overwrite a file.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ScenarioError
        The file exists, its folder does not, or the name or factions are invalid.
    """
    path = skeleton_path(name)
    text = skeleton(path.stem, factions)
    try:
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise ScenarioError(f"{path} exists; choose another name or remove it first") from None
    except FileNotFoundError:
        raise ScenarioError(f"{path.parent} does not exist; create the folder first") from None
    return path
