"""The ensemble summary: who was eliminated, when, in what order, beside the historical record.

Elimination dates are summarised with Kaplan–Meier estimates (:mod:`factions.survival`), so that
runs in which a faction outlives the horizon count as right-censored, never as eliminated at the
end.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd

from factions.analysis import historical_eliminations
from factions.results import Results
from factions.survival import median_elimination
from factions.tables import END_CAUSE_NAMES
from factions.validate import score

__all__ = [
    "MISS_NOTE",
    "challenge_stats",
    "congress_seats",
    "elimination_orders",
    "end_cause_shares",
    "faction_rows",
    "leader_stats",
    "rate_digits",
    "render",
    "summarise",
]


def elimination_orders(results: Results) -> Counter:
    """How often each order of eliminations occurs ('a > b' means a then b; '=' ties)."""
    f = results.factions[results.factions["eliminated"]].sort_values(["run_id", "eliminated_at"])
    orders: Counter = Counter()
    for run_id in results.runs["run_id"]:
        rows = f[f["run_id"] == run_id]
        steps = [
            "=".join(sorted(group["faction"]))
            for _, group in rows.groupby("eliminated_at", sort=True)
        ]
        orders[" > ".join(steps) or "(none)"] += 1
    return orders


def faction_rows(results: Results) -> list[dict[str, Any]]:
    spec = results.scenario
    f = results.factions
    runs = len(results.runs)
    first = f[f["eliminated"]].groupby("run_id")["eliminated_at"].transform("min")
    is_first = f[f["eliminated"]][f[f["eliminated"]]["eliminated_at"] == first]
    historical = historical_eliminations(spec)
    medians = median_elimination(results).set_index("faction")
    rows = []
    for fid in spec.faction_ids:
        mine = f[f["faction"] == fid]
        rows.append(
            {
                "faction": fid,
                "label": spec.faction_table(fid).label,
                "eliminated_share": float(mine["eliminated"].mean()),
                "first_share": float((is_first["faction"] == fid).sum() / runs),
                "median_elimination": medians.loc[fid, "median"],
                "median_ci": [medians.loc[fid, "ci_lower"], medians.loc[fid, "ci_upper"]],
                "historical": historical.get(fid),
                "end_causes": end_cause_shares(mine),
            }
        )
    return rows


def end_cause_shares(rows: pd.DataFrame) -> dict[str, float]:
    """Share of runs in which the faction (its ``factions`` rows) ended by each cause."""
    causes = rows["end_cause"].value_counts()
    return {name: float(causes.get(name, 0) / len(rows)) for name in END_CAUSE_NAMES}


def challenge_stats(results: Results) -> dict[str, Any]:
    e = results.events
    runs = results.runs["run_id"]
    attempts = e[e["kind"] == "challenge"]
    per_run = attempts.groupby("run_id").size().reindex(runs, fill_value=0)
    failed = int((e["kind"] == "challenge_failed").sum())
    acts = e[e["kind"] == "intervention"]
    interventions = acts.groupby("run_id").size()
    joint = acts[acts["detail"].str.contains("(joint", regex=False)].groupby("run_id").size()
    return {
        "challenges_per_run": float(per_run.mean()),
        "runs_with_exactly_one": float((per_run == 1).mean()),
        "failure_share": float(failed / len(attempts)) if len(attempts) else None,
        "challengers": Counter(a.split(";")[0][3:] for a in attempts["detail"]).most_common(3),
        "interventions_per_run": float(interventions.reindex(runs, fill_value=0).mean()),
        "joint_interventions_per_run": float(joint.reindex(runs, fill_value=0).mean()),
    }


#: Event-log kinds that install a new leader (the row's faction is the new leader's).
LEADER_KINDS = ("challenge_success", "leader_change")


def leader_stats(results: Results) -> dict[str, Any]:
    """Leaders over time, from the event log: the faction leading at the start, the share of
    runs in which each faction leads at the end (after the last successful challenge or
    ``leader_change`` of the run), and the changes of leader per run."""
    e = results.events
    changes = e[e["kind"].isin(LEADER_KINDS)].sort_values(["run_id", "date"], kind="stable")
    first = results.scenario.leader.faction
    runs = results.runs["run_id"]
    at_end = runs.map(changes.groupby("run_id")["faction"].last()).fillna(first)
    per_run = changes.groupby("run_id").size().reindex(runs, fill_value=0)
    return {
        "at_start": first,
        "at_end": {str(k): float(v) for k, v in at_end.value_counts(normalize=True).items()},
        "changes_per_run": float(per_run.mean()),
    }


def congress_seats(results: Results) -> pd.DataFrame:
    """Median seats per faction at each congress (congress × faction)."""
    c = results.congresses
    table = c.groupby(["date", "congress", "faction"])["seats"].median().unstack("faction")
    return table.reset_index()


def summarise(results: Results) -> dict[str, Any]:
    """The machine-readable summary written to ``summary.json``.

    Parameters
    ----------
    results : Results
        An ensemble.

    Returns
    -------
    dict
        Per faction (eliminated share, first share, median elimination with its interval, the
        historical date), the elimination orders, challenge statistics, leaders over time
        (:func:`leader_stats`), median congress seats and, when the scenario declares
        patterns, their scores (:func:`factions.validate.score`).
    """
    orders = elimination_orders(results)
    top, count = orders.most_common(1)[0]
    seats = congress_seats(results)
    seats["date"] = seats["date"].dt.strftime("%Y-%m")
    patterns = score(results) if results.scenario.patterns else pd.DataFrame()
    return {
        "scenario": results.scenario.name,
        "scenario_hash": results.scenario.hash,
        "runs": len(results.runs),
        "factions": faction_rows(results),
        "most_common_order": {"order": top, "share": count / len(results.runs)},
        "orders": dict(orders.most_common(10)),
        "challenges": challenge_stats(results),
        "leaders": leader_stats(results),
        "congress_median_seats": seats.to_dict(orient="records"),
        "patterns": patterns.to_dict(orient="records"),
    }


def _leaders(leaders: dict[str, Any]) -> str:
    at_end = ", ".join(f"{f} {share:.0%}" for f, share in leaders["at_end"].items())
    return (
        f"leaders: {leaders['at_start']} at the start; at the end {at_end}; "
        f"{leaders['changes_per_run']:.2f} changes of leader per run"
    )


def _causes(shares: dict[str, float]) -> str:
    """End-cause shares as 'p% / e% / a%' in ``END_CAUSE_NAMES`` order."""
    return " / ".join(f"{shares[name]:.0%}" for name in END_CAUSE_NAMES)


def render(summary: dict[str, Any]) -> str:
    """The summary as a plain-text report (what ``factions run`` prints).

    Parameters
    ----------
    summary : dict
        As returned by :func:`summarise`.

    Returns
    -------
    str
        The report; a pattern that misses its required rate is marked ``MISS``, its pass rate
        printed precisely enough never to read as meeting the threshold.
    """
    lines = [f"{summary['scenario']}: {summary['runs']} runs", ""]
    width = max(22, 2 + max(len(row["label"]) for row in summary["factions"]))
    header = (
        f"{'faction':<{width}}{'eliminated':>11}{'first':>8}{'median end':>12}"
        f"{'95% CI':>20}{'historical':>12}{'purged/exiled/absorbed':>24}"
    )
    lines += [header, "-" * len(header)]
    for row in summary["factions"]:
        low, high = row["median_ci"]
        band = f"{low or '…'} – {high or '…'}" if row["median_elimination"] else ""
        lines.append(
            f"{row['label']:<{width}}{row['eliminated_share']:>11.0%}{row['first_share']:>8.0%}"
            f"{row['median_elimination'] or 'survives':>12}{band:>20}{row['historical'] or '':>12}"
            f"{_causes(row['end_causes']):>24}"
        )
    order = summary["most_common_order"]
    lines += ["", f"most common order: {order['order']} ({order['share']:.0%} of runs)"]
    c = summary["challenges"]
    failure = "-" if c["failure_share"] is None else f"{c['failure_share']:.0%}"
    lines.append(
        f"challenges: {c['challenges_per_run']:.2f} per run; exactly one in "
        f"{c['runs_with_exactly_one']:.0%} of runs; {failure} failed; "
        f"patron interventions: {c['interventions_per_run']:.2f} per run"
    )
    if "leaders" in summary:  # summaries written before leaders were recorded lack it
        lines.append(_leaders(summary["leaders"]))
    if summary["patterns"]:
        lines += ["", "historical patterns (pass rate over runs, 95% interval, required):"]
        for p in summary["patterns"]:
            mark = "ok  " if p["holds"] else "MISS"
            digits = rate_digits(p["pass_rate"], p["required"])
            lines.append(
                f"  {mark} {p['description']}: {p['pass_rate']:.{digits}%} "
                f"[{p['ci_low']:.0%}, {p['ci_high']:.0%}] (≥{p['required']:.0%})"
            )
        if not all(p["holds"] for p in summary["patterns"]):
            lines.append(MISS_NOTE)
    return "\n".join(lines)


MISS_NOTE = (
    "  MISS: the runs reproduce the pattern less often than required; docs/validation.md\n"
    "  (historical patterns) explains how patterns are scored and the known misses of korea-1945."
)


def rate_digits(rate: float, required: float, most: int = 6) -> int:
    """Decimals of a percentage that keep a pass rate on its side of the required rate.

    At 0 decimals 0.495 prints as 50% and reads as meeting ≥50%: add decimals until the printed
    rate compares with the threshold as the true rate does (49.5%).
    """
    if rate != rate:  # NaN: no runs
        return 0
    for digits in range(most + 1):
        shown = round(rate * 100, digits)
        if (shown >= required * 100) == (rate >= required):
            return digits
    return most
