"""Comparative statics of korea-1945 with more replicates, and the figures of docs/validation.md.

The same comparisons as ``tests/test_comparative_statics.py``, on common random numbers (one root
seed for every ensemble), with more replicates and finer grids: each rival faction's military
force and mean loyalty (the latter with co-optation on and off), and the paired statements
(no war, patrons staying, purge parameters, switched-off mechanisms). Prints the table of
docs/validation.md and writes ``docs/figures/validation-*.png``. Per-replicate outcomes are
cached in ``results/comparative-statics/`` so that figures can be redrawn without rerunning.

Usage::

    .venv/bin/python experiments/comparative_statics.py                 # about 5,300 runs
    .venv/bin/python experiments/comparative_statics.py --grid-replicates 20 --replicates 60
"""

from __future__ import annotations

import argparse
import hashlib
import time
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter
from scipy import stats

from factions import plots
from factions.ensemble import run_ensemble
from factions.paired import (
    arrested_share,
    compare,
    coopted_share,
    eliminated,
    event_count,
    months_standing,
)
from factions.results import Results

ROOT = Path(__file__).resolve().parents[1]
BASE = "korea-1945"
RIVALS = ("domestic", "yanan", "soviet")
CLIENTS = ("yanan", "soviet")
MILITARY = {
    "domestic": (0.05, 0.25, 0.5, 2.0),
    "yanan": (0.1, 0.25, 1.0, 4.0),
    "soviet": (0.05, 0.15, 0.5, 2.0),
}
LOYALTY = (0.1, 0.3, 0.5, 0.8)
COOPTATION_OFF = {"mechanisms.cooptation.enabled": False}

#: Paired statements: (label, a, b, factions, expected sign of b - a in months standing).
#: ``a`` and ``b`` are (scenario, overrides).
PAIRS = [
    ("no war", (BASE, {}), ("korea-no-war", {}), ("domestic",), +1),
    ("Soviet troops and advisers stay", (BASE, {}), ("korea-soviets-stay", {}), ("soviet",), +1),
    (
        "purge.launch_rate 0.1 → 0.4",
        (BASE, {"mechanisms.purge.launch_rate": 0.1}),
        (BASE, {"mechanisms.purge.launch_rate": 0.4}),
        RIVALS,
        -1,
    ),
    (
        "purge.spread 0.05 → 0.4",
        (BASE, {"mechanisms.purge.spread": 0.05}),
        (BASE, {"mechanisms.purge.spread": 0.4}),
        RIVALS,
        -1,
    ),
    (
        "purge.established_share 0.45 → 0.65",
        (BASE, {"mechanisms.purge.established_share": 0.45}),
        (BASE, {"mechanisms.purge.established_share": 0.65}),
        RIVALS,
        +1,
    ),
    (
        "patron protection 0.5 → 1.0",
        (BASE, {"patrons.ussr.protection": 0.5, "patrons.china.protection": 0.5}),
        (BASE, {"patrons.ussr.protection": 1.0, "patrons.china.protection": 1.0}),
        CLIENTS,
        +1,
    ),
    ("patrons disabled", (BASE, {}), (BASE, {"mechanisms.patrons.enabled": False}), CLIENTS, -1),
    (
        "challenge disabled",
        (BASE, {}),
        (BASE, {"mechanisms.challenge.enabled": False}),
        CLIENTS,
        0,
    ),
    ("co-optation disabled", (BASE, {}), (BASE, COOPTATION_OFF), RIVALS, 0),
]
for _fid in RIVALS:
    _path = f"factions.{_fid}.loyalty.mean"
    PAIRS += [
        (
            f"loyalty {LOYALTY[0]} → {LOYALTY[-1]}{note}",
            (BASE, {**extra, _path: LOYALTY[0]}),
            (BASE, {**extra, _path: LOYALTY[-1]}),
            (_fid,),
            0,
        )
        for note, extra in (("", {}), (", co-optation off", COOPTATION_OFF))
    ]


# --------------------------------------------------------------------------- running


def outcomes(results: Results) -> pd.DataFrame:
    """Per replicate and rival: months standing, eliminated, shares arrested and co-opted."""
    frames = []
    for fid in RIVALS:
        frame = pd.DataFrame(
            {
                "months": months_standing(results, fid),
                "eliminated": eliminated(results, fid),
                "arrested": arrested_share(results, fid),
                "coopted": coopted_share(results, fid),
            }
        )
        frames.append(frame.assign(faction=fid).reset_index())
    table = pd.concat(frames, ignore_index=True)
    arrests = event_count(results, "arrest").rename("arrests").reset_index()
    return table.merge(arrests, on="replicate")


class Runner:
    """Runs each ensemble once and caches it on disk: whole results folders for bundled scenarios
    (the survival figures need them), per-replicate outcomes for the others."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.folder = args.cache
        self.folder.mkdir(parents=True, exist_ok=True)

    def _run(self, scenario: str, overrides: dict, replicates: int) -> Results:
        started = time.perf_counter()
        results = run_ensemble(
            scenario, replicates, self.args.seed, overrides=overrides, workers=self.args.workers
        )
        print(f"  {scenario} {overrides}: {time.perf_counter() - started:.0f} s", flush=True)
        return results

    def results(self, scenario: str, replicates: int) -> Results:
        folder = self.folder / f"{scenario}-n{replicates}-seed{self.args.seed}"
        if (folder / "manifest.json").exists():
            return Results.load(folder)
        return self._run(scenario, {}, replicates).save(folder) and Results.load(folder)

    def get(self, scenario: str, overrides: dict, replicates: int) -> pd.DataFrame:
        if not overrides:
            return outcomes(self.results(scenario, replicates))
        key = f"{scenario}|{sorted(overrides.items())}|{replicates}|{self.args.seed}"
        path = self.folder / f"{hashlib.sha1(key.encode()).hexdigest()[:16]}.parquet"
        if not path.exists():
            outcomes(self._run(scenario, overrides, replicates)).to_parquet(path, index=False)
        return pd.read_parquet(path)


# --------------------------------------------------------------------------- analysis


def _series(table: pd.DataFrame, faction: str, column: str) -> pd.Series:
    return table[table["faction"] == faction].set_index("replicate")[column]


def pair_rows(runner: Runner) -> pd.DataFrame:
    n = runner.args.replicates
    rows = []
    for label, (sa, oa), (sb, ob), factions, sign in PAIRS:
        a, b = runner.get(sa, oa, n), runner.get(sb, ob, n)
        for fid in factions:
            months = compare(_series(a, fid, "months"), _series(b, fid, "months"))
            gone = compare(_series(a, fid, "eliminated"), _series(b, fid, "eliminated"), "sign")
            rows.append(
                {
                    "statement": label,
                    "faction": fid,
                    "expected": sign,
                    "pairs": months.pairs,
                    "months_a": months.mean_a,
                    "months_b": months.mean_b,
                    "difference": months.difference,
                    "ci_low": months.ci_low,
                    "ci_high": months.ci_high,
                    "p_later": months.p_higher,
                    "p_earlier": months.p_lower,
                    "eliminated_a": gone.mean_a,
                    "eliminated_b": gone.mean_b,
                    "p_more_eliminated": gone.p_higher,
                    "p_fewer_eliminated": gone.p_lower,
                }
            )
    spread = next(p for p in PAIRS if p[0].startswith("purge.spread"))
    a, b = runner.get(*spread[1], n), runner.get(*spread[2], n)
    arrests = compare(
        a.drop_duplicates("replicate").set_index("replicate")["arrests"],
        b.drop_duplicates("replicate").set_index("replicate")["arrests"],
    )
    rows.append(
        {
            "statement": "purge.spread 0.05 → 0.4: arrests per run",
            "faction": "all",
            "expected": 1,
            "pairs": arrests.pairs,
            "months_a": arrests.mean_a,
            "months_b": arrests.mean_b,
            "difference": arrests.difference,
            "ci_low": arrests.ci_low,
            "ci_high": arrests.ci_high,
            "p_later": arrests.p_higher,
            "p_earlier": arrests.p_lower,
        }
    )
    return pd.DataFrame(rows)


def loyalty_rows(runner: Runner) -> pd.DataFrame:
    """Lowest against highest loyalty of each rival, paired: with co-optation on and off."""
    n, low, high = runner.args.replicates, LOYALTY[0], LOYALTY[-1]
    rows = []
    for fid in RIVALS:
        path = f"factions.{fid}.loyalty.mean"
        for setting, extra in (("full model", {}), ("co-optation off", COOPTATION_OFF)):
            a = runner.get(BASE, {**extra, path: low}, n)
            b = runner.get(BASE, {**extra, path: high}, n)
            for column in ("months", "eliminated", "arrested", "coopted"):
                test = "sign" if column == "eliminated" else "t"
                c = compare(_series(a, fid, column), _series(b, fid, column), test)
                rows.append({"faction": fid, "setting": setting, "outcome": column, **c.as_dict()})
    return pd.DataFrame(rows)


def grid_table(runner: Runner) -> pd.DataFrame:
    """Per faction, parameter value and setting: means with 95% intervals."""
    n = runner.args.grid_replicates
    parts = []
    for fid in RIVALS:
        for value in MILITARY[fid]:
            t = runner.get(BASE, {f"factions.{fid}.military": value}, n)
            parts.append(_point(t, fid, "military", value, "full model"))
        for value in LOYALTY:
            path = f"factions.{fid}.loyalty.mean"
            t = runner.get(BASE, {path: value}, n)
            parts.append(_point(t, fid, "loyalty", value, "full model"))
            t = runner.get(BASE, {**COOPTATION_OFF, path: value}, n)
            parts.append(_point(t, fid, "loyalty", value, "co-optation off"))
    return pd.DataFrame(parts)


def _point(table: pd.DataFrame, fid: str, parameter: str, value: float, setting: str) -> dict:
    mine = table[table["faction"] == fid]
    n = len(mine)
    standing = int((mine["eliminated"] == 0).sum())
    low, high = stats.binomtest(standing, n).proportion_ci(method="wilson")
    half = {c: 1.96 * mine[c].std(ddof=1) / np.sqrt(n) for c in ("months", "arrested", "coopted")}
    return {
        "faction": fid,
        "parameter": parameter,
        "value": value,
        "setting": setting,
        "runs": n,
        "standing": standing / n,
        "standing_low": low,
        "standing_high": high,
        **{c: mine[c].mean() for c in half},
        **{f"{c}_half": h for c, h in half.items()},
    }


# --------------------------------------------------------------------------- figures

LABELS = {"domestic": "Domestic", "yanan": "Yan'an", "soviet": "Soviet Koreans"}


def _colours() -> dict[str, str]:
    from factions.scenario import load_scenario

    return plots.faction_colours(load_scenario(BASE))


def grid_figure(grid: pd.DataFrame, parameter: str, args) -> Figure:
    colours = _colours()
    fig = Figure(figsize=(12, 7), layout="constrained")
    axes = fig.subplots(2, 3, sharex=parameter == "loyalty")
    styles = {"full model": "-", "co-optation off": "--"}
    for j, fid in enumerate(RIVALS):
        rows = grid[(grid["faction"] == fid) & (grid["parameter"] == parameter)]
        for setting, part in rows.groupby("setting", sort=False):
            kw = {"color": colours[fid], "linestyle": styles[setting], "marker": "o"}
            top, bottom = axes[0, j], axes[1, j]
            top.errorbar(
                part["value"],
                part["standing"],
                yerr=[
                    part["standing"] - part["standing_low"],
                    part["standing_high"] - part["standing"],
                ],
                capsize=3,
                label=setting,
                **kw,
            )
            bottom.errorbar(
                part["value"], part["months"], yerr=part["months_half"], capsize=3, **kw
            )
        axes[0, j].set_title(LABELS[fid], loc="left")
        axes[0, j].yaxis.set_major_formatter(PercentFormatter(1.0))
        axes[0, j].set_ylim(-0.02, 1.02)
        axes[1, j].set_ylim(0, 200)
        for ax in axes[:, j]:
            if parameter == "military":
                ax.set_xscale("log")
                ax.set_xticks(MILITARY[fid], [f"{v:g}" for v in MILITARY[fid]])
                ax.minorticks_off()
            ax.spines[["top", "right"]].set_visible(False)
        base = _base_value(fid, parameter)
        for ax in axes[:, j]:
            ax.axvline(base, color="0.6", linewidth=0.8, linestyle=":")
        xlabel = (
            "Military force of the faction (index, log scale)"
            if parameter == "military"
            else "Mean initial loyalty to the leader (0–1)"
        )
        axes[1, j].set_xlabel(xlabel)
    axes[0, 0].set_ylabel("Runs in which it stands in 1961-12")
    axes[1, 0].set_ylabel("Mean months standing, 1945-09 to 1961-12")
    if parameter == "loyalty":
        fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center", ncols=2)
    n = int(grid["runs"].max())
    fig.suptitle(
        f"korea-1945: survival of each rival faction against its {parameter}\n"
        f"{n} runs per point, root seed {args.seed} (common random numbers); "
        "bars: 95% CI; dotted line: korea-1945's value",
        x=0.01,
        ha="left",
    )
    return fig


def _base_value(fid: str, parameter: str) -> float:
    from factions.scenario import load_scenario

    f = load_scenario(BASE).factions[fid]
    return f.military if parameter == "military" else f.loyalty.mean


def absorption_figure(grid: pd.DataFrame, args) -> Figure:
    colours = _colours()
    fig = Figure(figsize=(12, 4.2), layout="constrained")
    axes = fig.subplots(1, 3, sharey=True)
    for ax, fid in zip(axes, RIVALS, strict=True):
        rows = grid[
            (grid["faction"] == fid)
            & (grid["parameter"] == "loyalty")
            & (grid["setting"] == "full model")
        ]
        for column, style, label in (
            ("arrested", "-", "ever arrested (purged)"),
            ("coopted", "--", "co-opted into the leader's faction"),
        ):
            ax.errorbar(
                rows["value"],
                rows[column],
                yerr=rows[f"{column}_half"],
                color=colours[fid],
                linestyle=style,
                marker="o",
                capsize=3,
                label=label,
            )
        ax.set_title(LABELS[fid], loc="left")
        ax.set_xlabel("Mean initial loyalty to the leader (0–1)")
        ax.axvline(_base_value(fid, "loyalty"), color="0.6", linewidth=0.8, linestyle=":")
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.spines[["top", "right"]].set_visible(False)
    axes[0].set_ylabel("Share of the faction's cadres, 1945–61")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=2)
    fig.suptitle(
        "Absorption vs purge: how a faction's cadres leave it, by its mean initial loyalty\n"
        f"korea-1945, co-optation on; {int(rows['runs'].max())} runs per point, root seed "
        f"{args.seed}; bars: 95% CI; dotted line: korea-1945's value",
        x=0.01,
        ha="left",
    )
    return fig


def effects_figure(pairs: pd.DataFrame, args) -> Figure:
    colours = _colours()
    rows = pairs[pairs["faction"] != "all"].iloc[::-1].reset_index(drop=True)
    fig = Figure(figsize=(10, 0.32 * len(rows) + 1.8), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(rows))
    for i, row in rows.iterrows():
        ax.errorbar(
            row["difference"],
            i,
            xerr=[[row["difference"] - row["ci_low"]], [row["ci_high"] - row["difference"]]],
            fmt="o",
            color=colours[row["faction"]],
            capsize=3,
        )
    ax.axvline(0, color="0.4", linewidth=0.8)
    ax.set_yticks(y, [f"{r.statement} — {LABELS[r.faction]}" for r in rows.itertuples()])
    ax.set_xlabel("Change in months the faction stands (b − a, paired, 95% CI)")
    ax.spines[["top", "right"]].set_visible(False)
    fig.suptitle(
        "korea-1945: paired effects of each change on when a faction ends (a → b)\n"
        f"{int(rows['pairs'].max())} pairs of runs on common random numbers, root seed "
        f"{args.seed}; months standing to 1961-12; bars: 95% CI",
        x=0.01,
        ha="left",
    )
    return fig


def km_figure(runner: Runner, scenario: str, factions, args) -> Figure:
    base = runner.results(BASE, args.replicates)
    other = runner.results(scenario, args.replicates)
    fig = Figure(figsize=(8.5, 5.5), layout="constrained")
    plots.plot_counterfactual(base, other, faction=list(factions), ax=fig.subplots())
    return fig


# --------------------------------------------------------------------------- output


def _p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def markdown(pairs: pd.DataFrame) -> str:
    lines = [
        "| statement (a → b) | faction | months standing a → b | difference b − a (95% CI) "
        "| one-sided p | eliminated a → b |",
        "|---|---|---|---|---|---|",
    ]
    for r in pairs.itertuples():
        p = r.p_later if r.expected >= 0 else r.p_earlier
        gone = (
            f"{r.eliminated_a:.0%} → {r.eliminated_b:.0%}"
            if isinstance(r.eliminated_a, float) and not np.isnan(r.eliminated_a)
            else "–"
        )
        lines.append(
            f"| {r.statement} | {r.faction} | {r.months_a:.1f} → {r.months_b:.1f} | "
            f"{r.difference:+.1f} [{r.ci_low:+.1f}, {r.ci_high:+.1f}] | {_p(p)} | {gone} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "figures")
    parser.add_argument("--cache", type=Path, default=ROOT / "results" / "comparative-statics")
    parser.add_argument("-n", "--replicates", type=int, default=150, help="runs per paired side")
    parser.add_argument("--grid-replicates", type=int, default=40, help="runs per grid point")
    parser.add_argument("--seed", type=int, default=5, help="root seed (never used in tuning)")
    parser.add_argument("-j", "--workers", type=int, default=2)
    parser.add_argument("--dpi", type=int, default=120)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    runner = Runner(args)

    pairs = pair_rows(runner)
    print(markdown(pairs))
    pairs.to_csv(args.cache / "pairs.csv", index=False)
    loyalty = loyalty_rows(runner)
    loyalty.to_csv(args.cache / "loyalty.csv", index=False)
    print(loyalty.round(4).to_string())
    grid = grid_table(runner)
    grid.to_csv(args.cache / "grid.csv", index=False)
    print(grid.round(3).to_string())

    figures = {
        "validation-military": grid_figure(grid, "military", args),
        "validation-loyalty": grid_figure(grid, "loyalty", args),
        "validation-absorption": absorption_figure(grid, args),
        "validation-effects": effects_figure(pairs, args),
        "validation-no-war": km_figure(runner, "korea-no-war", RIVALS, args),
        "validation-soviets-stay": km_figure(runner, "korea-soviets-stay", CLIENTS, args),
    }
    for name, fig in figures.items():
        path = args.out / f"{name}.png"
        fig.savefig(path, dpi=args.dpi)
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


if __name__ == "__main__":
    main()
