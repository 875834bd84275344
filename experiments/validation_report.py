"""Run the checks that validation can fail on one scenario and write their tables as Markdown.

The checks (``factions.robustness``; docs/validation.md, "Checks that validation can fail"):
ablation of every mechanism, event dates moved by -24/-12/+12/+24 months, a null model of the
order of the factions' ends, held-out patterns on a seed of their own, transfer of the
mechanism values to other scenarios, and the AES exclusion table. Per-replicate outcomes of every
ensemble are cached (one folder per check under ``--cache``), so ``--from-cache`` redraws the
tables without running anything. Usage::

    .venv/bin/python experiments/validation_report.py korea-1945 --replicates 400 \\
        --shift-replicates 200 --seed 7 --held-out-seed 9001 --transfer-to ussr-1923
    .venv/bin/python experiments/validation_report.py korea-1945 --from-cache

Tables go to ``docs/validation-tables/<scenario>.md`` (``--out``; ``-`` prints them).
Exit codes: 0 done, 2 bad input, 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from factions import robustness as rb
from factions.calendar import format_month
from factions.errors import FactionsError
from factions.scenario import Scenario, load_scenario
from factions.scenario.load import scenario_from_document

ROOT = Path(__file__).resolve().parents[1]
CHECKS = ("ablation", "shifts", "null", "held_out", "transfer", "aes")
log = logging.getLogger("validation_report")


# --------------------------------------------------------------------------- formatting


def pipe_table(frame: pd.DataFrame) -> str:
    """A Markdown pipe table of a frame's columns (no optional dependency needed)."""
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    rows = ["| " + " | ".join(map(str, row)) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


def percent(value: float) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:.0%}"


def points(value: float) -> str:
    """A difference of shares in percentage points, signed."""
    return f"{100 * value:+.0f}"


def mark(text: str, large: bool, significant: bool) -> str:
    """Bold when the difference reaches the threshold; a star when it exceeds the noise."""
    text = f"**{text}**" if large else text
    return f"{text}*" if significant else text


def month_text(start_month: int, months: float) -> str:
    return format_month(start_month + int(months)) if math.isfinite(months) else "not reached"


def legend(scenario: Scenario) -> str:
    roles = rb.pattern_roles(scenario)
    frame = pd.DataFrame(
        {
            "pattern": [f"P{i}" for i in roles],
            "statement": list(rb.pattern_labels(scenario).values()),
            "kind": [p.kind for p in scenario.patterns],
            "role": list(roles.values()),
            "required": [percent(p.min_pass_rate) for p in scenario.patterns],
        }
    )
    return pipe_table(frame)


# --------------------------------------------------------------------------- sections


def ablation_section(scenario: Scenario, sets: dict, args: argparse.Namespace) -> str:
    base = sets["baseline"]["model"]
    table = rb.ablation_table(base, sets["ablation"], args.threshold, args.alpha)
    rates = base.pass_rates()
    columns = [f"P{i}" for i in base.passed.columns]
    rows = [["(baseline)", *(percent(rates[i]) for i in base.passed.columns), ""]]
    for mechanism, group in table.groupby("mechanism", sort=False):
        cells = [
            mark(f"{percent(r.rate)} ({points(r.difference)})", r.large, r.significant)
            for r in group.itertuples()
        ]
        rows.append([mechanism, *cells, "yes" if group["large"].any() else "no"])
    frame = pd.DataFrame(rows, columns=["mechanism off", *columns, "moves a pattern"])
    inert = rb.inert_mechanisms(table)
    return "\n\n".join(
        [
            f"### Ablation ({len(base.passed)} replicates per ensemble, root seed {args.seed})",
            f"Pass rate with the mechanism off (difference from the baseline in points). "
            f"**Bold**: at least {100 * args.threshold:g} points; *: McNemar p < {args.alpha:g}.",
            pipe_table(frame),
            "Mechanisms that move no pattern by the threshold: "
            + (", ".join(f"`{m}`" for m in inert) or "none")
            + ".",
        ]
    )


def shifts_section(scenario: Scenario, sets: dict, meta: dict, args) -> str:
    base = sets["baseline"]["model"]
    table = rb.shift_table(base, sets["shifts"], args.months, args.threshold, args.alpha)
    factions = scenario.faction_ids
    rows = []
    for (event, shift), group in table.groupby(["event", "shift"], sort=False):
        by = group.set_index("outcome")
        cells = []
        for faction in factions:
            r = by.loc[f"median:{faction}"]
            change = "" if math.isnan(r.difference) else f" ({r.difference:+.0f})"
            cells.append(mark(month_text(base.start_month, r.value) + change, r.moved, False))
        moved = group[group["outcome"].str.startswith("pattern:") & group["moved"]]
        patterns = ", ".join(
            mark(f"P{o.removeprefix('pattern:')} {points(d)}", False, p < args.alpha)
            for o, d, p in zip(moved["outcome"], moved["difference"], moved["p_value"], strict=True)
        )
        rows.append([event, f"{shift:+d}", *cells, patterns or "–"])
    baseline = base.subset(next(iter(sets["shifts"].values())).passed.index).median_ends()
    rows.insert(
        0, ["(baseline)", "", *(month_text(base.start_month, baseline[f]) for f in factions), ""]
    )
    frame = pd.DataFrame(rows, columns=["event", "shift", *factions, "patterns moved"])
    moving = rb.moving_events(table)
    lines = [f"- `{r.event}`: {', '.join(r.moved)}" for r in moving.itertuples()]
    skipped = [f"- `{key}`: {reason}" for key, reason in meta.get("skipped", {}).items()]
    replicates = len(next(iter(sets["shifts"].values())).passed)
    return "\n\n".join(
        [
            f"### Event dates ({replicates} replicates per ensemble, root seed {args.seed})",
            f"Kaplan–Meier median end of each faction (change in months); **bold**: moved by at "
            f"least {args.months:g} months or reached in one ensemble only. Patterns whose pass "
            f"rate moved by at least {100 * args.threshold:g} points (difference in points; *: "
            f"McNemar p < {args.alpha:g}).",
            pipe_table(frame),
            "Events whose shift moves an outcome:\n\n" + ("\n".join(lines) or "none"),
            "Shifts skipped (outside the scenario's span):\n\n" + ("\n".join(skipped) or "none"),
        ]
    )


def null_section(scenario: Scenario, sets: dict, args) -> str:
    table = rb.null_table(sets["baseline"]["model"], sets["baseline"]["null"])
    labels = rb.pattern_labels(scenario)
    frame = pd.DataFrame(
        {
            "pattern": [f"P{i}: {labels[i]}" for i in table["pattern"]],
            "model": table["model"].map(percent),
            "null": table["null"].map(percent),
            "difference (points)": [
                f"{points(r.difference)} [{points(r.ci_low)}, {points(r.ci_high)}]"
                for r in table.itertuples()
            ],
        }
    )
    return "\n\n".join(
        [
            f"### Null model ({args.null_draws} shuffles of each replicate's ends)",
            "Pass rates of the order and timing patterns, on the model's runs and with the "
            "factions' ends dealt at random in each run (95% paired t interval).",
            pipe_table(frame),
        ]
    )


def held_out_section(scenario: Scenario, sets: dict, meta: dict) -> str:
    ((seed, outcome),) = sets["held_out"].items()
    table = rb.role_table(scenario, outcome)
    labels = rb.pattern_labels(scenario)
    frame = pd.DataFrame(
        {
            "pattern": [f"P{i}: {labels[i]}" for i in table["pattern"]],
            "role": table["role"],
            "pass rate": table["pass_rate"].map(percent),
            "required": table["required"].map(percent),
            "holds": table["holds"].map({True: "yes", False: "**no**"}),
        }
    )
    summary = rb.role_summary(table)
    summary["mean_pass_rate"] = summary["mean_pass_rate"].map(percent)
    return "\n\n".join(
        [
            f"### Held-out patterns ({len(outcome.passed)} replicates, root seed {seed})",
            pipe_table(frame),
            pipe_table(summary),
        ]
    )


def transfer_section(scenario: Scenario, check: str, sets: dict, meta: dict, args) -> str:
    target = meta["target"]
    table = rb.transfer_table(sets[check]["own"], sets[check]["transferred"], args.alpha)
    target_scenario = scenario_from_document(meta["target_scenario"])
    labels = rb.pattern_labels(target_scenario)
    required = [p.min_pass_rate for p in target_scenario.patterns]
    frame = pd.DataFrame(
        {
            "pattern": [f"{labels[i]}" for i in table["pattern"]],
            "required": [percent(required[i]) for i in table["pattern"]],
            "own values": table["own"].map(percent),
            f"{scenario.name}'s values": [
                mark(f"{percent(r.transferred)} ({points(r.difference)})", False, r.significant)
                for r in table.itertuples()
            ],
        }
    )
    holds_own = sum(r >= q for r, q in zip(table["own"], required, strict=True))
    holds_moved = sum(r >= q for r, q in zip(table["transferred"], required, strict=True))
    base = sets["baseline"]["model"].pass_rates()
    holds_base = sum(base[i] >= p.min_pass_rate for i, p in enumerate(scenario.patterns))
    n = len(required)
    return "\n\n".join(
        [
            f"### Transfer: `{target}` with `{scenario.name}`'s mechanism values",
            f"`{scenario.name}` (own values): {holds_base} of {len(scenario.patterns)} patterns "
            f"hold. `{target}`: {holds_own} of {n} with its own values, {holds_moved} of {n} with "
            f"`{scenario.name}`'s (*: McNemar p < {args.alpha:g}).",
            pipe_table(frame),
        ]
    )


def aes_section(scenario: Scenario, meta: dict, args) -> str:
    shares = meta["initial_shares"]
    leader = scenario.leader.faction
    grid = rb.leader_share_grid(args.share_low, args.share_high, args.share_step)
    table = rb.exclusion_table(shares, leader, grid, scenario.mechanisms.coalition.alpha)
    rivals = [f for f in shares if f != leader]
    none = "none: no self-enforcing coalition contains the leader"
    frame = pd.DataFrame(
        {
            "leader's share": [
                f"{r.leader_share:.2f}" + ("" if r.generic else " (tie)")
                for r in table.itertuples()
            ],
            **{f: table[f"share:{f}"].map(lambda s: f"{s:.3f}") for f in rivals},
            "coalition with the leader": table["coalition"].map(
                lambda c: none if c is None else ", ".join(c)
            ),
            "excluded": table["excluded"].map(
                lambda c: "–" if c is None else ", ".join(c) or "nobody"
            ),
            "AES ruling coalition": table["aes_coalition"].map(", ".join),
        }
    )
    proportions = ", ".join(f"{f} {shares[f]:.3f}" for f in rivals)
    return "\n\n".join(
        [
            f"### AES exclusion (leader's faction `{leader}`, alpha = "
            f"{scenario.mechanisms.coalition.alpha:g})",
            f"Rivals split the rest in their mean power shares of the first month ({proportions})."
            " (tie): powers not generic (two coalitions tie, or one sits on the winning threshold),"
            " so the row follows the solver's tie rule and rounding, not the theory.",
            pipe_table(frame),
        ]
    )


# --------------------------------------------------------------------------- running


def run_checks(args: argparse.Namespace, cache: Path) -> None:
    """Run every requested check, caching each as soon as it is done."""
    name = args.scenario
    scenario = load_scenario(name)
    ensemble = rb.Ensemble(args.replicates, args.seed, args.workers)
    common = {"scenario": scenario.model_dump(mode="json"), "seed": args.seed}
    results = ensemble.run(scenario)
    baseline = {
        "model": rb.outcomes(results),
        "null": rb.null_outcomes(results, args.null_draws, args.seed),
    }
    shares = rb.initial_shares(results).to_dict()
    rb.save_outcomes(
        cache / "baseline", {"baseline": baseline}, {**common, "initial_shares": shares}
    )
    del results
    if "ablation" in args.checks:
        done = ensemble.outcomes(rb.ablation_scenarios(name))
        rb.save_outcomes(cache / "ablation", {"ablation": done}, common)
    if "shifts" in args.checks:
        scenarios, skipped = rb.shifted_scenarios(name, args.shifts)
        small = rb.Ensemble(args.shift_replicates, args.seed, args.workers)
        done = small.outcomes(scenarios)
        rb.save_outcomes(cache / "shifts", {"shifts": done}, {**common, "skipped": skipped})
    if "held_out" in args.checks:
        other = rb.Ensemble(args.replicates, args.held_out_seed, args.workers)
        done = other.outcomes({str(args.held_out_seed): scenario})
        rb.save_outcomes(cache / "held_out", {"held_out": done}, common)
    if "transfer" in args.checks:
        for target in args.transfer_to:
            own = load_scenario(target)
            moved = rb.transferred_scenario(target, name)
            done = ensemble.outcomes({"own": own, "transferred": moved})
            meta = {**common, "target": target, "target_scenario": own.model_dump(mode="json")}
            rb.save_outcomes(cache / f"transfer-{own.name}", {f"transfer-{own.name}": done}, meta)


def read_cache(cache: Path) -> tuple[dict, dict]:
    """Every cached check: outcome sets merged, and each check's metadata by check name."""
    sets, metas = {}, {}
    for folder in sorted(p for p in cache.iterdir() if (p / "meta.json").is_file()):
        found, meta = rb.load_outcomes(folder)
        sets.update(found)
        metas[folder.name] = meta
    if "baseline" not in metas:
        raise FactionsError(f"{cache} holds no baseline: run without --from-cache first")
    return sets, metas


def report(args: argparse.Namespace, cache: Path) -> str:
    """The Markdown report of every check found in the cache."""
    sets, metas = read_cache(cache)
    scenario = scenario_from_document(metas["baseline"]["scenario"])
    sections: list[tuple[str, Callable[[], str]]] = [
        ("ablation", lambda: ablation_section(scenario, sets, args)),
        ("shifts", lambda: shifts_section(scenario, sets, metas["shifts"], args)),
        ("null", lambda: null_section(scenario, sets, args)),
        ("held_out", lambda: held_out_section(scenario, sets, metas["held_out"])),
        ("aes", lambda: aes_section(scenario, metas["baseline"], args)),
    ]
    parts = [
        f"# Validation tables: `{scenario.name}`",
        f"Written by `experiments/validation_report.py` (scenario hash "
        f"`{scenario.hash[:12]}`). Patterns:",
        legend(scenario),
    ]
    for check, draw in sections:
        if check in args.checks and (check in sets or check in ("null", "aes")):
            parts.append(draw())
    for check in sorted(c for c in sets if c.startswith("transfer-")):
        if "transfer" in args.checks:
            parts.append(transfer_section(scenario, check, sets, metas[check], args))
    return "\n\n".join(parts) + "\n"


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as f:
        f.write(text)
    os.replace(f.name, path)


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", help="bundled scenario name or path")
    parser.add_argument("--replicates", type=int, default=100, help="per ensemble (default 100)")
    parser.add_argument("--shift-replicates", type=int, default=60, help="per date shift")
    parser.add_argument("--seed", type=int, default=0, help="root seed of every ensemble")
    parser.add_argument("--held-out-seed", type=int, default=9001, help="a seed never tuned on")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--checks", nargs="+", choices=CHECKS, default=list(CHECKS))
    parser.add_argument("--shifts", type=int, nargs="+", default=list(rb.SHIFTS))
    parser.add_argument("--transfer-to", nargs="*", default=[], help="scenarios to run with ours")
    parser.add_argument("--null-draws", type=int, default=20)
    parser.add_argument("--threshold", type=float, default=0.10, help="pass-rate change flagged")
    parser.add_argument("--months", type=float, default=12, help="median change flagged")
    parser.add_argument("--alpha", type=float, default=0.05, help="level of the McNemar test")
    parser.add_argument("--share-low", type=float, default=0.20)
    parser.add_argument("--share-high", type=float, default=0.70)
    parser.add_argument("--share-step", type=float, default=0.05)
    parser.add_argument("--cache", type=Path, help="default: results/validation/<scenario>")
    parser.add_argument("--from-cache", action="store_true", help="redraw without running")
    parser.add_argument("--out", help="Markdown file; '-' prints (default docs/validation-tables/)")
    args = parser.parse_args(argv)
    if min(args.replicates, args.shift_replicates, args.null_draws) < 2:
        parser.error("--replicates, --shift-replicates and --null-draws must be at least 2")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
    logging.getLogger(rb.__name__).setLevel(logging.INFO)  # one line per ensemble
    stem = Path(args.scenario).stem
    cache = args.cache or ROOT / "results" / "validation" / stem
    started = time.perf_counter()
    try:
        if not args.from_cache:
            run_checks(args, cache)
        text = report(args, cache)
    except (FactionsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: checks finished so far are cached", file=sys.stderr)
        return 130
    if args.out == "-":
        print(text)
    else:
        out = Path(args.out or ROOT / "docs" / "validation-tables" / f"{stem}.md")
        write_atomically(out, text)
        print(f"wrote {out} ({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
