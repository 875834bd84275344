"""Checks that validation can fail: does the fit come from the mechanisms, or from the inputs?

A scenario that passes its patterns may pass them for the wrong reasons: dates that carry
knowledge of the outcome, patterns the parameters were tuned to, mechanisms that do nothing. Each
check here asks one question of a scenario, on the public API only (scenario overrides, ensembles,
:func:`factions.validate.pattern_pass`), so it works for any scenario:

- **Ablation** (:func:`ablation_scenarios`, :func:`ablation_table`): every mechanism with an
  ``enabled`` switch turned off in turn. Ensembles share the root seed (common random numbers),
  so each pattern's pass/miss is compared replicate by replicate with the exact McNemar test.
- **Event dates** (:func:`shifted_scenarios`, :func:`shift_table`): each dated event moved by a
  few months (its ``end`` too, so its duration is kept); each faction's Kaplan–Meier median end
  and each pattern's pass rate against the baseline.
- **Null model** (:func:`permute_ends`, :func:`null_outcomes`, :func:`null_table`): in every run
  the factions' ends (dates and censoring alike) are dealt to the factions at random, which
  keeps the timing and destroys the order; the patterns about order and timing are scored on
  the shuffled tables.
- **Held-out patterns** (:func:`role_table`): pass rates grouped by the pattern's ``role``
  (``calibration``, ``held_out`` or undeclared).
- **Transfer** (:func:`transferred_scenario`): scenario B run with scenario A's mechanism values.
- **AES exclusion** (:func:`initial_shares`, :func:`exclusion_table`): whom the leader's camp
  leaves out of the ruling coalition (Acemoglu, Egorov & Sonin 2008) as the leader's power share
  varies, the rivals splitting the rest in their initial proportions.

Each ensemble is reduced to its per-replicate :class:`Outcomes` (pattern pass/miss, faction end
times), small enough to cache (:func:`save_outcomes`), so tables can be redrawn without rerunning.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter

from factions.calendar import format_month, parse_month
from factions.ensemble import run_ensemble
from factions.errors import ExperimentError, ScenarioValidationError
from factions.paired import compare
from factions.results import Results, staged_folder
from factions.scenario import Scenario, load_scenario
from factions.survival import ROUNDING, first_time_at_or_below, survival_table
from factions.theory.aes import ruling_coalition
from factions.theory.pure_aes import is_generic
from factions.validate import describe, pattern_pass

log = logging.getLogger(__name__)

#: Pattern kinds scored on the factions table alone (order and timing of the factions' ends):
#: the ones the null model can change.
TIMING_KINDS = frozenset({"eliminated_first", "survives", "elimination_window"})
#: Shifts of the event-date check, in months.
SHIFTS = (-24, -12, 12, 24)
#: Label of the patterns that declare no ``role``.
UNDECLARED = "undeclared"


# --------------------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class Outcomes:
    """Per-replicate outcomes of one ensemble.

    ``passed``: replicate × pattern number, the share of passes in [0, 1] (0 or 1 for a model
    run; the share of shuffles for the null model). ``ends``: one row per replicate × faction
    with ``duration`` (months since the start) and ``observed`` (False: standing at the horizon).
    """

    scenario: str
    start_month: int
    passed: pd.DataFrame
    ends: pd.DataFrame

    def subset(self, replicates: Iterable[int]) -> Outcomes:
        """The same outcomes restricted to some replicates (to pair with a smaller ensemble)."""
        keep = sorted(set(replicates))
        ends = self.ends[self.ends["replicate"].isin(keep)].reset_index(drop=True)
        return Outcomes(self.scenario, self.start_month, self.passed.loc[keep], ends)

    def pass_rates(self) -> pd.Series:
        """Mean pass rate of each pattern."""
        return self.passed.mean()

    def median_ends(self) -> pd.Series:
        """Kaplan–Meier median end of each faction, in months since the start (inf: not reached)."""
        groups = self.ends.groupby("faction", sort=False)
        return pd.Series({faction: _km_median(rows) for faction, rows in groups}, dtype=float)

    def median_dates(self) -> pd.Series:
        """:meth:`median_ends` as 'YYYY-MM', or None when not reached within the horizon."""
        return self.median_ends().map(
            lambda m: format_month(self.start_month + int(m)) if np.isfinite(m) else None
        )


def _km_median(rows: pd.DataFrame) -> float:
    durations = rows["duration"].to_numpy(dtype=float)
    fitted = KaplanMeierFitter().fit(durations, event_observed=rows["observed"].to_numpy(bool))
    return first_time_at_or_below(fitted.survival_function_.iloc[:, 0])


def _replicates(results: Results) -> pd.Series:
    return results.runs.set_index("run_id")["replicate"]


def outcomes(results: Results, passed: pd.DataFrame | None = None) -> Outcomes:
    """Reduce an ensemble to its :class:`Outcomes` (``passed`` defaults to its pattern passes)."""
    replicate = _replicates(results)
    passed = pattern_pass(results) if passed is None else passed
    passed = passed.astype(float).rename(index=replicate).sort_index()
    passed.index.name = "replicate"
    ends = survival_table(results)
    ends.insert(0, "replicate", ends.pop("run_id").map(replicate))
    ends = ends.sort_values(["replicate"], kind="stable").reset_index(drop=True)
    return Outcomes(results.scenario.name, results.scenario.start_month, passed, ends)


@dataclass(frozen=True)
class Ensemble:
    """How every ensemble of a check is run: same size and root seed (common random numbers)."""

    replicates: int
    seed: int
    workers: int = 1

    def run(self, scenario: Scenario) -> Results:
        log.info("running %d replicates of %s", self.replicates, scenario.name)
        return run_ensemble(scenario, self.replicates, self.seed, workers=self.workers)

    def outcomes(self, scenarios: Mapping[str, Scenario]) -> dict[str, Outcomes]:
        """Run each scenario and keep its outcomes, by the same keys."""
        return {key: outcomes(self.run(spec)) for key, spec in scenarios.items()}


# --------------------------------------------------------------------------- paired tests


def mcnemar(a: pd.Series, b: pd.Series) -> float:
    """Two-sided exact McNemar p-value of paired 0/1 outcomes (Series indexed by replicate).

    Among the pairs that differ, the count in which ``b`` passes is Binomial(n, 1/2) when the
    change has no effect (McNemar 1947); with no differing pair the p-value is 1.
    """
    paired = compare(a, b, test="sign")
    return min(1.0, 2 * min(paired.p_higher, paired.p_lower))


def pattern_labels(scenario: Scenario) -> dict[int, str]:
    """Pattern number -> its one-line statement."""
    return {i: describe(p) for i, p in enumerate(scenario.patterns)}


def _differences(
    base: Outcomes, other: Outcomes, threshold: float, alpha: float
) -> list[dict[str, Any]]:
    """Per pattern: base and other pass rates over their common replicates, the difference and
    its McNemar p-value."""
    rows = []
    for pattern in base.passed.columns:
        a, b = base.passed[pattern].align(other.passed[pattern], join="inner")
        difference = float(b.mean() - a.mean())
        p = mcnemar(a, b)
        rows.append(
            {
                "pattern": pattern,
                "baseline": float(a.mean()),
                "rate": float(b.mean()),
                "difference": difference,
                "large": abs(difference) >= threshold - ROUNDING,
                "p_value": p,
                "significant": p < alpha,
            }
        )
    return rows


# --------------------------------------------------------------------------- 1. ablation


def switchable_mechanisms(scenario: Scenario) -> list[str]:
    """Mechanisms of the scenario that have an ``enabled`` switch, in schema order."""
    mechanisms = scenario.mechanisms
    return [
        name
        for name in type(mechanisms).model_fields
        if hasattr(getattr(mechanisms, name), "enabled")
    ]


def ablation_scenarios(name: str | Path) -> dict[str, Scenario]:
    """The scenario with each enabled mechanism switched off in turn, keyed by mechanism.

    Mechanisms already off in the scenario are left out (switching them off changes nothing).
    """
    base = load_scenario(name)
    out = {}
    for mechanism in switchable_mechanisms(base):
        if not getattr(base.mechanisms, mechanism).enabled:
            log.info("mechanism %s is already off in %s: not ablated", mechanism, base.name)
            continue
        out[mechanism] = load_scenario(name, {f"mechanisms.{mechanism}.enabled": False})
    return out


def ablation_table(
    base: Outcomes,
    ablated: Mapping[str, Outcomes],
    threshold: float = 0.10,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """One row per mechanism × pattern: pass rate off vs on, difference and McNemar p-value.

    ``large`` marks differences of at least ``threshold`` (a share: 0.10 is 10 points);
    ``significant`` marks p-values below ``alpha``. The runs must share their root seed.
    """
    rows = [
        {"mechanism": mechanism, **row}
        for mechanism, other in ablated.items()
        for row in _differences(base, other, threshold, alpha)
    ]
    return pd.DataFrame(rows)


def inert_mechanisms(table: pd.DataFrame) -> list[str]:
    """Mechanisms of an :func:`ablation_table` that move no pattern by the threshold."""
    moves = table.groupby("mechanism", sort=False)["large"].any()
    return moves[~moves].index.tolist()


# --------------------------------------------------------------------------- 2. event dates


@dataclass(frozen=True)
class Shift:
    """One dated event moved by ``months`` (its ``end`` too, if it has one)."""

    event: str
    months: int

    @property
    def key(self) -> str:
        return f"{self.event}{self.months:+d}"

    @classmethod
    def from_key(cls, key: str) -> Shift:
        cut = max(key.rfind("+"), key.rfind("-"))
        return cls(key[:cut], int(key[cut:]))


def shift_overrides(scenario: Scenario, shift: Shift) -> dict[str, str]:
    """The overrides that move one event: its ``date`` and, if it has one, its ``end``.

    Raises :class:`ExperimentError` when a moved date falls outside the scenario's span.
    """
    event = scenario.events[shift.event]
    overrides = {}
    for field in ("date", "end"):
        value = getattr(event, field, None)
        if value is None:
            continue
        moved = parse_month(value) + shift.months
        if not scenario.start_month <= moved <= scenario.end_month:
            raise ExperimentError(
                f"event {shift.event!r} moved by {shift.months:+d} months: its {field} "
                f"{format_month(moved)} is outside {scenario.start}..{scenario.end}"
            )
        overrides[f"events.{shift.event}.{field}"] = format_month(moved)
    return overrides


def shifted_scenarios(
    name: str | Path, shifts: Sequence[int] = SHIFTS
) -> tuple[dict[str, Scenario], dict[str, str]]:
    """Every enabled event moved by each shift, keyed by :attr:`Shift.key`.

    Returns the scenarios and the skipped shifts (key -> reason: outside the span, or a
    scenario the shift makes invalid, such as a congress pattern left without its congress).
    """
    base = load_scenario(name)
    scenarios, skipped = {}, {}
    for key, event in base.events.items():
        if not event.enabled:
            continue
        for months in shifts:
            shift = Shift(key, months)
            try:
                overrides = shift_overrides(base, shift)
            except ExperimentError as exc:
                skipped[shift.key] = str(exc)
                continue
            try:
                scenarios[shift.key] = load_scenario(name, overrides)
            except ScenarioValidationError as exc:
                skipped[shift.key] = exc.problems[0].render().removeprefix("<scenario>: ")
    return scenarios, skipped


def shift_table(
    base: Outcomes,
    shifted: Mapping[str, Outcomes],
    months: float = 12,
    threshold: float = 0.10,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """One row per shift × outcome: the faction medians and the pattern pass rates.

    ``outcome`` is ``median:<faction>`` (``value`` in months since the start, inf when not
    reached) or ``pattern:<number>`` (``value`` a pass rate, with its McNemar p-value). The
    baseline is restricted to each shifted ensemble's replicates, so that both are paired.
    ``moved`` marks a median that moves by at least ``months`` (or is reached in one ensemble
    only) and a pass rate that moves by at least ``threshold``.
    """
    rows = []
    for key, other in shifted.items():
        base_medians = base.subset(other.passed.index).median_ends()
        shift = Shift.from_key(key)
        ident = {"event": shift.event, "shift": shift.months}
        for faction, value in other.median_ends().items():
            before = base_medians[faction]
            change = value - before if np.isfinite(value) and np.isfinite(before) else np.nan
            moved = abs(change) >= months if np.isfinite(change) else value != before
            rows.append(
                {
                    **ident,
                    "outcome": f"median:{faction}",
                    "baseline": before,
                    "value": value,
                    "difference": change,
                    "moved": bool(moved),
                    "p_value": np.nan,
                }
            )
        for row in _differences(base, other, threshold, alpha):
            rows.append(
                {
                    **ident,
                    "outcome": f"pattern:{row['pattern']}",
                    "baseline": row["baseline"],
                    "value": row["rate"],
                    "difference": row["difference"],
                    "moved": row["large"],
                    "p_value": row["p_value"],
                }
            )
    return pd.DataFrame(rows)


def moving_events(table: pd.DataFrame) -> pd.DataFrame:
    """Per event of a :func:`shift_table`: the outcomes that some shift moves."""
    moved = table[table["moved"]]
    return (
        moved.groupby("event", sort=False)["outcome"]
        .agg(lambda s: sorted(set(s)))
        .rename("moved")
        .reset_index()
    )


# --------------------------------------------------------------------------- 3. null model


def permute_ends(results: Results, rng: np.random.Generator) -> Results:
    """A copy of ``results`` whose factions' ends are dealt at random, run by run.

    In each run the rows of the factions table (every column but ``run_id`` and ``faction``:
    whether and when each faction ended) are permuted among the factions, so the multiset of
    end times, censoring included, is kept and only who ended when changes. Other tables are
    shared, not copied.
    """
    f = results.factions
    runs = f["run_id"].to_numpy()
    dealt = np.lexsort((rng.random(len(f)), runs))  # each run's rows, in random order
    rows = np.argsort(runs, kind="stable")  # each run's rows, in table order
    shuffled = f.copy()
    for column in f.columns.difference(["run_id", "faction"], sort=False):
        values = f[column].to_numpy()
        permuted = values.copy()
        permuted[rows] = values[dealt]
        shuffled[column] = permuted
    tables = {**results.tables, "factions": shuffled}
    return Results(results.scenario, tables, results.manifest)


def timing_patterns(scenario: Scenario) -> list[int]:
    """Numbers of the patterns about the order and timing of the factions' ends."""
    return [i for i, p in enumerate(scenario.patterns) if p.kind in TIMING_KINDS]


def null_outcomes(results: Results, draws: int = 20, seed: int = 0) -> Outcomes:
    """The null model's outcomes: each replicate's pass share over ``draws`` shuffles of its ends.

    Only the timing patterns (:func:`timing_patterns`) are scored; the others do not depend on
    the factions table. ``ends`` are the model's own (the null keeps the times).
    """
    if draws < 1:
        raise ValueError(f"draws must be at least 1, got {draws}")
    rng = np.random.default_rng(seed)
    columns = timing_patterns(results.scenario)
    total = None
    for _ in range(draws):
        passed = pattern_pass(permute_ends(results, rng))[columns].astype(float)
        total = passed if total is None else total + passed
    return outcomes(results, passed=total / draws)


def null_table(model: Outcomes, null: Outcomes, confidence: float = 0.95) -> pd.DataFrame:
    """Per timing pattern: model and null pass rates and their paired difference (t interval)."""
    rows = []
    for pattern in null.passed.columns:
        paired = compare(null.passed[pattern], model.passed[pattern], confidence=confidence)
        rows.append(
            {
                "pattern": pattern,
                "model": paired.mean_b,
                "null": paired.mean_a,
                "difference": paired.difference,
                "ci_low": paired.ci_low,
                "ci_high": paired.ci_high,
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- 4. held-out patterns


def pattern_roles(scenario: Scenario) -> dict[int, str]:
    """Pattern number -> its role: 'calibration', 'held_out' or :data:`UNDECLARED`."""
    return {i: p.role or UNDECLARED for i, p in enumerate(scenario.patterns)}


def role_table(scenario: Scenario, result: Outcomes) -> pd.DataFrame:
    """Per pattern: role, pass rate, required rate and whether it holds, by role then number."""
    rates = result.pass_rates()
    roles = pattern_roles(scenario)
    table = pd.DataFrame(
        {
            "pattern": list(roles),
            "role": list(roles.values()),
            "pass_rate": [float(rates[i]) for i in roles],
            "required": [p.min_pass_rate for p in scenario.patterns],
        }
    )
    table["holds"] = table["pass_rate"] >= table["required"]
    return table.sort_values(["role", "pattern"], kind="stable").reset_index(drop=True)


def role_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per role of a :func:`role_table`: patterns, how many hold, mean pass rate."""
    grouped = table.groupby("role", sort=True)
    return pd.DataFrame(
        {
            "patterns": grouped.size(),
            "hold": grouped["holds"].sum().astype(int),
            "mean_pass_rate": grouped["pass_rate"].mean(),
        }
    ).reset_index()


# --------------------------------------------------------------------------- 5. transfer


def transferred_scenario(target: str | Path, source: str | Path) -> Scenario:
    """``target`` with ``source``'s ``mechanisms`` section, whole (defaults included).

    Everything else (factions, patrons, events, patterns, span) stays ``target``'s own.
    """
    values = load_scenario(source).mechanisms.model_dump(mode="json")
    return load_scenario(target, {"mechanisms": values})


def transfer_table(own: Outcomes, transferred: Outcomes, alpha: float = 0.05) -> pd.DataFrame:
    """Per pattern: pass rate with the case's own mechanism values and with the other's."""
    rows = _differences(own, transferred, threshold=0.10, alpha=alpha)
    return pd.DataFrame(rows).rename(columns={"baseline": "own", "rate": "transferred"})


# --------------------------------------------------------------------------- 6. AES exclusion


def initial_shares(results: Results) -> pd.Series:
    """Mean power share of each faction in the first month, over the runs (scenario order)."""
    t = results.timeseries
    first = t[t["date"] == t["date"].min()]
    shares = first.groupby("faction", sort=False)["power_share"].mean()
    return shares.reindex(results.scenario.faction_ids)


def leader_share_grid(low: float = 0.20, high: float = 0.70, step: float = 0.05) -> list[float]:
    """Leader's shares from ``low`` to ``high`` inclusive, rounded to avoid float drift."""
    count = round((high - low) / step)
    return [round(low + i * step, 10) for i in range(count + 1)]


def exclusion_table(
    shares: Mapping[str, float],
    leader: str,
    leader_shares: Iterable[float],
    alpha: float = 0.5,
) -> pd.DataFrame:
    """Whom the leader's camp excludes as the leader's power share varies.

    For each share ``s`` the rivals split ``1 - s`` in the proportions of ``shares``. Columns:
    the powers, the least-power self-enforcing winning coalition containing the leader (None
    when there is none: the leader cannot rule with any self-enforcing coalition), the factions
    it excludes, the unconstrained AES ruling coalition for comparison, and ``generic``: False
    where two coalitions tie or one sits exactly on the winning threshold (there the answer
    follows the solver's tie rule and floating-point rounding, not the theory; for example a
    leader's share of exactly ``alpha``).
    """
    if leader not in shares:
        raise ValueError(f"leader faction {leader!r} is not among {sorted(shares)}")
    rivals = {k: float(v) for k, v in shares.items() if k != leader}
    total = sum(rivals.values())
    if total <= 0:
        raise ValueError("the rivals' shares must sum to more than 0")
    rows = []
    for s in leader_shares:
        if not 0 < s < 1:
            raise ValueError(f"a leader's share must lie in (0, 1), got {s}")
        powers = {leader: s, **{k: (1 - s) * v / total for k, v in rivals.items()}}
        with_leader = ruling_coalition(powers, alpha, must_include=leader)
        rows.append(
            {
                "leader_share": s,
                **{f"share:{k}": v for k, v in powers.items() if k != leader},
                "coalition": _names(with_leader, shares),
                "excluded": None
                if with_leader is None
                else _names(set(shares) - with_leader, shares),
                "aes_coalition": _names(ruling_coalition(powers, alpha), shares),
                "generic": is_generic(powers, alpha),
            }
        )
    return pd.DataFrame(rows)


def _names(members: Iterable[str] | None, order: Iterable[str]) -> tuple[str, ...] | None:
    """Members in the given order (None stays None)."""
    if members is None:
        return None
    members = set(members)
    return tuple(k for k in order if k in members)


# --------------------------------------------------------------------------- cache


def save_outcomes(
    folder: str | Path, sets: Mapping[str, Mapping[str, Outcomes]], meta: Mapping[str, Any]
) -> Path:
    """Write outcome sets (check -> condition -> Outcomes) and ``meta`` to ``folder``, atomically.

    Two Parquet tables in long form (``passed``, ``ends``, keyed by check and condition) and
    ``meta.json``.
    """
    passed, ends, where = [], [], {}
    for check, conditions in sets.items():
        for condition, o in conditions.items():
            key = {"check": check, "condition": condition}
            long = (
                o.passed.rename(columns=str)
                .reset_index()
                .melt(id_vars="replicate", var_name="pattern", value_name="passed")
            )
            passed.append(long.assign(**key))
            ends.append(o.ends.assign(**key))
            where[f"{check}/{condition}"] = {"scenario": o.scenario, "start_month": o.start_month}
    with staged_folder(Path(folder)) as staging:
        pd.concat(passed, ignore_index=True).to_parquet(staging / "passed.parquet", index=False)
        pd.concat(ends, ignore_index=True).to_parquet(staging / "ends.parquet", index=False)
        document = {**meta, "conditions": where}
        (staging / "meta.json").write_text(json.dumps(document, indent=2, default=str))
    log.info("wrote outcomes to %s", folder)
    return Path(folder)


def load_outcomes(folder: str | Path) -> tuple[dict[str, dict[str, Outcomes]], dict[str, Any]]:
    """Read what :func:`save_outcomes` wrote: the outcome sets and the metadata."""
    folder = Path(folder)
    if not (folder / "meta.json").is_file():
        raise ExperimentError(f"{folder} holds no cached outcomes (no meta.json)")
    meta = json.loads((folder / "meta.json").read_text())
    passed = pd.read_parquet(folder / "passed.parquet")
    ends = pd.read_parquet(folder / "ends.parquet")
    sets: dict[str, dict[str, Outcomes]] = {}
    for name, info in meta.pop("conditions").items():
        check, condition = name.split("/", 1)
        key = (passed["check"] == check) & (passed["condition"] == condition)
        wide = passed[key].pivot(index="replicate", columns="pattern", values="passed")
        wide = wide.rename(columns=int).sort_index(axis=1)
        wide.columns.name = None
        own = ends[(ends["check"] == check) & (ends["condition"] == condition)]
        own = own.drop(columns=["check", "condition"]).reset_index(drop=True)
        sets.setdefault(check, {})[condition] = Outcomes(
            info["scenario"], info["start_month"], wide, own
        )
    return sets, meta
