"""Issue 13's loyalty check: does a more loyal faction fare better, on common random numbers?

Runs a scenario twice with the same root seed, once as it is and once with one faction's initial
mean loyalty raised, and prints, for that faction, the mean share of its cadres (by origin) ever
arrested and the share of runs in which it ends by purge, by exile and by absorption, with the
paired difference of the arrested shares (paired t) and of ending by purge (exact McNemar).
Usage::

    .venv/bin/python experiments/loyalty_check.py korea-1945 --faction yanan --low 0.45 \\
        --high 0.8 --replicates 200 --seed 20261203 --workers 2

Exit codes: 0 done, 2 bad input, 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from factions import paired
from factions.ensemble import run_ensemble
from factions.errors import FactionsError


def end_by(results, faction: str, cause: str) -> pd.Series:
    """1.0 in the runs where ``faction`` ends by ``cause``, else 0.0 (by replicate)."""
    rows = results.factions[results.factions["faction"] == faction]
    return (rows["end_cause"] == cause).astype(float).reset_index(drop=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario")
    parser.add_argument("--faction", required=True)
    parser.add_argument("--low", type=float, required=True)
    parser.add_argument("--high", type=float, required=True)
    parser.add_argument("--replicates", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    key = f"factions.{args.faction}.loyalty.mean"
    try:
        runs = {
            level: run_ensemble(
                args.scenario,
                args.replicates,
                args.seed,
                overrides={key: level},
                workers=args.workers,
            )
            for level in (args.low, args.high)
        }
    except FactionsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    low, high = runs[args.low], runs[args.high]
    print(f"{args.scenario}, {args.replicates} paired runs, seed {args.seed}: {key}")
    print(f"{'':28}{args.low:>10}{args.high:>10}")
    arrested = {k: paired.arrested_share(r, args.faction) for k, r in runs.items()}
    print(f"{'cadres ever arrested':28}" + "".join(f"{v.mean():>10.1%}" for v in arrested.values()))
    for cause in ("purged", "exiled", "absorbed"):
        shares = [end_by(r, args.faction, cause).mean() for r in runs.values()]
        print(f"{'runs ending ' + cause:28}" + "".join(f"{v:>10.1%}" for v in shares))
    tests = {
        "cadres ever arrested (paired t)": paired.compare(
            paired.arrested_share(low, args.faction), arrested[args.high], test="t"
        ),
        "ends by purge (exact McNemar)": paired.compare(
            end_by(low, args.faction, "purged"), end_by(high, args.faction, "purged"), test="sign"
        ),
    }
    print(f"\n{'difference, high - low':36}{'mean':>8}{'95% CI':>18}{'p (lower)':>12}")
    for name, d in tests.items():
        band = f"[{d.ci_low:+.3f}, {d.ci_high:+.3f}]"
        print(f"{name:36}{d.difference:>+8.3f}{band:>18}{d.p_lower:>12.2g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
