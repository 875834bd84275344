"""Ensemble tables over time: what the figures of an ensemble draw, computed from its results.

Each function reads a :class:`~factions.results.Results` (its tables and scenario) and returns a
small tidy table, so that the figures in :mod:`factions.plots` only draw:

- :func:`share_quantiles` — a faction's seat or power share by date, median and band over runs;
- :func:`declared_seat_shares` — seat shares the scenario's ``congress_seats`` patterns declare;
- :func:`event_frequency` — share of runs with an event of a kind, per faction and bin of months;
- :func:`patron_presence` — each patron's presence month by month, as the model recorded it;
- :func:`historical_eliminations` — the historical elimination dates the scenario declares.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from factions.calendar import month_index, month_timestamps, parse_month
from factions.results import Results
from factions.scenario import Scenario

__all__ = [
    "ORIGIN_KINDS",
    "SHARE_MEASURES",
    "TIMELINE_KINDS",
    "declared_seat_shares",
    "event_frequency",
    "historical_eliminations",
    "patron_presence",
    "share_quantiles",
]

#: Share measures of :func:`share_quantiles`, with their axis labels.
SHARE_MEASURES = {"seats": "Central-committee seat share", "power": "Power share"}

#: Event kinds of the timeline figure, top to bottom.
TIMELINE_KINDS = (
    "purge_campaign",
    "show_trial",
    "challenge",
    "challenge_failed",
    "challenge_success",
    "intervention",
    "rehabilitation",
    "elimination",
)

#: Event kinds counted for the faction the cadre came from (its origin), not the one it is in:
#: a rehabilitated cadre of an eliminated faction returns in the leader's camp, but it is the
#: faction it came from that is being rehabilitated.
ORIGIN_KINDS = ("rehabilitation",)


def historical_eliminations(scenario: Scenario) -> dict[str, str]:
    """Historical elimination month of each faction, from ``elimination_window`` patterns."""
    return {
        p.faction: p.historical
        for p in scenario.patterns
        if p.kind == "elimination_window" and getattr(p, "historical", None)
    }


def share_quantiles(
    results: Results, measure: str, band: tuple[float, float] = (0.1, 0.9)
) -> pd.DataFrame:
    """A faction's share by date across runs: columns date, faction, low, median, high.

    ``measure`` is ``"seats"`` (share of the central committee's seats in that run and month)
    or ``"power"`` (the model's power share); ``low`` and ``high`` are the ``band`` quantiles.
    """
    t = results.timeseries
    if measure == "seats":
        total = t.groupby(["run_id", "date"])["seats"].transform("sum")
        share = t["seats"] / total.where(total > 0)
    elif measure == "power":
        share = t["power_share"]
    else:
        raise ValueError(f"measure must be one of {', '.join(SHARE_MEASURES)}, got {measure!r}")
    grouped = t[["date", "faction"]].assign(share=share).groupby(["date", "faction"])["share"]
    table = grouped.quantile([band[0], 0.5, band[1]]).unstack()
    table.columns = ["low", "median", "high"]
    return table.reset_index()


def declared_seat_shares(results: Results) -> pd.DataFrame:
    """Seat shares declared by ``congress_seats`` patterns, with their tolerance as a share.

    Columns date, faction, share, tolerance. The denominator is the congress's seat count from
    the scenario's congress event of that month, or else the median total of seats simulated
    in that month.
    """
    spec = results.scenario
    sizes = {parse_month(e.date): e.seats for e in spec.events.values() if e.kind == "congress"}
    rows = []
    for p in spec.patterns:
        if p.kind != "congress_seats":
            continue
        month = parse_month(p.date)
        total = sizes.get(month) or _median_total_seats(results, month)
        if total:
            rows.append(
                {
                    "date": month_timestamps(np.array([month]))[0],
                    "faction": p.faction,
                    "share": p.seats / total,
                    "tolerance": p.tolerance / total,
                }
            )
    return pd.DataFrame(rows, columns=["date", "faction", "share", "tolerance"])


def _median_total_seats(results: Results, month: int) -> float:
    t = results.timeseries
    at = t[t["date"] == month_timestamps(np.array([month]))[0]]
    return float(at.groupby("run_id")["seats"].sum().median()) if len(at) else 0.0


def _by_origin(results: Results, events: pd.DataFrame) -> pd.Series:
    """Each event's faction, or for :data:`ORIGIN_KINDS` the faction its cadre came from."""
    origin = results.cadres[["run_id", "cadre", "faction"]].drop_duplicates(["run_id", "cadre"])
    joined = events[["run_id", "cadre"]].merge(
        origin.rename(columns={"faction": "origin"}), on=["run_id", "cadre"], how="left"
    )
    origin_of = pd.Series(joined["origin"].to_numpy(), index=events.index)
    use_origin = events["kind"].isin(ORIGIN_KINDS) & origin_of.notna()
    return events["faction"].where(~use_origin, origin_of)


def event_frequency(
    results: Results, kinds: Iterable[str] = TIMELINE_KINDS, bin_months: int = 3
) -> pd.DataFrame:
    """Share of runs with at least one event of each kind and faction, per bin of months.

    Columns: kind, faction (None for events not tied to a faction), date (the middle of the
    bin), share. Events of :data:`ORIGIN_KINDS` count for the faction their cadre came from.
    """
    spec = results.scenario
    e = results.events[results.events["kind"].isin(list(kinds))]
    months = month_index(e["date"]).to_numpy(dtype=np.int64)
    first = spec.start_month + (months - spec.start_month) // bin_months * bin_months
    faction = _by_origin(results, e) if len(e) else e["faction"]
    frame = e[["run_id", "kind"]].assign(faction=faction.fillna("-"), bin=first)
    runs = frame.groupby(["kind", "faction", "bin"])["run_id"].nunique()
    share = (runs / max(len(results.runs), 1)).rename("share").reset_index()
    middle = np.timedelta64(15 * bin_months, "D")  # dots at the middle of their bin
    share["date"] = month_timestamps(share.pop("bin").to_numpy()) + middle
    share["faction"] = share["faction"].where(share["faction"] != "-", None)
    return share[["kind", "faction", "date", "share"]]


def patron_presence(results: Results) -> pd.DataFrame:
    """Each patron's presence (0 to 1) month by month: one column per patron, dates as index.

    Read from the ``patron_presence`` column the model records for each faction (the presence
    of its patron), averaged over runs (presence follows the scenario's dated ramps, the same in
    every run). A patron without a client faction has no recorded presence and no column.
    """
    spec = results.scenario
    t = results.timeseries
    columns = {}
    if "patron_presence" in t.columns:
        for pid in spec.patrons:
            clients = [fid for fid, f in spec.factions.items() if f.patron == pid]
            if clients:
                rows = t[t["faction"] == clients[0]]
                columns[pid] = rows.groupby("date")["patron_presence"].mean()
    return pd.DataFrame(columns)
